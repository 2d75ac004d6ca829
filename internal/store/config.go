package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"epiguard/internal/domain"
)

// The school calendars and the cluster rules are stored as the JSON their
// packages (calendar, cluster) define; the store keeps them, versions the
// rules and finds the calendar that holds for a unit.

// SchoolCalendar returns the calendar stored for a unit and when it was
// last changed; ok is false when the unit has none of its own.
func (db *DB) SchoolCalendar(ctx context.Context, orgID int64) (doc string, updated time.Time, ok bool, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT calendar, updated_at FROM school_calendars WHERE org_id = $1`, orgID).Scan(&doc, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("school calendar %d: %w", orgID, err)
	}
	return doc, updated, true, nil
}

// StoredCalendar is a unit's own school calendar as stored.
type StoredCalendar struct {
	OrgID int64
	Path  string
	Doc   string
}

// StoredCalendars returns every stored calendar, for working out which
// calendar holds for many units at once (NearestCalendar).
func (db *DB) StoredCalendars(ctx context.Context) ([]StoredCalendar, error) {
	return storedCalendars(ctx, db.read)
}

func storedCalendars(ctx context.Context, q querier) ([]StoredCalendar, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.org_id, o.path, c.calendar FROM school_calendars c JOIN orgs o ON o.id = c.org_id`)
	if err != nil {
		return nil, fmt.Errorf("school calendars: %w", err)
	}
	defer rows.Close()
	var out []StoredCalendar
	for rows.Next() {
		var c StoredCalendar
		if err := rows.Scan(&c.OrgID, &c.Path, &c.Doc); err != nil {
			return nil, fmt.Errorf("school calendars: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// NearestCalendar picks the calendar of the unit with that path or of its
// nearest ancestor.
func NearestCalendar(cals []StoredCalendar, path string) (StoredCalendar, bool) {
	var best StoredCalendar
	for _, c := range cals {
		if strings.HasPrefix(path, c.Path) && len(c.Path) > len(best.Path) {
			best = c
		}
	}
	return best, best.Path != ""
}

// SaveSchoolCalendar stores a unit's calendar (already validated by the
// caller) for an admin whose scope holds the unit.
func (db *DB) SaveSchoolCalendar(ctx context.Context, sc domain.Scope, orgID int64, doc, by string) error {
	if !sc.CanAdmin() {
		return domain.Errorf(domain.EForbidden, "only an admin may change a school calendar")
	}
	if _, err := db.Org(ctx, sc, orgID); err != nil {
		return err
	}
	err := db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO school_calendars (org_id, calendar, updated_by, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET calendar = excluded.calendar, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			orgID, doc, by, db.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("save school calendar: %w", err)
	}
	db.forgetCalendars()
	return nil
}

// ClusterRules returns the newest saved cluster rules and their version;
// ok is false while the defaults hold.
func (db *DB) ClusterRules(ctx context.Context) (doc string, version int, ok bool, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT version, rules FROM cluster_rules ORDER BY version DESC LIMIT 1`).Scan(&version, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 1, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("cluster rules: %w", err)
	}
	return doc, version, true, nil
}

// SaveClusterRules saves validated cluster rules as the next version; the
// defaults are version 1. Only an admin of a top unit may: the rules hold
// for the whole installation.
func (db *DB) SaveClusterRules(ctx context.Context, sc domain.Scope, doc, by string) (int, error) {
	if !sc.CanAdmin() || depthOf(sc.Path) > 0 {
		return 0, domain.Errorf(domain.EForbidden, "only an admin of the top unit may change the cluster rules")
	}
	var v int
	err := db.transact(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 1) FROM cluster_rules`).Scan(&v); err != nil {
			return err
		}
		v++
		_, err := tx.ExecContext(ctx, `INSERT INTO cluster_rules (version, rules, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			v, doc, by, db.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("save cluster rules: %w", err)
	}
	return v, nil
}
