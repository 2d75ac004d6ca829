package notify

import (
	"slices"
	"time"
)

// Limit is how much one target may take. Zero in a rate means no limit.
type Limit struct {
	PerMinute int // requests in any rolling 60 seconds
	PerSecond int // requests in any rolling second
	// MaxDigest is the most messages merged into one request. The robots'
	// size limits make long digests unreadable, so their caps are small.
	MaxDigest int
}

// LimitFor returns the limit for a channel:
//
//	wecom     20/min                 (documented: 20 messages a minute per robot)
//	dingtalk  20/min                 (documented: 20 a minute, then 10 minutes throttled)
//	feishu   100/min, 5/s            (documented: 100 a minute and 5 a second per bot)
//	email     10/min                 (ours: a school relay or a provider's mailbox
//	                                  flags bursts as spam; digests carry the rest)
//	webhook   60/min, 5/s            (ours: receivers are small in-house systems)
//
// and digests of at most 10 (WeCom, DingTalk: 4 KB of markdown), 20
// (Feishu: 20 KB), 50 (e-mail) and 100 (webhook) messages. The vendors
// count on their side too, so a robot shared with another system can still
// answer "rate limited"; that error is retryable. An unknown kind gets the
// strictest limit.
func LimitFor(k Kind) Limit {
	switch k {
	case WeCom, DingTalk:
		return Limit{PerMinute: 20, MaxDigest: 10}
	case Feishu:
		return Limit{PerMinute: 100, PerSecond: 5, MaxDigest: 20}
	case Email:
		return Limit{PerMinute: 10, MaxDigest: 50}
	case Webhook:
		return Limit{PerMinute: 60, PerSecond: 5, MaxDigest: 100}
	}
	return Limit{PerMinute: 10, MaxDigest: 10}
}

// maxSingles is the most pending messages sent one by one. A larger backlog
// is a burst (a cluster alert and its follow-ups, a morning's reminders)
// and reads better as one digest than as a wall of messages; it also keeps
// budget for the next urgent alert.
const maxSingles = 3

// Schedule is Plan's decision for one target.
type Schedule[T any] struct {
	// Now holds the requests to make now, in order; each inner slice is one
	// Send (more than one item: a digest).
	Now [][]T
	// Held holds the items that must wait, oldest first.
	Held []T
	// Next is the earliest time another request is allowed once those in
	// Now have been made (at now). It equals now while budget remains.
	Next time.Time
}

// Plan decides for one target, given the times of its recent requests
// (older than a minute are ignored) and its pending items oldest first:
//
//   - Budget: the requests the limit leaves now, in the rolling minute
//     and the rolling second. No budget: everything is held.
//   - Up to three pending items, and no more than the budget: one request
//     each.
//   - More: a burst, merged into digests of at most MaxDigest items, as
//     even in size as possible; as many digests go now as the budget
//     allows, the rest are held (and are re-planned at Next, with whatever
//     arrived meanwhile).
//
// Plan is a pure function of its arguments.
func Plan[T any](l Limit, now time.Time, sent []time.Time, pending []T) Schedule[T] {
	budget := l.budget(now, sent)
	var groups [][]T
	switch {
	case budget == 0 || len(pending) == 0:
	case len(pending) <= min(budget, maxSingles):
		for _, p := range pending {
			groups = append(groups, []T{p})
		}
	default:
		size := max(l.MaxDigest, 1)
		n := (len(pending) + size - 1) / size // digests needed
		even := (len(pending) + n - 1) / n    // their size when spread evenly
		for rest := pending; len(rest) > 0 && len(groups) < budget; {
			k := min(even, len(rest))
			groups = append(groups, rest[:k:k])
			rest = rest[k:]
		}
	}
	taken := 0
	for _, g := range groups {
		taken += len(g)
	}
	after := slices.Clone(sent)
	for range groups {
		after = append(after, now)
	}
	return Schedule[T]{Now: groups, Held: pending[taken:len(pending):len(pending)], Next: l.next(now, after)}
}

// budget is how many requests may go at now.
func (l Limit) budget(now time.Time, sent []time.Time) int {
	b := -1 // unlimited
	for _, w := range l.windows() {
		left := max(w.limit-inWindow(now, w.span, sent), 0)
		if b < 0 || left < b {
			b = left
		}
	}
	if b < 0 {
		// No rate at all: as many requests as could possibly be wanted.
		return int(^uint(0) >> 1)
	}
	return b
}

// next is the earliest time at or after now when one more request fits in
// every window, given the requests in sent. Each window's answer only gets
// easier as time passes, so the latest of them satisfies all.
func (l Limit) next(now time.Time, sent []time.Time) time.Time {
	next := now
	for _, w := range l.windows() {
		var in []time.Time
		for _, t := range sent {
			t = minTime(t, now) // a request stamped in the future counts as now
			if t.After(now.Add(-w.span)) {
				in = append(in, t)
			}
		}
		if len(in) < w.limit {
			continue
		}
		slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
		// The oldest len(in)-limit+1 requests must leave the window; the
		// last of them leaves at its time plus the span.
		if t := in[len(in)-w.limit].Add(w.span); t.After(next) {
			next = t
		}
	}
	return next
}

type window struct {
	span  time.Duration
	limit int
}

func (l Limit) windows() []window {
	var ws []window
	if l.PerMinute > 0 {
		ws = append(ws, window{time.Minute, l.PerMinute})
	}
	if l.PerSecond > 0 {
		ws = append(ws, window{time.Second, l.PerSecond})
	}
	return ws
}

// inWindow counts the requests in (now-span, now].
func inWindow(now time.Time, span time.Duration, sent []time.Time) int {
	n := 0
	for _, t := range sent {
		if minTime(t, now).After(now.Add(-span)) {
			n++
		}
	}
	return n
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
