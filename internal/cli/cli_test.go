package cli_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"epiguard/internal/cli"
	"epiguard/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdb.Shutdown()
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// run calls the CLI entry exactly as main does, with a private key file.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCtx(context.Background(), t, stdin, args...)
}

func runCtx(ctx context.Context, t *testing.T, stdin string, args ...string) result {
	t.Helper()
	key := filepath.Join(t.TempDir(), "k.key")
	env := func(k string) string {
		if k == "EPIGUARD_KEY_FILE" {
			return os.Getenv("TEST_KEY_FILE_" + t.Name())
		}
		return ""
	}
	if os.Getenv("TEST_KEY_FILE_"+t.Name()) == "" {
		t.Setenv("TEST_KEY_FILE_"+t.Name(), key)
	}
	var out, errb bytes.Buffer
	code := cli.Main(ctx, args, env, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestUsageAndVersion(t *testing.T) {
	if r := run(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "epiguard ") {
		t.Fatalf("version: %+v", r)
	}
	if r := run(t, ""); r.code != 2 {
		t.Fatalf("no command: %d", r.code)
	}
	if r := run(t, "", "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Fatalf("unknown command: %+v", r)
	}
	if r := run(t, "", "migrate", "--db", "mysql://x"); r.code != 2 {
		t.Fatalf("bad dsn: %+v", r)
	}
	if r := run(t, "", "import", "people"); r.code != 2 {
		t.Fatalf("import without args: %+v", r)
	}
}

func setup(t *testing.T, dsn string) {
	t.Helper()
	if r := run(t, "", "migrate", "--db", dsn); r.code != 0 || !strings.HasPrefix(r.stdout, "schema version ") {
		t.Fatalf("migrate: %+v", r)
	}
	for _, a := range [][]string{
		{"--code", "S1", "--name", "实验中学", "--kind", "school"},
		{"--code", "C1", "--name", "初一(1)班", "--kind", "class", "--parent", "S1"},
	} {
		if r := run(t, "", append([]string{"org", "add", "--db", dsn}, a...)...); r.code != 0 {
			t.Fatalf("org add: %+v", r)
		}
	}
	if r := run(t, "s3cret-pw\n", "user", "add", "--db", dsn, "--username", "admin", "--role", "admin", "--org", "S1"); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	if r := run(t, "", "user", "add", "--db", dsn, "--username", "x", "--role", "admin", "--org", "S1"); r.code != 2 {
		t.Fatalf("user add without password: %+v", r)
	}
	if r := run(t, "pw12\n", "user", "add", "--db", dsn, "--username", "y", "--role", "wizard", "--org", "S1"); r.code != 2 || !strings.Contains(r.stderr, "role") {
		t.Fatalf("user add with bad role: %+v", r)
	}
}

func TestImportPeople(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			setup(t, dsn)
			dir := t.TempDir()
			bad := filepath.Join(dir, "bad.csv")
			os.WriteFile(bad, []byte("学号,姓名,身份证号,手机号\n1,张三,110105201003071234,13800138000\n2,,,1234\n"), 0o600)
			r := run(t, "", "import", "people", "--db", dsn, "--org", "S1", bad)
			if r.code != 2 {
				t.Fatalf("bad import exit %d: %+v", r.code, r)
			}
			for _, want := range []string{"2:身份证号: ", "3:姓名: required", "3:手机号: ", "imported 0, updated 0, invalid 2"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("report lacks %q:\n%s", want, r.stdout)
				}
			}
			good := filepath.Join(dir, "good.csv")
			os.WriteFile(good, []byte("\ufeffexternal_id,name,org_code\n1,张三,C1\n2,李四,C1\n"), 0o600)
			if r := run(t, "", "import", "people", "--db", dsn, "--org", "S1", good); r.code != 0 || r.stdout != "imported 2, updated 0, invalid 0\n" {
				t.Fatalf("good import: %+v", r)
			}
			if r := run(t, "", "import", "people", good, "--db", dsn, "--org", "S1"); r.code != 0 || r.stdout != "imported 0, updated 0, invalid 0\n" {
				t.Fatalf("re-import: %+v", r)
			}
			if r := run(t, "", "import", "people", "--db", dsn, "--org", "S1", "--skip-invalid", bad); r.code != 0 || !strings.Contains(r.stdout, "invalid 2") {
				t.Fatalf("skip invalid: %+v", r)
			}
			if r := run(t, "", "import", "people", "--db", dsn, "--org", "NOPE", good); r.code != 2 {
				t.Fatalf("unknown org: %+v", r)
			}
			if r := run(t, "", "import", "people", "--db", dsn, "--org", "S1", filepath.Join(dir, "missing.csv")); r.code != 2 {
				t.Fatalf("missing file: %+v", r)
			}
		})
	}
}

func TestBackup(t *testing.T) {
	dsn := testdb.SQLite(t)
	setup(t, dsn)
	out := filepath.Join(t.TempDir(), "b.db")
	if r := run(t, "", "backup", "--db", dsn, "-o", out); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	// The copy is a working database: the admin account is in it.
	if r := run(t, "pw12\n", "user", "add", "--db", "sqlite:"+out, "--username", "admin", "--role", "admin", "--org", "S1"); r.code != 2 || !strings.Contains(r.stderr, "taken") {
		t.Fatalf("backup lacks data: %+v", r)
	}
	if r := run(t, "", "backup", "--db", dsn, "-o", out); r.code != 2 {
		t.Fatalf("backup over an existing file: %+v", r)
	}
	if r := run(t, "", "backup", "--db", "postgres://u@127.0.0.1:1/x", "-o", out); r.code != 2 || !strings.Contains(r.stdout, "pg_dump") {
		t.Fatalf("postgres backup advice: %+v", r)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestDemoAndServe(t *testing.T) {
	dsn := testdb.SQLite(t)
	r := run(t, "", "demo", "--db", dsn, "--seed-only")
	if r.code != 0 || !strings.Contains(r.stdout, "district") || !strings.Contains(r.stdout, "demo data loaded") {
		t.Fatalf("demo --seed-only: %+v", r)
	}
	if r := run(t, "", "demo", "--db", dsn, "--seed-only"); r.code != 0 || !strings.Contains(r.stdout, "already holds the demo") {
		t.Fatalf("second demo: %+v", r)
	}
	other := testdb.SQLite(t)
	setup(t, other)
	if r := run(t, "", "demo", "--db", other, "--seed-only"); r.code != 2 {
		t.Fatalf("demo into a non-empty database: %+v", r)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- runCtx(ctx, t, "", "serve", "--db", dsn, "--addr", addr) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not answer /healthz")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stderr, "demo data set") {
			t.Fatalf("serve: %+v", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
