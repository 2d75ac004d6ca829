package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"epiguard/internal/cli"
	"epiguard/internal/domain"
	"epiguard/internal/secret"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

// runWith calls the CLI entry with exactly the given environment. A
// command that should fail but serves instead ends after 20 s.
func runWith(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := cli.Main(ctx, args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// exists reports whether path is there.
func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// withPhones makes a database at dir/a.db with a unit and a person whose
// phone is encrypted under the key file dir/epiguard.key (the default
// beside the database), through the CLI.
func withPhones(t *testing.T, dir string) string {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(dir, "a.db")
	if r := runWith(t, nil, "", "org", "add", "--db", dsn, "--code", "S", "--name", "学校", "--kind", "school"); r.code != 0 {
		t.Fatalf("org add: %+v", r)
	}
	roster := filepath.Join(dir, "r.csv")
	os.WriteFile(roster, []byte("external_id,name,phone\n1,张三,13800138000\n"), 0o600)
	if r := runWith(t, nil, "", "import", "people", "--db", dsn, "--org", "S", roster); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	return dsn
}

// A copy of a database without its key file (a backup served elsewhere, a
// mistyped EPIGUARD_KEY_FILE) is refused: a new key would not read the
// data and would mix two keys in it.
func TestMissingKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	dsn := withPhones(t, dir)
	copyDir := t.TempDir()
	backup := filepath.Join(copyDir, "copy.db")
	if r := runWith(t, nil, "", "backup", "--db", dsn, "-o", backup); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		keyFile string
	}{
		{"default beside the copy", nil, filepath.Join(copyDir, "epiguard.key")},
		{"mistyped variable", map[string]string{"EPIGUARD_KEY_FILE": filepath.Join(dir, "epiguard.kee")}, filepath.Join(dir, "epiguard.kee")},
	} {
		for _, cmd := range [][]string{{"migrate"}, {"counts", "rebuild"}, {"backup", "-o", filepath.Join(copyDir, "b2.db")}} {
			r := runWith(t, tc.vars, "", append(cmd, "--db", "sqlite:"+backup)...)
			if r.code != 2 || !strings.Contains(r.stderr, "EPIGUARD_KEY_FILE") || !strings.Contains(r.stderr, tc.keyFile) || !strings.Contains(r.stderr, "copied") {
				t.Errorf("%s: %v: exit %d, stderr %q; want 2 naming EPIGUARD_KEY_FILE and %s", tc.name, cmd, r.code, r.stderr, tc.keyFile)
			}
			if exists(t, tc.keyFile) {
				t.Fatalf("%s: %v created the key file %s", tc.name, cmd, tc.keyFile)
			}
		}
	}
	if exists(t, filepath.Join(copyDir, "b2.db")) {
		t.Error("backup without the key wrote a file")
	}
	// With the key file that belongs to it, the copy opens.
	key := map[string]string{"EPIGUARD_KEY_FILE": filepath.Join(dir, "epiguard.key")}
	if r := runWith(t, key, "", "migrate", "--db", "sqlite:"+backup); r.code != 0 {
		t.Fatalf("copy with its key: %+v", r)
	}
}

// A key file that is present but not the one the data was written with is
// refused, whether the database has the key check (written by this
// version) or not (an older database: one encrypted value is tried).
func TestWrongKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	dsn := withPhones(t, dir)
	wrong := filepath.Join(t.TempDir(), "wrong.key")
	if err := secret.WriteKey(wrong, secret.NewKey()); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"EPIGUARD_KEY_FILE": wrong}
	for _, cmd := range [][]string{{"migrate"}, {"backup", "-o", filepath.Join(dir, "b.db")}} {
		if r := runWith(t, vars, "", append(cmd, "--db", dsn)...); r.code != 2 || !strings.Contains(r.stderr, "is not the key") || !strings.Contains(r.stderr, wrong) {
			t.Errorf("%v with a wrong key: %+v", cmd, r)
		}
	}

	// An older database: encrypted data written straight through the store,
	// no key check stored.
	legacyDir := t.TempDir()
	legacy := "sqlite:" + filepath.Join(legacyDir, "old.db")
	keyFile := filepath.Join(legacyDir, "epiguard.key")
	key, err := secret.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(key)
	ctx := context.Background()
	db, err := store.Open(ctx, legacy, store.Options{Box: box})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := &domain.Org{Code: "S", Name: "学校", Kind: "school", Responsible: []domain.Responsible{}}
	if err := db.CreateOrg(ctx, domain.System(), o); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePerson(ctx, domain.System(), &domain.Person{ExternalID: "1", Name: "张三", OrgID: o.ID, Phone: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.Setting(ctx, "key_check"); v != "" {
		t.Fatalf("the store recorded a key check by itself: %q", v)
	}
	db.Close()
	if r := runWith(t, vars, "", "migrate", "--db", legacy); r.code != 2 || !strings.Contains(r.stderr, "is not the key") {
		t.Fatalf("older database with a wrong key: %+v", r)
	}
	if r := runWith(t, nil, "", "migrate", "--db", legacy); r.code != 0 {
		t.Fatalf("older database with its key: %+v", r)
	}
	// Its key check is now stored, so a wrong key is caught without data.
	db, err = store.Open(ctx, legacy, store.Options{Box: box})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Setting(ctx, "key_check"); v != box.KeyCheck() {
		t.Fatalf("key check after the first open: %q, want %q", v, box.KeyCheck())
	}
}

// A new database gets a new key file, and keeps using it.
func TestNewDatabaseGetsKey(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "data", "new.db")
	for range 2 {
		if r := runWith(t, nil, "", "migrate", "--db", dsn); r.code != 0 {
			t.Fatalf("migrate: %+v", r)
		}
	}
	if _, err := secret.LoadKey(filepath.Join(dir, "data", "epiguard.key")); err != nil {
		t.Fatalf("no key file beside the new database: %v", err)
	}
}

