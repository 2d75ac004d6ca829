package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"epiguard/internal/cli"
)

// TestServeRejectsBadTimes checks that a mistyped reminder or alert-pass
// time stops serve with exit code 2 instead of a server whose job never
// (or, with a stray space, always) runs.
func TestServeRejectsBadTimes(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"EPIGUARD_REMIND_TIMES", "25:00"},
		{"EPIGUARD_REMIND_TIMES", "08:00,noon"},
		{"EPIGUARD_DETECT_TIMES", "abc"},
		{"EPIGUARD_DETECT_TIMES", "10:00,,21:00"},
	} {
		dir := t.TempDir()
		env := func(k string) string {
			switch k {
			case tc.name:
				return tc.value
			case "EPIGUARD_KEY_FILE":
				return filepath.Join(dir, "k.key")
			}
			return ""
		}
		var out, errb bytes.Buffer
		// Were the times accepted, serve would run until the context ends.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		code := cli.Main(ctx, []string{"serve", "--db", "sqlite:" + filepath.Join(dir, "e.db"), "--addr", "127.0.0.1:0"}, env, strings.NewReader(""), &out, &errb)
		cancel()
		if code != 2 || !strings.Contains(errb.String(), tc.name) {
			t.Errorf("%s=%q: exit %d, stderr %q; want 2 naming the variable", tc.name, tc.value, code, errb.String())
		}
	}
}
