package bench_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"epiguard/internal/bench"
)

// The probe times each page until its context ends, sends the session
// cookie SignIn got, and ends at the first answer that is not 200.
func TestProbe(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/session", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "epiguard_session", Value: "s1"})
		w.Write([]byte(`{}`))
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("epiguard_session"); err != nil || c.Value != "s1" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("<html>ok</html>"))
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	client := bench.NewClient(2)
	cookie, err := bench.SignIn(ctx, client, srv.URL+"/", "h", "pw")
	if err != nil || cookie != "epiguard_session=s1" {
		t.Fatalf("sign in = %q, %v", cookie, err)
	}

	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	p := &bench.Probe{Client: client, Cookie: cookie, Every: 10 * time.Millisecond, Pages: []bench.Page{{Name: "page", URL: srv.URL + "/page"}}}
	res, err := p.Run(pctx)
	if err != nil {
		t.Fatal(err)
	}
	r := res["page"]
	if r.OK < 5 || len(r.Latencies) != r.OK || !slices.IsSorted(r.Latencies) || r.Percentile(0.99) <= 0 {
		t.Fatalf("page: %d ok, %d latencies", r.OK, len(r.Latencies))
	}

	p.Pages = append(p.Pages, bench.Page{Name: "broken", URL: srv.URL + "/broken"})
	pctx2, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	start := time.Now()
	var se *bench.StatusError
	if _, err := p.Run(pctx2); !errors.As(err, &se) || se.Status != http.StatusInternalServerError {
		t.Fatalf("broken page: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("a failing page did not end the run")
	}
}
