package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"epiguard/internal/cli"
)

// interrupter is a stderr that presses Ctrl-C (cancels the context) when
// the log shows the first units of the demo written.
type interrupter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *interrupter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte("demo: org units created")) {
		w.cancel()
	}
	return w.buf.Write(p)
}

func (w *interrupter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// An interrupted demo load says so and how to start again, instead of
// exiting 0, and a rerun on the half-loaded database says what to do
// instead of calling it "not the demo data set".
func TestDemoInterrupted(t *testing.T) {
	for _, mode := range [][]string{{"--seed-only"}, {"--addr", "127.0.0.1:0"}} {
		t.Run(mode[0], func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "demo.db")
			dsn := "sqlite:" + path
			env := func(k string) string {
				if k == "EPIGUARD_LOG_LEVEL" {
					return "debug"
				}
				return ""
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			stderr := &interrupter{cancel: cancel}
			var stdout bytes.Buffer
			code := cli.Main(ctx, append([]string{"demo", "--db", dsn}, mode...), env, strings.NewReader(""), &stdout, stderr)
			if code == 0 || !strings.Contains(stderr.String(), "was interrupted") || !strings.Contains(stderr.String(), "delete "+path) {
				t.Fatalf("interrupted demo: exit %d\n%s%s", code, stdout.String(), stderr.String())
			}
			r := runWith(t, nil, "", append([]string{"demo", "--db", dsn}, mode...)...)
			if r.code != 2 || !strings.Contains(r.stderr, "part of the demo data set") || !strings.Contains(r.stderr, "delete "+path) {
				t.Fatalf("demo over the interrupted load: %+v", r)
			}
		})
	}
}
