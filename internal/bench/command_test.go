package bench_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"epiguard/internal/cli"
)

// TestBenchCheckinCommand runs `epiguard bench checkin`, the command that
// wires this package to the real server, on a small school: its last line
// on stdout is SPEC §7.1's key=value result and every 2xx is a row.
func TestBenchCheckinCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a school and runs two timed loads; not with -short")
	}
	dbPath := filepath.Join(t.TempDir(), "bench.db")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, stdout, stderr := run("bench", "checkin", "--people", "300", "--duration", "500ms", "--clients", "4", "--db", "sqlite:"+dbPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^checkins_per_s=\d+\.\d\d p50_ms=\d+\.\d\d p99_ms=\d+\.\d\d ceiling_per_s=\d+\.\d\d ratio=\d+\.\d\d$`).MatchString(last) {
		t.Fatalf("last line %q", last)
	}
	if !regexp.MustCompile(`(?m)^durable_ok=true rows=[1-9]\d* acknowledged=[1-9]\d*$`).MatchString(stderr) {
		t.Fatalf("no durable_ok=true on stderr:\n%s", stderr)
	}
	if _, err := os.Stat(dbPath); err != nil {
		t.Fatalf("--db file not kept: %v", err)
	}
	// A database that exists already is never benchmarked over.
	if code, _, stderr := run("bench", "checkin", "--db", "sqlite:"+dbPath); code != 2 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("existing --db: exit %d\n%s", code, stderr)
	}
	if code, _, _ := run("bench", "frobnicate"); code != 2 {
		t.Fatalf("unknown benchmark: exit %d", code)
	}
}
