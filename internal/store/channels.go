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

// Channel delivers notifications about a unit's subtree to a group robot
// (WeCom, DingTalk, Feishu), a mailbox or a webhook. Its target — the
// robot URL with its key, the signing secret, the SMTP password — is a
// secret: stored encrypted and only ever shown masked.
type Channel struct {
	ID      int64  `json:"id"`
	OrgID   int64  `json:"org_id"`
	OrgName string `json:"org_name"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	// TargetMasked is the target as screens may show it.
	TargetMasked string `json:"target_masked"`
	// Events are the notification kinds it carries ("alert", "escalation",
	// "reminder", "report", "test"); empty means alerts and escalations.
	Events []string `json:"events"`
	// MinLevel drops alerts below a level ("" for all).
	MinLevel  string    `json:"min_level"`
	Enabled   bool      `json:"enabled"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Carries reports whether the channel takes notifications of a kind.
func (c *Channel) Carries(kind string) bool {
	if kind == "test" {
		return true
	}
	if len(c.Events) == 0 {
		return kind == "alert" || kind == "escalation"
	}
	for _, e := range c.Events {
		if e == kind {
			return true
		}
	}
	return false
}

// ChannelTarget returns the notification target naming a channel.
func ChannelTarget(id int64) string { return "channel:" + strconv.FormatInt(id, 10) }

// ChannelOfTarget parses a channel target.
func ChannelOfTarget(target string) (int64, bool) {
	s, ok := strings.CutPrefix(target, "channel:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

const channelColumns = `c.id, c.org_id, o.name, c.kind, c.name, c.target_masked, c.events, c.min_level, c.enabled, c.created_by, c.created_at, c.updated_at`

func scanChannel(row interface{ Scan(...any) error }) (*Channel, error) {
	var c Channel
	var events string
	if err := row.Scan(&c.ID, &c.OrgID, &c.OrgName, &c.Kind, &c.Name, &c.TargetMasked, &events, &c.MinLevel, &c.Enabled,
		&c.CreatedBy, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.Events = splitTags(events)
	if c.Events == nil {
		c.Events = []string{}
	}
	return &c, nil
}

// CreateChannel stores a channel of a unit in the scope; target is the
// channel's full configuration (JSON), sealed before it is written.
func (db *DB) CreateChannel(ctx context.Context, sc domain.Scope, c *Channel, target string) error {
	if _, err := db.Org(ctx, sc, c.OrgID); err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return fieldErr("org_id", "no such unit in your scope")
		}
		return err
	}
	now := db.now()
	err := db.transact(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO channels (org_id, kind, name, target_enc, target_masked, events, min_level, enabled,
			created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			c.OrgID, c.Kind, c.Name, db.box.Seal(target), c.TargetMasked, joinTags(c.Events), c.MinLevel, c.Enabled, c.CreatedBy, now).Scan(&c.ID)
	})
	if err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// UpdateChannel changes a channel in the scope; an empty target keeps the
// stored one (screens never hold the full secret to send it back).
func (db *DB) UpdateChannel(ctx context.Context, sc domain.Scope, c *Channel, target string) error {
	if _, err := db.Channel(ctx, sc, c.ID); err != nil {
		return err
	}
	now := db.now()
	err := db.transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE channels SET name = $1, events = $2, min_level = $3, enabled = $4, updated_at = $5 WHERE id = $6`,
			c.Name, joinTags(c.Events), c.MinLevel, c.Enabled, now, c.ID); err != nil {
			return err
		}
		if target != "" {
			_, err := tx.ExecContext(ctx, `UPDATE channels SET target_enc = $1, target_masked = $2 WHERE id = $3`, db.box.Seal(target), c.TargetMasked, c.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update channel %d: %w", c.ID, err)
	}
	return nil
}

// DeleteChannel removes a channel in the scope. Its pending notifications
// fail with a reason rather than wait for a channel that is gone.
func (db *DB) DeleteChannel(ctx context.Context, sc domain.Scope, id int64) error {
	if _, err := db.Channel(ctx, sc, id); err != nil {
		return err
	}
	err := db.transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'failed', last_error = 'channel deleted' WHERE target = $1 AND state = 'pending'`,
			ChannelTarget(id)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	return nil
}

// Channel returns a channel of a unit in the scope.
func (db *DB) Channel(ctx context.Context, sc domain.Scope, id int64) (*Channel, error) {
	var path string
	c, err := scanChannel(db.read.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM channels c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1`, id))
	if err == nil {
		err = db.read.QueryRowContext(ctx, `SELECT path FROM orgs WHERE id = $1`, c.OrgID).Scan(&path)
	}
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.Contains(path)) {
		return nil, domain.Errorf(domain.ENotFound, "channel %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("channel %d: %w", id, err)
	}
	return c, nil
}

// Channels lists the channels of the units in the scope.
func (db *DB) Channels(ctx context.Context, sc domain.Scope) ([]*Channel, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+channelColumns+` FROM channels c JOIN orgs o ON o.id = c.org_id
		WHERE o.path >= $1 AND o.path < $2 ORDER BY o.path, c.id`, sc.Path, domain.UpperBound(sc.Path))
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	return scanChannels(rows)
}

func scanChannels(rows *sql.Rows) ([]*Channel, error) {
	defer rows.Close()
	out := []*Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChannelsFor returns the enabled channels of a unit and of its
// ancestors: a class's alert reaches the school's group and the
// district's.
func (db *DB) ChannelsFor(ctx context.Context, orgID int64) ([]*Channel, error) {
	org, err := db.Org(ctx, domain.System(), orgID)
	if err != nil {
		return nil, err
	}
	ids := unitsOfPaths([]string{org.Path})
	var a args
	rows, err := db.read.QueryContext(ctx, `SELECT `+channelColumns+` FROM channels c JOIN orgs o ON o.id = c.org_id
		WHERE c.enabled AND c.org_id IN `+a.tuple(anySlice(ids)...)+` ORDER BY o.depth DESC, c.id`, a...)
	if err != nil {
		return nil, fmt.Errorf("channels for %d: %w", orgID, err)
	}
	return scanChannels(rows)
}

// ToChannels addresses n to each enabled channel of the unit orgID and of
// its ancestors that carries n.Kind, each with the dedupe key
// keyPrefix+target: a class's missing-check-in digest reaches the class's
// WeCom group when its admin has the group carry reminders.
func (db *DB) ToChannels(ctx context.Context, orgID int64, n Notification, keyPrefix string) ([]Notification, error) {
	chs, err := db.ChannelsFor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []Notification
	for _, c := range chs {
		if !c.Carries(n.Kind) {
			continue
		}
		m := n
		m.Channel, m.Target = c.Kind, ChannelTarget(c.ID)
		m.DedupeKey = keyPrefix + m.Target
		out = append(out, m)
	}
	return out, nil
}

// ChannelSecret returns a channel's stored configuration, decrypted, for
// delivery only.
func (db *DB) ChannelSecret(ctx context.Context, id int64) (*Channel, string, error) {
	var enc []byte
	c, err := scanChannel(db.read.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM channels c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1`, id))
	if err == nil {
		err = db.read.QueryRowContext(ctx, `SELECT target_enc FROM channels WHERE id = $1`, id).Scan(&enc)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", domain.Errorf(domain.ENotFound, "channel %d not found", id)
	}
	if err != nil {
		return nil, "", fmt.Errorf("channel %d: %w", id, err)
	}
	plain, err := db.box.Open(enc)
	if err != nil {
		return nil, "", fmt.Errorf("channel %d: decrypt target: %w", id, err)
	}
	return c, plain, nil
}

// Delivery is one attempt to deliver to a target: the delivery log.
type Delivery struct {
	ID              int64     `json:"id"`
	Target          string    `json:"target"`
	NotificationIDs []int64   `json:"notification_ids"`
	At              time.Time `json:"at"`
	OK              bool      `json:"ok"`
	Messages        int       `json:"messages"`
	Error           string    `json:"error"`
	DurationMS      int64     `json:"duration_ms"`
}

// Deliveries returns a target's newest delivery attempts.
func (db *DB) Deliveries(ctx context.Context, target string, limit int) ([]Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, target, notification_ids, at, ok, messages, error, duration_ms FROM deliveries
		WHERE target = $1 ORDER BY id DESC LIMIT $2`, target, limit)
	if err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var ids string
		if err := rows.Scan(&d.ID, &d.Target, &ids, &d.At, &d.OK, &d.Messages, &d.Error, &d.DurationMS); err != nil {
			return nil, err
		}
		for _, s := range splitTags(ids) {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				d.NotificationIDs = append(d.NotificationIDs, id)
			}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SentSince returns when requests to a target went out since a time,
// oldest first: what a rate limit counts. Failed attempts count too —
// the service saw them.
func (db *DB) SentSince(ctx context.Context, target string, since time.Time) ([]time.Time, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT at FROM deliveries WHERE target = $1 AND at >= $2 ORDER BY at`, target, since)
	if err != nil {
		return nil, fmt.Errorf("sent since: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ClaimDue leases the due notifications of non-inbox targets, grouped by
// target, so that one node delivers each: a lease that runs out (the
// node died mid-send) lets another node try again.
func (db *DB) ClaimDue(ctx context.Context, lease time.Duration, limit int) (map[string][]Notification, error) {
	now := db.now()
	rows, err := db.read.QueryContext(ctx, `SELECT id, channel, target, kind, title, body, link, dedupe_key, state, attempts, created_at
		FROM notifications WHERE state = 'pending' AND channel <> 'inbox' AND next_attempt_at <= $1
		AND (lease_until IS NULL OR lease_until < $1) ORDER BY id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	var due []Notification
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.ID, &n.Channel, &n.Target, &n.Kind, &n.Title, &n.Body, &n.Link, &n.DedupeKey, &n.State, &n.Attempts, &n.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]Notification{}
	err = db.transact(ctx, func(tx *sql.Tx) error {
		clear(out)
		for _, n := range due {
			res, err := tx.ExecContext(ctx, `UPDATE notifications SET lease_until = $1 WHERE id = $2 AND state = 'pending'
				AND (lease_until IS NULL OR lease_until < $3)`, now.Add(lease), n.ID, now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				out[n.Target] = append(out[n.Target], n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	return out, nil
}

// DeliveryResult is the outcome of one request to a target carrying
// some notifications.
type DeliveryResult struct {
	Target   string
	IDs      []int64
	OK       bool
	Error    string
	Duration time.Duration
	// RetryAt is when to try again after a failure; zero gives up.
	RetryAt time.Time
	// Attempted is false when nothing went out (rate limited, channel
	// disabled): no log entry, no attempt counted.
	Attempted bool
}

// FinishDelivery records a delivery attempt in the log and settles its
// notifications: sent, retried later, or failed for good.
func (db *DB) FinishDelivery(ctx context.Context, r DeliveryResult) error {
	now := db.now()
	err := db.transact(ctx, func(tx *sql.Tx) error {
		if r.Attempted {
			ids := make([]string, len(r.IDs))
			for i, id := range r.IDs {
				ids[i] = strconv.FormatInt(id, 10)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (target, notification_ids, at, ok, messages, error, duration_ms)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.Target, joinTags(ids), now, r.OK, len(r.IDs), r.Error, r.Duration.Milliseconds()); err != nil {
				return err
			}
		}
		for _, id := range r.IDs {
			var err error
			switch {
			case r.OK:
				_, err = tx.ExecContext(ctx, `UPDATE notifications SET state = 'sent', sent_at = $1, attempts = attempts + 1, lease_until = NULL,
					last_error = '' WHERE id = $2`, now, id)
			case !r.Attempted:
				_, err = tx.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3`,
					r.RetryAt, r.Error, id)
			case r.RetryAt.IsZero():
				_, err = tx.ExecContext(ctx, `UPDATE notifications SET state = 'failed', attempts = attempts + 1, lease_until = NULL,
					last_error = $1 WHERE id = $2`, r.Error, id)
			default:
				_, err = tx.ExecContext(ctx, `UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $1, lease_until = NULL,
					last_error = $2 WHERE id = $3`, r.RetryAt, r.Error, id)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish delivery to %s: %w", r.Target, err)
	}
	return nil
}
