package cli

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"

	"epiguard/internal/secret"
	"epiguard/internal/store"
)

// access says what a command may do to the database it opens.
type access int

const (
	// mayCreate migrates, creating a missing database and, for a database
	// without encrypted data, its key file (serve, demo, migrate, org add).
	mayCreate access = iota
	// mustExist migrates a database that must already exist (counts
	// rebuild, import people, user add: they need data to work on).
	mustExist
	// asIs opens a database that must exist and changes nothing: no
	// migration, no key file, no key check (backup).
	asIs
)

// open connects to the database with the encryption key (SPEC §7.3) and,
// unless a is asIs, applies pending migrations and returns the schema
// version. A key file is created only for a database that holds no
// encrypted data yet; a missing or wrong key for one that does is refused,
// as the server would otherwise fail to read it and mix two keys in it.
func (e *env) open(ctx context.Context, dsn string, a access) (*store.DB, int, error) {
	engine, path, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, 0, usagef("--db: %v", err)
	}
	if engine == store.SQLite {
		if err := checkSQLitePath(path, a != mayCreate); err != nil {
			return nil, 0, err
		}
	}
	loc, err := e.location()
	if err != nil {
		return nil, 0, err
	}
	keyFile, from := e.keyFile(dsn)
	for {
		key, err := secret.LoadKey(keyFile)
		missing := errors.Is(err, fs.ErrNotExist)
		if missing {
			key = secret.NewKey()
		} else if err != nil {
			return nil, 0, keyFileError(from, err)
		}
		box, err := secret.NewBox(key)
		if err != nil {
			return nil, 0, err
		}
		db, err := store.Open(ctx, dsn, store.Options{Box: box, Logger: e.log, Location: loc})
		if err != nil {
			return nil, 0, err
		}
		v, retry, err := e.prepare(ctx, db, dsn, a, keyFile, from, key, missing)
		if err != nil || retry {
			db.Close()
		}
		if err != nil {
			return nil, 0, err
		}
		if !retry {
			return db, v, nil
		}
	}
}

// prepare checks the key against the database, before migrating it, and
// then records the key check. With no key file (missing), key becomes the
// new key file, unless the database holds encrypted data; retry asks the
// caller to start again, when another process wrote a key file first. An
// asIs open writes nothing, not even a new key: the database it reads
// holds nothing encrypted.
func (e *env) prepare(ctx context.Context, db *store.DB, dsn string, a access, keyFile, from string, key []byte, missing bool) (v int, retry bool, err error) {
	wrongKey := func() error {
		return usagef("the key file %s (%s) is not the key the data in %s was encrypted with: "+
			"set "+keyVar+" to the key file kept with this database or its backup", keyFile, from, dbName(dsn))
	}
	if missing {
		held, err := db.HoldsEncrypted(ctx)
		if err != nil {
			return 0, false, err
		}
		if held {
			if _, err := os.Stat(keyFile); err == nil {
				return 0, true, nil // another process made the key just now
			}
			return 0, false, usagef("no key file at %s (%s), but %s was written with a key file: "+
				"set "+keyVar+" to the key file that belongs to this database. "+
				"A key file must be copied together with its database or backup; a new key could not read the data, so none was made",
				keyFile, from, dbName(dsn))
		}
	} else if err := db.VerifyKey(ctx, false); errors.Is(err, store.ErrWrongKey) {
		return 0, false, wrongKey()
	} else if err != nil {
		return 0, false, err
	}
	if a == asIs {
		return 0, false, nil
	}
	if v, err = db.Migrate(ctx); err != nil {
		return 0, false, err
	}
	if missing {
		err := secret.WriteKey(keyFile, key)
		if errors.Is(err, fs.ErrExist) {
			return 0, true, nil
		}
		if err != nil {
			return 0, false, keyFileError(from, err)
		}
		e.log.Info("created a new key file: keep it with the database and its backups", "path", keyFile)
	}
	// Record the key check; with two nodes starting at once, the first one
	// stored wins and the other's key is compared with it.
	if err := db.VerifyKey(ctx, true); errors.Is(err, store.ErrWrongKey) {
		return 0, false, wrongKey()
	} else if err != nil {
		return 0, false, err
	}
	return v, false, nil
}

// keyVar names the key file's variable in messages.
const keyVar = "EPIGUARD_KEY_FILE"

// keyFile returns the key file's path and where it comes from, for
// messages: keyVar, or that it is the default.
func (e *env) keyFile(dsn string) (path, from string) {
	if p := e.getenv(keyVar); p != "" {
		return p, keyVar
	}
	return filepath.Join(dataDir(dsn), "epiguard.key"), "the default: " + keyVar + " is not set"
}

// keyFileError is a bad key file as a usage error that names the variable.
func keyFileError(from string, err error) error {
	if from == keyVar {
		return usagef("%s: %v", keyVar, err)
	}
	return usagef("%v (%s)", err, from)
}

// dataDir is where the key file lives by default: beside the SQLite file,
// or ./epiguard-data for PostgreSQL.
func dataDir(dsn string) string {
	engine, path, err := store.ParseDSN(dsn)
	if err == nil && engine == store.SQLite {
		return filepath.Dir(path)
	}
	return "epiguard-data"
}

// dbName names the database in messages, without a password.
func dbName(dsn string) string {
	engine, path, err := store.ParseDSN(dsn)
	if err != nil {
		return "the database"
	}
	if engine == store.SQLite {
		return "the database " + path
	}
	if u, err := url.Parse(dsn); err == nil {
		return "the database " + u.Redacted()
	}
	return "the PostgreSQL database"
}

// checkSQLitePath reports a database path that cannot work as a usage
// error before anything is created: a folder, a file where a folder should
// be, or, when mustExist, a database that is not there.
func checkSQLitePath(path string, mustExist bool) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return usagef("--db: %s is a folder, not a database file", path)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return usagef("--db: %v", err)
	case mustExist:
		return usagef("no such database: %s (check --db or EPIGUARD_DB)", path)
	}
	// The database will be created: the nearest existing parent must be a
	// folder.
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return usagef("--db: cannot create %s: %s is a file, not a folder", path, dir)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return usagef("--db: %v", err)
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}
