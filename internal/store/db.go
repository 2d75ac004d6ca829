// Package store keeps EpiGuard's data in SQLite (embedded, the default) or
// PostgreSQL through database/sql. SQL is written once with $N placeholders,
// which both drivers bind; the few real differences between the engines sit
// behind the dialect field and the per-engine migration folders.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite", pure Go: no cgo in the binary

	"epiguard/internal/domain"
	"epiguard/internal/secret"
)

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is the store. Writes go through one connection on SQLite (SQLite has
// one writer; queueing in Go is cheaper than SQLITE_BUSY retries) and
// reads through a pool; on PostgreSQL both are the same pool.
type DB struct {
	engine string
	write  *sql.DB
	read   *sql.DB
	box    *secret.Box
	log    *slog.Logger
	now    func() time.Time
	// loc is the installation's time zone: the date of a gate scan.
	loc *time.Location
	// onSubjects, when set, hears of people newly showing a surveillance
	// subject, after the record is committed (SetSubjectHook).
	onSubjects SubjectHook
	// engines caches the compiled status rules.
	engines engineCache
	// calendars caches the school calendars for the status facts.
	calendars calendarCache
	stmts     stmtCache
	// group and groupDone run SQLite's group commit (group.go).
	group     chan groupReq
	groupDone chan struct{}
}

// Options configure Open.
type Options struct {
	Box    *secret.Box
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Location is the installation's time zone (EPIGUARD_TZ), in which
	// timestamps become dates; Asia/Shanghai when nil.
	Location *time.Location
}

// Location is the installation's time zone the store turns timestamps
// into dates in.
func (db *DB) Location() *time.Location { return db.loc }

// shanghai is the default time zone, fixed at UTC+8 when the system has
// no zone database (China has had no daylight saving since 1991).
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// ParseDSN splits a DSN of the forms "sqlite:PATH" and "postgres://…"
// into the engine and the driver's data source name.
func ParseDSN(dsn string) (engine, path string, err error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return "", "", fmt.Errorf("dsn %q: missing file path after \"sqlite:\"", dsn)
		}
		return SQLite, p, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return "", "", fmt.Errorf("dsn: %w", err)
		}
		return Postgres, dsn, nil
	}
	return "", "", fmt.Errorf("dsn %q: must start with sqlite: or postgres://", dsn)
}

// Open connects to the database named by dsn. It does not migrate.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	engine, src, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db := &DB{engine: engine, box: opt.Box, log: opt.Logger, now: opt.Now, loc: opt.Location}
	if db.loc == nil {
		db.loc = shanghai()
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	switch engine {
	case SQLite:
		if dir := filepath.Dir(src); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("open database: %w", err)
			}
		}
		// busy_timeout comes first so that the other pragmas, which may
		// need a lock, already wait instead of failing. WAL lets readers
		// run beside the writer; synchronous(FULL) makes every commit
		// durable before it is acknowledged, even across a power cut.
		q := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
			"&_pragma=foreign_keys(1)&_pragma=temp_store(memory)&_txlock=immediate&_time_format=sqlite"
		// The one writer gets a page cache of up to 256 MiB (allocated as
		// used): a large import touches random pages of several unique
		// indexes, and a small cache spills them to the WAL mid-transaction.
		// Readers get 16 MiB each.
		if db.write, err = sql.Open("sqlite", "file:"+src+q+"&_pragma=cache_size(-262144)"); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetConnMaxIdleTime(0)
		if db.read, err = sql.Open("sqlite", "file:"+src+q+"&_pragma=cache_size(-16384)&mode=ro"); err != nil {
			db.write.Close()
			return nil, fmt.Errorf("open database: %w", err)
		}
		db.read.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
		db.read.SetMaxIdleConns(max(4, runtime.NumCPU()*2))
	case Postgres:
		if db.write, err = sql.Open("pgx", src); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		db.write.SetMaxOpenConns(32)
		db.write.SetMaxIdleConns(32)
		db.read = db.write
	}
	// The first write opens the file and sets WAL; doing it here surfaces a
	// bad path or server at start-up rather than at the first request.
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", engine, err)
	}
	if engine == SQLite {
		db.startGroupCommitter()
	}
	return db, nil
}

// Engine returns SQLite or Postgres.
func (db *DB) Engine() string { return db.engine }

// Close closes the connection pools.
func (db *DB) Close() error {
	if db.group != nil {
		close(db.group)
		<-db.groupDone
		db.group = nil
	}
	db.stmts.close()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Box returns the encryption box the store uses.
func (db *DB) Box() *secret.Box { return db.box }

// transact runs fn in a write transaction, committing when fn returns nil
// and rolling back on error or panic.
func (db *DB) transact(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
			return
		}
		if cerr := tx.Commit(); cerr != nil {
			err = fmt.Errorf("commit: %w", cerr)
		}
	}()
	return fn(tx)
}

// What lockFor serialises: each kind is a namespace of ids.
const (
	lockPerson int32 = iota + 1 // a person's records, status and counts
	lockAlerts                  // the alerts of a unit
	lockRules                   // the status rules' versions
	lockJobs                    // the claims of background jobs
)

// lockFor makes the transactions that lock the same kind and id on
// PostgreSQL run one after the other, until each ends. App nodes share
// the database and each serves requests at once, so a transaction that
// reads, decides and then writes (a check-in revising the slot's record
// and adding its difference to the daily counts, an alert merged into an
// open one, the next rule version) must hold the lock before its first
// read. Under READ COMMITTED each later statement then sees what the
// previous holder committed. SQLite needs nothing: its one write
// connection runs IMMEDIATE transactions one at a time. Ids beyond 32 bits
// share locks, which only serialises more.
func (db *DB) lockFor(ctx context.Context, tx *sql.Tx, kind int32, id int64) error {
	if db.engine == SQLite {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, kind, int32(id)); err != nil {
		return fmt.Errorf("lock %d/%d: %w", kind, id, err)
	}
	return nil
}

// isUniqueViolation reports whether err is a UNIQUE constraint failure.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// like escapes s for a LIKE pattern with '\' as the escape character.
func like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Backup writes a consistent copy of a SQLite database to path while the
// database stays in use (VACUUM INTO reads one snapshot). The file must not
// exist yet. PostgreSQL is backed up with its own tools.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.engine != SQLite {
		return domain.Errorf(domain.EInvalid, "backup of PostgreSQL: use pg_dump, e.g. pg_dump --format=custom --file=epiguard.dump DSN")
	}
	if _, err := os.Stat(path); err == nil {
		return domain.Errorf(domain.EInvalid, "%s already exists: choose a new file name", path)
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
