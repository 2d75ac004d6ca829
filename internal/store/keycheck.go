package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrWrongKey means the store's key is not the one the database's
// encrypted data was written with.
var ErrWrongKey = errors.New("the key does not match the database's encrypted data")

// keyCheckSetting is the settings key under which the key check
// (secret.Box.KeyCheck) of the database's key is kept.
const keyCheckSetting = "key_check"

// encryptedColumns are the columns sealed with the key, for databases
// written before the key check was stored.
var encryptedColumns = []struct{ table, column string }{
	{"people", "id_number_enc"},
	{"people", "phone_enc"},
	{"people", "guardian_phone_enc"},
	{"guardians", "phone_enc"},
	{"visitors", "id_number_enc"},
	{"visitors", "phone_enc"},
	{"channels", "target_enc"},
}

// HoldsEncrypted reports whether the database holds data written under a
// key: a stored key check or an encrypted value. A database without the
// schema (new, or not migrated yet) holds none.
func (db *DB) HoldsEncrypted(ctx context.Context) (bool, error) {
	check, err := db.keyCheck(ctx)
	if err != nil || check != "" {
		return check != "", err
	}
	enc, err := db.anyEncrypted(ctx)
	return enc != nil, err
}

// VerifyKey checks that the store's key is the one the database's data was
// written with, and returns ErrWrongKey if not. It compares the stored key
// check; a database without one is checked by decrypting one stored value,
// and then, when record is set (and the schema is in place), the key check
// is stored so that later opens compare it directly.
func (db *DB) VerifyKey(ctx context.Context, record bool) error {
	want := db.box.KeyCheck()
	check, err := db.keyCheck(ctx)
	if err != nil {
		return err
	}
	if check == "" {
		enc, err := db.anyEncrypted(ctx)
		if err != nil {
			return err
		}
		if enc != nil {
			if _, err := db.box.Open(enc); err != nil {
				return ErrWrongKey
			}
		}
		if !record {
			return nil
		}
		if ok, err := db.tableExists(ctx, "settings"); err != nil || !ok {
			return err
		}
		// Two nodes may start at once: the first check stored wins, and
		// each compares its own key with it.
		err = db.transact(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, keyCheckSetting, want)
			return err
		})
		if err != nil {
			return fmt.Errorf("store key check: %w", err)
		}
		if check, err = db.keyCheck(ctx); err != nil {
			return err
		}
	}
	if check != want {
		return ErrWrongKey
	}
	return nil
}

// keyCheck returns the stored key check, "" when there is none.
func (db *DB) keyCheck(ctx context.Context) (string, error) {
	if ok, err := db.tableExists(ctx, "settings"); err != nil || !ok {
		return "", err
	}
	return db.Setting(ctx, keyCheckSetting)
}

// anyEncrypted returns one encrypted value from the database, nil when it
// holds none.
func (db *DB) anyEncrypted(ctx context.Context) ([]byte, error) {
	for _, c := range encryptedColumns {
		ok, err := db.tableExists(ctx, c.table)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var v []byte
		// The names come from encryptedColumns above, never from input.
		err = db.read.QueryRowContext(ctx, `SELECT `+c.column+` FROM `+c.table+` WHERE length(`+c.column+`) > 0 LIMIT 1`).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", c.table, c.column, err)
		}
		return v, nil
	}
	return nil, nil
}

// tableExists reports whether the schema has the named table.
func (db *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.engine == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := db.read.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}
