package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"epiguard/internal/domain"
)

// Audit appends an entry to the audit log. It is written in its own
// transaction so that a refused action is still recorded.
func (db *DB) Audit(ctx context.Context, e domain.AuditEntry) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, account_id, username, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.At, e.AccountID, e.Username, e.Action, e.Target, e.Detail, e.IP)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	Action   string
	Username string
	Before   int64 // keyset paging: ids lower than this
	Limit    int
}

// AuditLog returns entries newest first. Only admin may read it; entries
// about accounts outside an admin's scope are not shown.
func (db *DB) AuditLog(ctx context.Context, sc domain.Scope, q AuditQuery) ([]*domain.AuditEntry, error) {
	if !sc.CanAdmin() {
		return nil, domain.Errorf(domain.EForbidden, "only admin may read the audit log")
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var a args
	cond := `(e.account_id IS NULL AND ` + a.add(sc.Path) + ` = '/' OR EXISTS (SELECT 1 FROM accounts ea JOIN orgs eo ON eo.id = ea.org_id
		WHERE ea.id = e.account_id AND eo.path >= ` + a.add(sc.Path) + ` AND eo.path < ` + a.add(domain.UpperBound(sc.Path)) + `))`
	if q.Action != "" {
		cond += ` AND e.action = ` + a.add(q.Action)
	}
	if q.Username != "" {
		cond += ` AND e.username = ` + a.add(q.Username)
	}
	if q.Before > 0 {
		cond += ` AND e.id < ` + a.add(q.Before)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT e.id, e.at, e.account_id, e.username, e.action, e.target, e.detail, e.ip
		FROM audit_log e WHERE `+cond+` ORDER BY e.id DESC LIMIT `+a.add(q.Limit), a...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	out := []*domain.AuditEntry{}
	for rows.Next() {
		var e domain.AuditEntry
		var acc sql.NullInt64
		if err := rows.Scan(&e.ID, &e.At, &acc, &e.Username, &e.Action, &e.Target, &e.Detail, &e.IP); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		if acc.Valid {
			e.AccountID = &acc.Int64
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

// RecentFailedSignIns counts failed sign-ins for a username since t; the
// count lives in the database so the limit holds across app nodes.
func (db *DB) RecentFailedSignIns(ctx context.Context, username string, since time.Time) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE username = $1 AND action = $2 AND at >= $3`,
		username, domain.AuditSignInFailed, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("failed sign-ins: %w", err)
	}
	return n, nil
}

// Setting returns a stored setting, "" when unset.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a setting.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	})
}
