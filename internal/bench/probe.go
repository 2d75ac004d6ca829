package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Page is a page the probe fetches while the check-in load runs.
type Page struct {
	Name string // for the report
	URL  string
}

// Probe times pages under load (SPEC §7.1: server response p99 ≤ 50 ms
// under the check-in benchmark load): one goroutine per page fetches it,
// then waits Every before the next fetch, as people opening pages do.
// The pages are read with the session cookie of a signed-in account.
type Probe struct {
	Client *http.Client
	Pages  []Page
	Cookie string // the Cookie header
	Every  time.Duration
}

// Run fetches the pages until ctx ends, and returns the latencies per
// page name. Any answer but 200 ends the run with a *StatusError: a page
// that fails fast is not a fast page.
func (p *Probe) Run(ctx context.Context) (map[string]*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := map[string]*Result{}
	var mu sync.Mutex
	var failed error
	fail := func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for _, pg := range p.Pages {
		res := &Result{}
		out[pg.Name] = res
		wg.Go(func() {
			start := time.Now()
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := p.get(ctx, pg.URL); err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("page %s: %w", pg.Name, err))
					}
					return
				}
				took := time.Since(t0)
				mu.Lock()
				res.OK++
				res.Latencies = append(res.Latencies, took)
				res.Elapsed = time.Since(start)
				mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(p.Every):
				}
			}
		})
	}
	wg.Wait()
	if failed != nil {
		return out, failed
	}
	for _, r := range out {
		slices.Sort(r.Latencies)
	}
	return out, nil
}

func (p *Probe) get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/html")
	if p.Cookie != "" {
		req.Header.Set("Cookie", p.Cookie)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return &StatusError{Status: resp.StatusCode, Body: string(bytes.TrimSpace(b))}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// SignIn signs in at base (POST /api/v1/session, SPEC §4.2) and returns
// the Cookie header that carries the session.
func SignIn(ctx context.Context, c *http.Client, base, username, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"api/v1/session", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", &StatusError{Status: resp.StatusCode, Body: "sign-in"}
	}
	var cookies []string
	for _, ck := range resp.Cookies() {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	if len(cookies) == 0 {
		return "", errors.New("bench: sign-in set no cookie")
	}
	return strings.Join(cookies, "; "), nil
}