// Commands that need existing data refuse a mistyped database path instead
// of creating an empty database and a key beside it.
func TestMissingDatabaseNotCreated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "nothere.db")
	dsn := "sqlite:" + path
	roster := filepath.Join(dir, "r.csv")
	os.WriteFile(roster, []byte("external_id,name\n1,张三\n"), 0o600)
	out := filepath.Join(dir, "b.db")
	for _, tc := range []struct {
		args  []string
		stdin string
	}{
		{[]string{"backup", "--db", dsn, "-o", out}, ""},
		{[]string{"counts", "rebuild", "--db", dsn}, ""},
		{[]string{"import", "people", "--db", dsn, "--org", "S", roster}, ""},
		{[]string{"user", "add", "--db", dsn, "--username", "u", "--role", "admin", "--org", "S"}, "pw\n"},
	} {
		r := runWith(t, nil, tc.stdin, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, "no such database: "+path) {
			t.Errorf("%v: exit %d, stderr %q; want 2, no such database", tc.args, r.code, r.stderr)
		}
		for _, p := range []string{path, filepath.Dir(path), out} {
			if exists(t, p) {
				t.Fatalf("%v created %s", tc.args, p)
			}
		}
	}
}

// Key file problems are bad input (exit 2) and name EPIGUARD_KEY_FILE; a
// database path under a file is a database problem, not a key problem.
func TestKeyFileAndPathErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	dsn := "sqlite:" + filepath.Join(dir, "e.db")
	for _, keyFile := range []string{short, dir} {
		r := runWith(t, map[string]string{"EPIGUARD_KEY_FILE": keyFile}, "", "migrate", "--db", dsn)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "epiguard: EPIGUARD_KEY_FILE: ") {
			t.Errorf("EPIGUARD_KEY_FILE=%s: exit %d, stderr %q; want 2 naming the variable", keyFile, r.code, r.stderr)
		}
	}
	if exists(t, filepath.Join(dir, "e.db")) {
		t.Error("a bad key file left a new database behind")
	}
	file := filepath.Join(dir, "m1.db")
	os.WriteFile(file, nil, 0o600)
	for _, db := range []string{file + "/x.db", dir} {
		r := runWith(t, nil, "", "migrate", "--db", "sqlite:"+db)
		if r.code != 2 || !strings.Contains(r.stderr, "--db") || strings.Contains(r.stderr, "key") {
			t.Errorf("--db sqlite:%s: exit %d, stderr %q; want 2, a database path problem", db, r.code, r.stderr)
		}
	}
}

// Commands that take flags only refuse stray arguments, and version has a
// -h like the others.
func TestStrayArguments(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "s.db")
	for _, args := range [][]string{
		{"migrate", "--db", dsn, "extra"},
		{"counts", "rebuild", "--db", dsn, "extra"},
		{"org", "add", "--db", dsn, "--code", "S", "--name", "N", "--kind", "school", "extra"},
		{"serve", "--db", dsn, "--addr", "127.0.0.1:0", "extra"},
		{"demo", "--db", dsn, "--seed-only", "extra"},
		{"backup", "--db", dsn, "-o", filepath.Join(dir, "x.db"), "extra"},
		{"version", "extra"},
		{"version", "--bogus"},
	} {
		if r := runWith(t, nil, "", args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, r.code, r.stderr)
		}
	}
	if r := runWith(t, nil, "", "version", "-h"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "Usage") {
		t.Errorf("version -h: %+v; want its help, exit 0", r)
	}
}

// The key check alone catches a wrong key, on both engines: the database
// below holds no encrypted value to try.
func TestKeyCheckEngines(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			right := map[string]string{"EPIGUARD_KEY_FILE": filepath.Join(t.TempDir(), "right.key")}
			wrong := map[string]string{"EPIGUARD_KEY_FILE": filepath.Join(t.TempDir(), "wrong.key")}
			if err := secret.WriteKey(wrong["EPIGUARD_KEY_FILE"], secret.NewKey()); err != nil {
				t.Fatal(err)
			}
			if r := runWith(t, right, "", "migrate", "--db", dsn); r.code != 0 {
				t.Fatalf("migrate: %+v", r)
			}
			if r := runWith(t, wrong, "", "migrate", "--db", dsn); r.code != 2 || !strings.Contains(r.stderr, "is not the key") {
				t.Fatalf("migrate with another key: %+v", r)
			}
			if r := runWith(t, right, "", "migrate", "--db", dsn); r.code != 0 {
				t.Fatalf("migrate with the right key again: %+v", r)
			}
		})
	}
}
