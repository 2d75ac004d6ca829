// Package testdb gives tests a real, empty database to run against (SPEC §8).
//
// SQLite databases are files in t.TempDir(). PostgreSQL databases are created
// on the server named by EPIGUARD_TEST_POSTGRES, or else on a throwaway cluster
// that this package starts once per test binary from the PostgreSQL binaries
// installed on the machine. Every Postgres call creates a fresh database with
// a unique name and drops it when the test ends, so tests never see each
// other's data and may run in parallel.
//
// A package that uses Postgres should stop the throwaway cluster when its
// tests are done:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		testdb.Shutdown()
//		os.Exit(code)
//	}
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	// Registers the "pgx" database/sql driver used to create, drop and ping databases.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// Environment variables that steer Postgres.
const (
	// envServer names an existing server (a libpq URL) on which the helper
	// may create and drop databases; when set, no cluster is started.
	envServer = "EPIGUARD_TEST_POSTGRES"
	// envRequire=1 turns "no PostgreSQL here" from a skip into a failure, so
	// CI cannot silently stop testing the PostgreSQL store.
	envRequire = "EPIGUARD_REQUIRE_POSTGRES"
)

const noBinariesMessage = "postgres: no PostgreSQL binaries found (install postgresql or set " + envServer + ")"

// dbTimeout bounds creating or dropping one database.
const dbTimeout = 30 * time.Second

// SQLite returns a DSN "sqlite:/tmp/.../test.db" for a database file that does
// not exist yet, in a directory removed when the test ends.
func SQLite(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

// Postgres returns a DSN "postgres://...@HOST:PORT/DBNAME?sslmode=disable"
// for a fresh, empty database created for this test and dropped (WITH FORCE,
// so connections the test left open do not block it) when the test ends.
//
// It skips the test when the machine has no PostgreSQL, unless
// EPIGUARD_REQUIRE_POSTGRES=1, in which case it fails it.
func Postgres(t testing.TB) string {
	t.Helper()

	server, err := serverURL(t)
	if errors.Is(err, errNoBinaries) {
		if os.Getenv(envRequire) == "1" {
			t.Fatal(noBinariesMessage)
		}
		t.Skip(noBinariesMessage)
	}
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}

	name := uniqueName()
	if err := createDatabase(server, name); err != nil {
		t.Fatalf("postgres: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(server, name); err != nil {
			t.Errorf("postgres: drop database %s: %v", name, err)
		}
	})

	dsn := *server
	dsn.Path = "/" + name
	dsn.RawPath = ""
	return dsn.String()
}

// Engine is one database engine the store tests run on.
type Engine struct {
	Name string
	DSN  func(t testing.TB) string
}

// Engines returns SQLite and PostgreSQL, so a store test can run the same
// body on both:
//
//	for _, e := range testdb.Engines() {
//		t.Run(e.Name, func(t *testing.T) { dsn := e.DSN(t); ... })
//	}
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", DSN: SQLite},
		{Name: "postgres", DSN: Postgres},
	}
}

// Shutdown stops the throwaway PostgreSQL cluster, if this test binary started
// one, and removes its files. Call it from TestMain after m.Run; a test binary
// that does not call it leaves a running postmaster behind.
func Shutdown() {
	stopSharedCluster()
}

// serverURL returns the URL of a server on which the helper may create
// databases: EPIGUARD_TEST_POSTGRES if set, else the throwaway cluster.
func serverURL(t testing.TB) (*url.URL, error) {
	t.Helper()
	if raw := os.Getenv(envServer); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return nil, fmt.Errorf("%s must be a postgres://user@host:port/db URL, got %q", envServer, raw)
		}
		// The application recognises the postgres:// form (SPEC §4.1).
		u.Scheme = "postgres"
		return u, nil
	}
	c, err := sharedCluster(t)
	if err != nil {
		return nil, err
	}
	return c.url(), nil
}

// uniqueName returns a database name no other test, test binary or earlier
// run on the same server will use.
func uniqueName() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return "epiguard_test_" + hex.EncodeToString(b)
}

// The database names made by uniqueName are "epiguard_test_" plus hex
// digits, so the statements below need no identifier escaping.

// createDatabase creates an empty database called name on server.
func createDatabase(server *url.URL, name string) error {
	return withAdmin(server, func(ctx context.Context, db *sql.DB) error {
		statement := `CREATE DATABASE "` + name + `"`
		// With fsync off, copying the template's files (FILE_COPY) is several
		// times faster than PostgreSQL 15's default of WAL-logging every page,
		// and it adds up over hundreds of tests. Older servers lack STRATEGY.
		var version int
		if err := db.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
			return err
		}
		if version >= 150000 {
			statement += " STRATEGY = FILE_COPY"
		}
		_, err := db.ExecContext(ctx, statement)
		return err
	})
}

// dropDatabase drops the database called name on server. WITH (FORCE)
// (PostgreSQL 13+) ends connections the test left open instead of failing.
func dropDatabase(server *url.URL, name string) error {
	return withAdmin(server, func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
		return err
	})
}

// withAdmin calls f with a connection pool to the server's own database (the
// one named in server), opened just for f so it never competes with the
// test's connections, and with a deadline so a wedged server fails the test
// instead of hanging it until the go test timeout.
func withAdmin(server *url.URL, f func(ctx context.Context, db *sql.DB) error) error {
	db, err := sql.Open("pgx", server.String())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	return f(ctx, db)
}
