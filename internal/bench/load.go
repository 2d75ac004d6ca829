// Package bench is the load generator behind `epiguard bench` (SPEC §7.1):
// a generated school roster, a walk of unique check-in bodies, concurrent
// HTTP clients that time every request, and the bare ceiling handler the
// real server is compared with. It knows HTTP and JSON, not the store or
// the web package: the command line wires it to the real server.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// NewClient returns an HTTP client for loopback load: keep-alive
// connections for every concurrent client, no proxy, no compression, and
// a timeout so that a stuck server ends the run instead of hanging it.
func NewClient(clients int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        clients,
			MaxIdleConnsPerHost: clients,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// Load is one timed run: Clients goroutines POST bodies from Next to URL
// until Duration has passed. Requests in flight at the end are waited for,
// so every request sent is answered and counted.
type Load struct {
	Client   *http.Client
	URL      string
	Token    string // sent as Authorization: Bearer TOKEN when set
	Clients  int
	Duration time.Duration
	// Next returns the next request body; an error ends the run with it.
	Next func() ([]byte, error)
	// Progress, when set, is called about once a second with the
	// successes so far.
	Progress func(elapsed time.Duration, ok int64)
}

// Result is what a run measured.
type Result struct {
	OK      int           // 2xx answers
	Elapsed time.Duration // from the first request to the last answer
	// Latencies of the successful requests, sorted ascending.
	Latencies []time.Duration
	// CPU is the CPU time the whole process (clients and any server in
	// it) used during the run; zero where the platform cannot tell.
	CPU time.Duration
}

// Add folds o, a later run of the same load, into r: the counts, times
// and CPU add up, and the latencies merge.
func (r *Result) Add(o *Result) {
	r.OK += o.OK
	r.Elapsed += o.Elapsed
	r.CPU += o.CPU
	r.Latencies = append(r.Latencies, o.Latencies...)
	slices.Sort(r.Latencies)
}

// CPUPerRequest is CPU divided by the successful requests: unlike the
// throughput, it hardly depends on what else the machine is doing.
func (r *Result) CPUPerRequest() time.Duration {
	if r.OK == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.OK)
}

// PerSecond is the throughput of successful requests.
func (r *Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile returns the nearest-rank p-quantile (0 < p ≤ 1) of the
// latencies, 0 when there are none.
func (r *Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(n))) - 1
	return r.Latencies[min(max(i, 0), n-1)]
}

// StatusError is a non-2xx answer, which ends a run: a benchmark that
// counts failures as work measures nothing.
type StatusError struct {
	Status int
	Body   string // the start of the answer, for the report
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// Run drives the load. It returns the first failure (a transport error,
// a non-2xx answer, Next's error) after stopping the other clients, or
// ctx's error when ctx ends first.
func (l *Load) Run(ctx context.Context) (*Result, error) {
	if l.Clients < 1 {
		return nil, errors.New("bench: at least one client")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var ok atomic.Int64
	lats := make([][]time.Duration, l.Clients)
	cpu0, _ := ProcessCPU()
	start := time.Now()
	deadline := start.Add(l.Duration)
	var wg sync.WaitGroup
	for c := range l.Clients {
		wg.Go(func() {
			lats[c] = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				body, err := l.Next()
				if err != nil {
					cancel(err)
					return
				}
				t0 := time.Now()
				if err := l.post(ctx, body); err != nil {
					cancel(err)
					return
				}
				lats[c] = append(lats[c], time.Since(t0))
				ok.Add(1)
			}
		})
	}
	done, reported := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(reported)
		if l.Progress == nil {
			return
		}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				l.Progress(now.Sub(start), ok.Load())
			}
		}
	}()
	wg.Wait()
	close(done)
	<-reported // no progress after Run returns
	res := &Result{OK: int(ok.Load()), Elapsed: time.Since(start)}
	if cpu1, ok := ProcessCPU(); ok {
		res.CPU = cpu1 - cpu0
	}
	if err := context.Cause(ctx); err != nil {
		return res, err
	}
	for _, c := range lats {
		res.Latencies = append(res.Latencies, c...)
	}
	slices.Sort(res.Latencies)
	return res, nil
}

// post sends one body and reads the whole answer, so the connection is
// reused; any status outside 2xx is a *StatusError.
func (l *Load) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if l.Token != "" {
		req.Header.Set("Authorization", "Bearer "+l.Token)
	}
	resp, err := l.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return &StatusError{Status: resp.StatusCode, Body: string(bytes.TrimSpace(b))}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
