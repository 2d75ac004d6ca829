package web

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"epiguard/internal/domain"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, rq *request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, rq *request) error {
	b, err := assets.ReadFile("openapi.json")
	if err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	return nil
}

func (s *Server) static(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := strings.TrimPrefix(r.URL.Path, "/")
	b, err := assets.ReadFile(name)
	if err != nil || strings.Contains(name, "..") {
		return domain.Errorf(domain.ENotFound, "no such file")
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	// Asset URLs carry a content hash (see assetURL), so they never change.
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	w.Write(b)
	return nil
}

// metrics counts requests per route and status and sums their durations,
// enough for a Prometheus dashboard without a client library.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64
	seconds  map[string]float64
	counts   map[string]uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, seconds: map[string]float64{}, counts: map[string]uint64{}}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.mu.Lock()
	m.requests[[2]string{route, fmt.Sprint(status)}]++
	m.seconds[route] += d.Seconds()
	m.counts[route]++
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, rq *request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := s.metrics
	m.mu.Lock()
	var b strings.Builder
	b.WriteString("# HELP epiguard_http_requests_total HTTP requests by route and status.\n# TYPE epiguard_http_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(&b, "epiguard_http_requests_total{route=%q,status=%q} %d\n", k[0], k[1], m.requests[k])
	}
	b.WriteString("# HELP epiguard_http_request_duration_seconds Time spent serving requests by route.\n# TYPE epiguard_http_request_duration_seconds summary\n")
	routes := make([]string, 0, len(m.counts))
	for k := range m.counts {
		routes = append(routes, k)
	}
	sort.Strings(routes)
	for _, k := range routes {
		fmt.Fprintf(&b, "epiguard_http_request_duration_seconds_sum{route=%q} %g\n", k, m.seconds[k])
		fmt.Fprintf(&b, "epiguard_http_request_duration_seconds_count{route=%q} %d\n", k, m.counts[k])
	}
	m.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(&b, "# HELP epiguard_build_info Build information.\n# TYPE epiguard_build_info gauge\nepiguard_build_info{version=%q,go=%q} 1\n", s.version, runtime.Version())
	fmt.Fprintf(&b, "# HELP epiguard_start_time_seconds Start time of the process.\n# TYPE epiguard_start_time_seconds gauge\nepiguard_start_time_seconds %d\n", s.started.Unix())
	fmt.Fprintf(&b, "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(&b, "# HELP go_memstats_heap_alloc_bytes Heap bytes in use.\n# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	w.Write([]byte(b.String()))
	return nil
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request, rq *request) error {
	return domain.Errorf(domain.ENotFound, "no such API endpoint: %s %s", r.Method, r.URL.Path)
}
