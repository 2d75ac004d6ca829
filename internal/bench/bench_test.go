package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"epiguard/internal/bench"
	"epiguard/internal/domain"
)

func TestCheckinsWalkEveryKeyOnce(t *testing.T) {
	people := []int64{11, 12, 13, 14, 15}
	dates := bench.Dates(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC), time.UTC, 2)
	if !slices.Equal(dates, []string{"2026-03-02", "2026-03-01"}) {
		t.Fatalf("dates %v", dates)
	}
	g := bench.NewCheckins(people, dates, "t", false)
	if g.Capacity() != 30 {
		t.Fatalf("capacity %d", g.Capacity())
	}
	keys, ids := map[string]bool{}, map[string]bool{}
	for i := range 30 {
		c, err := g.NextCheckin()
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		key := fmt.Sprint(c.PersonID, c.Date, c.Slot)
		if keys[key] || ids[c.ClientID] {
			t.Fatalf("body %d repeats %s / %s", i, key, c.ClientID)
		}
		keys[key], ids[c.ClientID] = true, true
		// Every body is one the server accepts.
		dc := domain.Checkin{PersonID: c.PersonID, Date: c.Date, Slot: c.Slot, TemperatureC: c.TemperatureC, Symptoms: c.Symptoms,
			RegionCode: c.RegionCode, Address: c.Address, Note: c.Note, Source: c.Source, ClientID: c.ClientID}
		if err := dc.Validate(domain.CheckinRules{Today: dates[0], MaxAgeDays: 7}); err != nil {
			t.Fatalf("body %d invalid: %v", i, err)
		}
	}
	if _, err := g.Next(); !errors.Is(err, bench.ErrExhausted) {
		t.Fatalf("31st body: %v, want ErrExhausted", err)
	}
	w := bench.NewCheckins(people, dates, "w", true)
	for range 31 {
		if _, err := w.Next(); err != nil {
			t.Fatalf("wrapping walk: %v", err)
		}
	}
}

func TestCheckinsConcurrent(t *testing.T) {
	people := make([]int64, 1000)
	for i := range people {
		people[i] = int64(i + 1)
	}
	g := bench.NewCheckins(people, []string{"2026-03-02"}, "c", false)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				c, err := g.NextCheckin()
				if err != nil {
					return
				}
				key := fmt.Sprint(c.PersonID, c.Slot)
				mu.Lock()
				if seen[key] {
					t.Errorf("repeated %s", key)
				}
				seen[key] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 3000 {
		t.Fatalf("%d keys, want 3000", len(seen))
	}
}

func TestCeiling(t *testing.T) {
	body, err := bench.NewCheckins([]int64{7}, []string{"2026-03-02"}, "c", false).Next()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ctype, body string
		want              int
	}{
		{"body", "application/json", string(body), 200},
		{"content type", "text/plain", string(body), 400},
		{"unknown field", "application/json", `{"person_id":1,"nope":2}`, 400},
		{"malformed", "application/json", `{"person_id":`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/checkins", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ctype)
			w := httptest.NewRecorder()
			bench.Ceiling().ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want == 200 && !json.Valid(w.Body.Bytes()) {
				t.Fatalf("answer is not JSON: %s", w.Body)
			}
		})
	}
}

func TestLoadCountsEveryAnswer(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("authorization %q", r.Header.Get("Authorization"))
		}
		served.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	var progress atomic.Int64
	l := &bench.Load{Client: bench.NewClient(4), URL: srv.URL, Token: "tok", Clients: 4, Duration: 1200 * time.Millisecond,
		Next:     func() ([]byte, error) { return []byte(`{}`), nil },
		Progress: func(time.Duration, int64) { progress.Add(1) }}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.OK == 0 || int64(res.OK) != served.Load() || len(res.Latencies) != res.OK {
		t.Fatalf("ok %d, served %d, latencies %d", res.OK, served.Load(), len(res.Latencies))
	}
	if !slices.IsSorted(res.Latencies) || res.Percentile(0.5) > res.Percentile(0.99) || res.Percentile(1) != res.Latencies[res.OK-1] {
		t.Fatal("latencies not sorted or percentiles out of order")
	}
	if res.Elapsed < l.Duration || res.PerSecond() <= 0 {
		t.Fatalf("elapsed %s, %.0f/s", res.Elapsed, res.PerSecond())
	}
	if progress.Load() == 0 {
		t.Fatal("no progress reported")
	}
}

