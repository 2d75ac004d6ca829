package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/domain"
)

// Notification is one message to one target, kept in the durable outbox
// until delivered. DedupeKey names the (event, target) pair: enqueuing it
// twice delivers once.
type Notification struct {
	ID        int64     `json:"id"`
	Channel   string    `json:"channel"` // "inbox" now; robots, e-mail and webhooks later
	Target    string    `json:"target"`  // for inbox: "account:ID"
	Kind      string    `json:"kind"`    // e.g. "reminder"
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Link      string    `json:"link"`
	DedupeKey string    `json:"dedupe_key"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
}

// Enqueue adds notifications to the outbox, skipping those whose dedupe
// key is already there, and returns how many were new.
func (db *DB) Enqueue(ctx context.Context, ns []Notification) (int, error) {
	n := 0
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = db.enqueueTx(ctx, tx, ns)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue: %w", err)
	}
	return n, nil
}

// enqueueTx enqueues inside the transaction of the notification's cause,
// so that the cause and its notification are stored together or not at all.
func (db *DB) enqueueTx(ctx context.Context, tx *sql.Tx, ns []Notification) (int, error) {
	now := db.now()
	added := 0
	for _, x := range ns {
		res, err := tx.ExecContext(ctx, `INSERT INTO notifications (channel, target, kind, title, body, link, dedupe_key, state,
			next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) ON CONFLICT (dedupe_key) DO NOTHING`,
			x.Channel, x.Target, x.Kind, x.Title, x.Body, x.Link, x.DedupeKey, now)
		if err != nil {
			return added, err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			added++
		}
	}
	return added, nil
}

// DueNotifications returns pending in-app inbox notifications whose next
// attempt is due, oldest first. The other channels go through ClaimDue.
func (db *DB) DueNotifications(ctx context.Context, limit int) ([]Notification, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, channel, target, kind, title, body, link, dedupe_key, state, attempts, created_at
		FROM notifications WHERE state = 'pending' AND channel = 'inbox' AND next_attempt_at <= $1 ORDER BY id LIMIT $2`, db.now(), limit)
	if err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.ID, &n.Channel, &n.Target, &n.Kind, &n.Title, &n.Body, &n.Link, &n.DedupeKey, &n.State, &n.Attempts, &n.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// DeliverToInbox delivers an inbox notification: the inbox row and the
// sent mark are one transaction, so a restart never delivers it twice.
func (db *DB) DeliverToInbox(ctx context.Context, n Notification) error {
	idText, ok := strings.CutPrefix(n.Target, "account:")
	accountID, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return db.MarkFailed(ctx, n.ID, "bad inbox target "+n.Target, time.Time{})
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'sent', sent_at = $1, attempts = attempts + 1
			WHERE id = $2 AND state = 'pending'`, db.now(), n.ID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil // another node delivered it
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO inbox (account_id, notification_id, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			accountID, n.ID, n.Title, n.Body, n.Link, db.now())
		return err
	})
}

// MarkFailed records a failed attempt; with retryAt zero it gives up.
func (db *DB) MarkFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	state := "pending"
	if retryAt.IsZero() {
		state, retryAt = "failed", db.now()
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET state = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $4`,
			state, reason, retryAt, id)
		return err
	})
}

// InboxItem is a message in an account's in-app inbox.
type InboxItem struct {
	ID        int64      `json:"id"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// Inbox returns an account's newest messages and how many are unread.
func (db *DB) Inbox(ctx context.Context, accountID int64, limit int) ([]InboxItem, int, error) {
	var unread int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox WHERE account_id = $1 AND read_at IS NULL`, accountID).Scan(&unread); err != nil {
		return nil, 0, fmt.Errorf("inbox: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, title, body, link, created_at, read_at FROM inbox WHERE account_id = $1 ORDER BY id DESC LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("inbox: %w", err)
	}
	defer rows.Close()
	out := []InboxItem{}
	for rows.Next() {
		var it InboxItem
		var read sql.NullTime
		if err := rows.Scan(&it.ID, &it.Title, &it.Body, &it.Link, &it.CreatedAt, &read); err != nil {
			return nil, 0, err
		}
		if read.Valid {
			it.ReadAt = &read.Time
		}
		out = append(out, it)
	}
	return out, unread, rows.Err()
}

