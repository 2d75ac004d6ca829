package testdb_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"epiguard/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdb.Shutdown()
	os.Exit(code)
}

func TestSQLite(t *testing.T) {
	dsn := testdb.SQLite(t)
	path, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		t.Fatalf("SQLite DSN %q does not start with sqlite:", dsn)
	}
	if !filepath.IsAbs(path) || filepath.Base(path) != "test.db" {
		t.Fatalf("SQLite path %q is not an absolute path to test.db", path)
	}
	if !strings.HasPrefix(path, os.TempDir()+string(filepath.Separator)) {
		t.Fatalf("SQLite path %q is not under the temporary directory %s", path, os.TempDir())
	}
	if info, err := os.Stat(filepath.Dir(path)); err != nil || !info.IsDir() {
		t.Fatalf("SQLite directory of %q does not exist: %v", path, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("SQLite file %q should not exist yet (err=%v)", path, err)
	}
	if other := testdb.SQLite(t); other == dsn {
		t.Fatalf("two SQLite calls returned the same DSN %q", dsn)
	}
}

func TestPostgres(t *testing.T) {
	dsns := []string{testdb.Postgres(t), testdb.Postgres(t)}
	if dsns[0] == dsns[1] {
		t.Fatalf("two Postgres calls returned the same DSN %q", dsns[0])
	}

	names := make([]string, len(dsns))
	for i, dsn := range dsns {
		if !strings.HasPrefix(dsn, "postgres://") {
			t.Fatalf("DSN %q does not start with postgres://", dsn)
		}
		db := open(t, dsn)

		var one int
		if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("SELECT 1 on %s: got %d, %v", dsn, one, err)
		}
		if err := db.QueryRow("SELECT current_database()").Scan(&names[i]); err != nil {
			t.Fatal(err)
		}

		// Empty: no relations outside the system schemas.
		var relations int
		err := db.QueryRow(`SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`).Scan(&relations)
		if err != nil {
			t.Fatal(err)
		}
		if relations != 0 {
			t.Fatalf("database %s is not empty: %d relations", names[i], relations)
		}
	}
	if names[0] == names[1] {
		t.Fatalf("both DSNs point at database %s", names[0])
	}

	// A table made in one database must not appear in the other.
	if _, err := open(t, dsns[0]).Exec("CREATE TABLE marker (id int)"); err != nil {
		t.Fatal(err)
	}
	var found bool
	if err := open(t, dsns[1]).QueryRow("SELECT to_regclass('marker') IS NOT NULL").Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found {
		t.Fatal("table created in the first database is visible in the second")
	}
}

// TestPostgresDropped checks that a test's database is gone once the test
// ends, even though the test leaves a connection open.
func TestPostgresDropped(t *testing.T) {
	observer := open(t, testdb.Postgres(t))

	var name string
	t.Run("inner", func(t *testing.T) {
		db := open(t, testdb.Postgres(t))
		// Keep a connection busy in a transaction; WITH (FORCE) must end it.
		tx, err := db.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = tx // left open on purpose
		if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})

	// pg_database is a shared catalog, visible from any database.
	var exists bool
	if err := observer.QueryRow("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

func TestEngines(t *testing.T) {
	engines := testdb.Engines()
	if len(engines) != 2 || engines[0].Name != "sqlite" || engines[1].Name != "postgres" {
		t.Fatalf("Engines() = %+v, want sqlite then postgres", engines)
	}
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			if dsn := e.DSN(t); !strings.HasPrefix(dsn, e.Name+":") {
				t.Fatalf("%s DSN %q does not start with %s:", e.Name, dsn, e.Name)
			}
		})
	}
}

// open connects to dsn and checks the connection, closing it when the test ends.
func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("ping %s: %v", dsn, err)
	}
	return db
}