func TestLoadStopsAtFirstFailure(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 20 {
			http.Error(w, `{"error":{"code":"conflict"}}`, http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	l := &bench.Load{Client: bench.NewClient(3), URL: srv.URL, Clients: 3, Duration: time.Minute,
		Next: func() ([]byte, error) { return []byte(`{}`), nil }}
	start := time.Now()
	_, err := l.Run(context.Background())
	var se *bench.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusConflict || !strings.Contains(se.Body, "conflict") {
		t.Fatalf("err %v, want a 409 StatusError", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the run went on after the failure")
	}
	// An exhausted walk ends the run with its error too.
	l.Next = func() ([]byte, error) { return nil, bench.ErrExhausted }
	if _, err := l.Run(context.Background()); !errors.Is(err, bench.ErrExhausted) {
		t.Fatalf("err %v, want ErrExhausted", err)
	}
}

func TestPercentile(t *testing.T) {
	r := &bench.Result{}
	if r.Percentile(0.99) != 0 || r.PerSecond() != 0 {
		t.Fatal("empty result")
	}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	r.OK, r.Elapsed = 100, 2*time.Second
	if r.Percentile(0.5) != 50*time.Millisecond || r.Percentile(0.99) != 99*time.Millisecond || r.PerSecond() != 50 {
		t.Fatalf("p50 %s p99 %s %.1f/s", r.Percentile(0.5), r.Percentile(0.99), r.PerSecond())
	}
	if r.CPU = 200 * time.Millisecond; r.CPUPerRequest() != 2*time.Millisecond {
		t.Fatalf("CPU per request %s", r.CPUPerRequest())
	}
}

func TestNewSchool(t *testing.T) {
	s := bench.NewSchool("SCH", 120, 50)
	if len(s.Orgs) != 4 || s.Orgs[0].Kind != "school" || s.Orgs[3].ParentID != &s.Orgs[0].ID {
		t.Fatalf("units: %d, first %+v", len(s.Orgs), s.Orgs[0])
	}
	codes := map[string]bool{}
	for _, o := range s.Orgs {
		if err := o.Validate(); err != nil {
			t.Fatalf("unit %s: %v", o.Code, err)
		}
		codes[o.Code] = true
	}
	ext, ids := map[string]bool{}, map[string]bool{}
	for _, r := range s.Rows {
		if err := domain.ValidIDNumber(r.IDNumber); err != nil {
			t.Fatalf("%s: id %s: %v", r.ExternalID, r.IDNumber, err)
		}
		if err := domain.ValidMobile(r.GuardianPhone); err != nil {
			t.Fatalf("%s: phone %s: %v", r.ExternalID, r.GuardianPhone, err)
		}
		if birth, _ := domain.IDNumberBirthDate(r.IDNumber); birth != r.BirthDate {
			t.Fatalf("%s: birth %s, id says %s", r.ExternalID, r.BirthDate, birth)
		}
		if ext[r.ExternalID] || ids[r.IDNumber] || !codes[r.OrgCode] {
			t.Fatalf("%s: repeated or unknown class %s", r.ExternalID, r.OrgCode)
		}
		ext[r.ExternalID], ids[r.IDNumber] = true, true
	}
	if again := bench.NewSchool("SCH", 120, 50); !bytes.Equal([]byte(fmt.Sprint(again.Rows)), []byte(fmt.Sprint(s.Rows))) {
		t.Fatal("two calls gave different schools")
	}
}
