package notify

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	at := func(ago ...time.Duration) []time.Time {
		var ts []time.Time
		for _, d := range ago {
			ts = append(ts, t0.Add(-d))
		}
		return ts
	}
	n := func(k int) []time.Duration { // k requests over the last 50 seconds
		var ds []time.Duration
		for i := range k {
			ds = append(ds, time.Duration(50-i)*time.Second)
		}
		return ds
	}
	items := func(k int) []int {
		out := make([]int, k)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	wecom, feishu := LimitFor(WeCom), LimitFor(Feishu)
	for _, c := range []struct {
		name    string
		limit   Limit
		sent    []time.Time
		pending int
		now     [][]int
		held    []int
		next    time.Duration // after t0
	}{
		{"nothing pending", wecom, nil, 0, nil, []int{}, 0},
		{"one, idle target", wecom, nil, 1, [][]int{{1}}, []int{}, 0},
		{"three go singly", wecom, nil, 3, [][]int{{1}, {2}, {3}}, []int{}, 0},
		{"four are a burst", wecom, nil, 4, [][]int{{1, 2, 3, 4}}, []int{}, 0},
		{"burst over MaxDigest splits evenly", wecom, nil, 12, [][]int{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}}, []int{}, 0},
		{"budget of one merges two", wecom, at(n(19)...), 2, [][]int{{1, 2}}, []int{}, 10 * time.Second},
		{"budget of two sends two singly", wecom, at(n(18)...), 2, [][]int{{1}, {2}}, []int{}, 10 * time.Second},
		{"no budget: held until the oldest leaves", wecom, at(n(20)...), 2, nil, []int{1, 2}, 10 * time.Second},
		{"old sends do not count", wecom, at(61*time.Second, 70*time.Second), 1, [][]int{{1}}, []int{}, 0},
		{"budget limits digests", wecom, at(n(19)...), 25, [][]int{{1, 2, 3, 4, 5, 6, 7, 8, 9}}, items(25)[9:], 10 * time.Second},
		{"feishu per second", feishu, at(100*time.Millisecond, 200*time.Millisecond, 300*time.Millisecond, 400*time.Millisecond), 2,
			[][]int{{1, 2}}, []int{}, 600 * time.Millisecond},
		{"feishu second full", feishu, at(0, 100*time.Millisecond, 200*time.Millisecond, 300*time.Millisecond, 400*time.Millisecond), 1,
			nil, []int{1}, 600 * time.Millisecond},
		{"future stamps count as now", wecom, at(append(n(19), -5*time.Second)...), 1, nil, []int{1}, 10 * time.Second},
		{"unlimited", Limit{MaxDigest: 2}, at(0, 0, 0), 5, [][]int{{1, 2}, {3, 4}, {5}}, []int{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := Plan(c.limit, t0, c.sent, items(c.pending))
			if !reflect.DeepEqual(s.Now, c.now) || !reflect.DeepEqual(s.Held, c.held) || !s.Next.Equal(t0.Add(c.next)) {
				t.Errorf("got now=%v held=%v next=+%v\nwant now=%v held=%v next=+%v",
					s.Now, s.Held, s.Next.Sub(t0), c.now, c.held, c.next)
			}
		})
	}
}

// Following Plan's schedule never exceeds the limit, and every message is
// sent exactly once.
func TestPlanRespectsLimitOverTime(t *testing.T) {
	for _, k := range Kinds() {
		l := LimitFor(k)
		var sent []time.Time
		var pending []int
		seen := map[int]bool{}
		next := 0
		now := t0
		for step := range 600 { // ten minutes, one step a second, a burst of 7 every 3 s
			if step%3 == 0 {
				for range 7 {
					next++
					pending = append(pending, next)
				}
			}
			s := Plan(l, now, sent, pending)
			for _, g := range s.Now {
				sent = append(sent, now)
				for _, id := range g {
					if seen[id] {
						t.Fatalf("%s: %d sent twice", k, id)
					}
					seen[id] = true
				}
				if len(g) > l.MaxDigest {
					t.Fatalf("%s: digest of %d", k, len(g))
				}
			}
			pending = s.Held
			if got := inWindow(now, time.Minute, sent); l.PerMinute > 0 && got > l.PerMinute {
				t.Fatalf("%s: %d requests in a minute", k, got)
			}
			if got := inWindow(now, time.Second, sent); l.PerSecond > 0 && got > l.PerSecond {
				t.Fatalf("%s: %d requests in a second", k, got)
			}
			now = now.Add(time.Second)
		}
		if len(seen)+len(pending) != next {
			t.Errorf("%s: %d sent + %d pending != %d made", k, len(seen), len(pending), next)
		}
	}
}

func TestLimitFor(t *testing.T) {
	for k, want := range map[Kind]Limit{
		WeCom:    {PerMinute: 20, MaxDigest: 10},
		DingTalk: {PerMinute: 20, MaxDigest: 10},
		Feishu:   {PerMinute: 100, PerSecond: 5, MaxDigest: 20},
		Email:    {PerMinute: 10, MaxDigest: 50},
		Webhook:  {PerMinute: 60, PerSecond: 5, MaxDigest: 100},
		"sms":    {PerMinute: 10, MaxDigest: 10},
	} {
		if got := LimitFor(k); got != want {
			t.Errorf("%s: %+v", k, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{30 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
		8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for attempt, w := range want {
		if got := Backoff(attempt); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", attempt, got, w)
		}
	}
	if Backoff(1000) != time.Hour {
		t.Error("no cap")
	}
	var total time.Duration
	for a := 1; a <= MaxAttempts; a++ {
		total += Backoff(a)
	}
	if total < 12*time.Hour || total > 16*time.Hour {
		t.Errorf("MaxAttempts spans %v", total)
	}
}

func TestNextAttempt(t *testing.T) {
	if _, ok := NextAttempt(nil, 1, t0); ok {
		t.Error("nil error retried")
	}
	if _, ok := NextAttempt(&DeliveryError{Retryable: false}, 1, t0); ok {
		t.Error("permanent error retried")
	}
	if at, ok := NextAttempt(&DeliveryError{Retryable: true, RetryAfter: 10 * time.Minute}, 1, t0); !ok || !at.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("RetryAfter not honoured: %v", at)
	}
	if at, ok := NextAttempt(&DeliveryError{Retryable: true, RetryAfter: time.Second}, 3, t0); !ok || !at.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("backoff not the floor: %v", at)
	}
	if at, ok := NextAttempt(errors.New("surprise"), 2, t0); !ok || !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("foreign error: %v %v", at, ok)
	}
}