// MarkInboxRead marks all of an account's messages read.
func (db *DB) MarkInboxRead(ctx context.Context, accountID int64) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL`, db.now(), accountID)
		return err
	})
}

// MissingPerson is someone expected to check in who has not.
type MissingPerson struct {
	ID         int64  `json:"id"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	OrgID      int64  `json:"org_id"`
	OrgName    string `json:"org_name"`
}

// Missing lists the people of a unit in the scope without a check-in
// record (present or absent) for the date and slot ("" for any slot) and
// without an illness absence covering the date.
func (db *DB) Missing(ctx context.Context, sc domain.Scope, orgID int64, date, slot string) ([]MissingPerson, error) {
	org, err := db.personLevelUnit(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	var a args
	d := a.add(date)
	slotCond := ""
	if slot != "" {
		slotCond = " AND c.slot = " + a.add(slot)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT p.id, p.external_id, p.name, p.org_id, o.name FROM people p JOIN orgs o ON o.id = p.org_id
		WHERE `+a.inUnit(org.Path)+` AND p.kind <> 'visitor'
		AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.person_id = p.id AND c.date = `+d+slotCond+`)
		AND NOT EXISTS (SELECT 1 FROM absences ab WHERE ab.person_id = p.id AND ab.start_date <= `+d+`
			AND (ab.return_date = '' OR ab.return_date > `+d+`))
		ORDER BY o.code, p.external_id`, a...)
	if err != nil {
		return nil, fmt.Errorf("missing: %w", err)
	}
	defer rows.Close()
	out := []MissingPerson{}
	for rows.Next() {
		var m MissingPerson
		if err := rows.Scan(&m.ID, &m.ExternalID, &m.Name, &m.OrgID, &m.OrgName); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ResponsibleAccounts returns the accounts whose scope is exactly the unit
// or one of its ancestors, nearest first, with the given roles: who hears
// about a class is its teacher before the school's health officer.
func (db *DB) ResponsibleAccounts(ctx context.Context, orgID int64, roles ...domain.Role) ([]*domain.Account, error) {
	org, err := db.Org(ctx, domain.System(), orgID)
	if err != nil {
		return nil, err
	}
	var out []*domain.Account
	rows, err := db.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts a JOIN orgs o ON o.id = a.org_id
		WHERE NOT a.disabled ORDER BY o.depth DESC, a.id`)
	if err != nil {
		return nil, fmt.Errorf("responsible accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(org.Path, a.OrgPath) {
			continue
		}
		for _, r := range roles {
			if a.Role == r {
				out = append(out, a)
				break
			}
		}
	}
	return out, rows.Err()
}

// ClaimJob claims a job's run for a key (such as a date) for this node:
// false when it already ran, or when another node (or an earlier run of
// this one) claimed it less than lease ago and may still be at it. App
// nodes all tick the same schedule; without a claim each would run the
// pass and raise its alerts again. A claim that was never marked done,
// because its node stopped, lapses after lease and the job runs again:
// jobs are idempotent.
func (db *DB) ClaimJob(ctx context.Context, job, key string, lease time.Duration) (bool, error) {
	claimed := false
	err := db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockFor(ctx, tx, lockJobs, 0); err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_runs WHERE job = $1 AND run_key = $2`, job, key).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			return nil
		}
		now := db.now()
		var at time.Time
		err := tx.QueryRowContext(ctx, `SELECT at FROM job_runs WHERE job = $1 AND run_key = $2`, job+claimSuffix, key).Scan(&at)
		switch {
		case err == nil && now.Sub(at) < lease:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		claimed = true
		_, err = tx.ExecContext(ctx, `INSERT INTO job_runs (job, run_key, at) VALUES ($1, $2, $3)
			ON CONFLICT (job, run_key) DO UPDATE SET at = excluded.at`, job+claimSuffix, key, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim job %s %s: %w", job, key, err)
	}
	return claimed, nil
}

// claimSuffix marks a claim's row in job_runs, beside the job's own rows,
// which say it is done.
const claimSuffix = "#claim"

// MarkJobDone records that a job ran for a key.
func (db *DB) MarkJobDone(ctx context.Context, job, key string) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO job_runs (job, run_key, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, job, key, db.now())
		return err
	})
}
