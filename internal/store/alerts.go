package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"epiguard/internal/domain"
)

// Alert states and conclusions (SPEC §3.3). An alert moves forward only:
// open → acknowledged → investigating → closed; a step may be skipped
// (a duplicate is closed straight from open).
const (
	AlertOpen          = "open"
	AlertAcknowledged  = "acknowledged"
	AlertInvestigating = "investigating"
	AlertClosed        = "closed"
)

// AlertStates in lifecycle order.
var AlertStates = []string{AlertOpen, AlertAcknowledged, AlertInvestigating, AlertClosed}

// AlertConclusions are the ways an alert may be closed.
var AlertConclusions = []string{"outbreak_confirmed", "not_an_outbreak", "duplicate"}

// Alert is a cluster rule or a detector that fired for a unit and a
// subject (syndrome or disease) over a window of days.
type Alert struct {
	ID      int64  `json:"id"`
	OrgID   int64  `json:"org_id"`
	OrgName string `json:"org_name"`
	OrgKind string `json:"org_kind"`
	Subject string `json:"subject"`
	// Source is "rule" or "detector"; Code names the rule or the method.
	Source       string          `json:"source"`
	Code         string          `json:"code"`
	Level        string          `json:"level"`
	State        string          `json:"state"`
	Conclusion   string          `json:"conclusion"`
	FirstDate    string          `json:"first_date"`
	LastDate     string          `json:"last_date"`
	WindowDays   int             `json:"window_days"`
	Value        float64         `json:"value"`
	Threshold    float64         `json:"threshold"`
	Detail       json.RawMessage `json:"detail"`
	Title        string          `json:"title"`
	TitleEN      string          `json:"title_en"`
	Actions      string          `json:"actions"`
	ActionsEN    string          `json:"actions_en"`
	SourceRef    string          `json:"source_ref"`
	AssigneeID   *int64          `json:"assignee_id"`
	AssigneeName string          `json:"assignee_name"`
	ReportDueAt  *time.Time      `json:"report_due_at"`
	AckDueAt     *time.Time      `json:"ack_due_at"`
	Escalations  int             `json:"escalations"`
	Fired        int             `json:"fired"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	ClosedAt     *time.Time      `json:"closed_at"`

	Events []AlertEvent    `json:"events,omitempty"`
	People []SubjectPerson `json:"people,omitempty"`
}

// AlertEvent is one entry of an alert's history.
type AlertEvent struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	// Kind: raised, merged, transition, note, assigned, escalated.
	Kind string `json:"kind"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Note string `json:"note,omitempty"`
}

// AlertPerson is a person behind an alert's count, on the day they counted.
type AlertPerson struct {
	PersonID int64
	Date     string
}

const alertColumns = `a.id, a.org_id, o.name, o.kind, a.subject, a.source, a.code, a.level, a.state, a.conclusion, a.first_date, a.last_date,
	a.window_days, a.value, a.threshold, a.detail, a.title, a.title_en, a.actions, a.actions_en, a.source_ref, a.assignee_id,
	COALESCE(NULLIF(ac.display_name, ''), ac.username, ''), a.report_due_at, a.ack_due_at, a.escalations, a.fired, a.created_at, a.updated_at, a.closed_at`

const alertFrom = ` FROM alerts a JOIN orgs o ON o.id = a.org_id LEFT JOIN accounts ac ON ac.id = a.assignee_id`

func scanAlert(row interface{ Scan(...any) error }) (*Alert, error) {
	var a Alert
	var detail string
	var assignee sql.NullInt64
	var reportDue, ackDue, closed sql.NullTime
	if err := row.Scan(&a.ID, &a.OrgID, &a.OrgName, &a.OrgKind, &a.Subject, &a.Source, &a.Code, &a.Level, &a.State, &a.Conclusion,
		&a.FirstDate, &a.LastDate, &a.WindowDays, &a.Value, &a.Threshold, &detail, &a.Title, &a.TitleEN, &a.Actions, &a.ActionsEN,
		&a.SourceRef, &assignee, &a.AssigneeName, &reportDue, &ackDue, &a.Escalations, &a.Fired, &a.CreatedAt, &a.UpdatedAt, &closed); err != nil {
		return nil, err
	}
	a.Detail = json.RawMessage(detail)
	if assignee.Valid {
		a.AssigneeID = &assignee.Int64
	}
	for _, x := range []struct {
		src sql.NullTime
		dst **time.Time
	}{{reportDue, &a.ReportDueAt}, {ackDue, &a.AckDueAt}, {closed, &a.ClosedAt}} {
		if x.src.Valid {
			t := x.src.Time
			*x.dst = &t
		}
	}
	return &a, nil
}

// Raise is the outcome of RaiseAlert.
type Raise struct {
	Alert *Alert
	// Merged is true when an alert still open for the same unit, subject
	// and rule took the firing; Changed when that moved its numbers;
	// NewDay when it moved the alert on to a later date.
	Merged, Changed, NewDay bool
}

// RaiseAlert stores a firing: it merges into the newest alert that is not
// closed for the same unit, subject and rule or method whose last day is
// on or after mergeSince, else opens a new one. The people behind the
// count are attached, and the notifications that notify returns for the
// result are enqueued in the same transaction, so an alert is never
// stored without its notifications or notified without being stored.
func (db *DB) RaiseAlert(ctx context.Context, a *Alert, people []AlertPerson, mergeSince string,
	notify func(r Raise) []Notification) (Raise, error) {
	var out Raise
	now := db.now()
	if len(a.Detail) == 0 {
		a.Detail = json.RawMessage("{}")
	}
	err := db.transact(ctx, func(tx *sql.Tx) error {
		out = Raise{}
		// Two nodes raising for the same unit at once would otherwise
		// both find nothing to merge into.
		if err := db.lockFor(ctx, tx, lockAlerts, a.OrgID); err != nil {
			return err
		}
		prev, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+alertFrom+`
			WHERE a.org_id = $1 AND a.subject = $2 AND a.code = $3 AND a.state <> 'closed' AND a.last_date >= $4
			ORDER BY a.id DESC LIMIT 1`, a.OrgID, a.Subject, a.Code, mergeSince))
		switch {
		case err == nil:
			out.Merged = true
			changed := a.LastDate > prev.LastDate || a.Value > prev.Value
			out.NewDay = a.LastDate > prev.LastDate
			if changed {
				last := max(prev.LastDate, a.LastDate)
				value := max(prev.Value, a.Value)
				// The alert shows its largest firing: its words, its
				// threshold and its numbers stay together.
				title, titleEN, threshold, detail := prev.Title, prev.TitleEN, prev.Threshold, prev.Detail
				if a.Value >= prev.Value {
					title, titleEN, threshold, detail = a.Title, a.TitleEN, a.Threshold, a.Detail
				}
				if _, err := tx.ExecContext(ctx, `UPDATE alerts SET last_date = $1, value = $2, detail = $3, fired = fired + 1, updated_at = $4,
					title = $5, title_en = $6, threshold = $7 WHERE id = $8`, last, value, string(detail), now, title, titleEN, threshold, prev.ID); err != nil {
					return err
				}
				prev.Title, prev.TitleEN, prev.Threshold = title, titleEN, threshold
				if err := db.alertEvent(ctx, tx, prev.ID, now, "", "merged", "", "",
					fmt.Sprintf("%s: %g (≥ %g)", a.LastDate, a.Value, a.Threshold)); err != nil {
					return err
				}
				prev.LastDate, prev.Value, prev.Detail, prev.UpdatedAt = last, value, detail, now
				prev.Fired++
			}
			out.Changed = changed
			out.Alert = prev
		case errors.Is(err, sql.ErrNoRows):
			a.State, a.CreatedAt, a.UpdatedAt = AlertOpen, now, now
			if err := tx.QueryRowContext(ctx, `INSERT INTO alerts (org_id, subject, source, code, level, state, first_date, last_date, window_days,
				value, threshold, detail, title, title_en, actions, actions_en, source_ref, report_due_at, ack_due_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id`,
				a.OrgID, a.Subject, a.Source, a.Code, a.Level, a.FirstDate, a.LastDate, a.WindowDays, a.Value, a.Threshold, string(a.Detail),
				a.Title, a.TitleEN, a.Actions, a.ActionsEN, a.SourceRef, a.ReportDueAt, a.AckDueAt, now).Scan(&a.ID); err != nil {
				return err
			}
			if err := db.alertEvent(ctx, tx, a.ID, now, "", "raised", "", AlertOpen, ""); err != nil {
				return err
			}
			a.Fired = 1
			out.Alert, out.Changed = a, true
		default:
			return err
		}
		for _, p := range people {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alert_people (alert_id, person_id, date) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				out.Alert.ID, p.PersonID, p.Date); err != nil {
				return err
			}
		}
		if notify != nil {
			if _, err := db.enqueueTx(ctx, tx, notify(out)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Raise{}, fmt.Errorf("raise alert: %w", err)
	}
	return out, nil
}

func (db *DB) alertEvent(ctx context.Context, tx *sql.Tx, alertID int64, at time.Time, actor, kind, from, to, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_events (alert_id, at, actor, kind, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		alertID, at, actor, kind, from, to, note)
	return err
}

// AlertQuery filters the alert list.
type AlertQuery struct {
	OrgID int64  // the unit and its subtree; 0 for the whole scope
	State string // "" for any; "active" for any but closed
	// BeforeID pages: alerts with a smaller id.
	BeforeID int64
	Limit    int
}

// Alerts lists the alerts of units in the scope, newest first.
func (db *DB) Alerts(ctx context.Context, sc domain.Scope, q AlertQuery) ([]*Alert, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	path := sc.Path
	if q.OrgID != 0 {
		org, err := db.Org(ctx, sc, q.OrgID)
		if err != nil {
			return nil, err
		}
		path = org.Path
	}
	var a args
	where := `o.path >= ` + a.add(path) + ` AND o.path < ` + a.add(domain.UpperBound(path))
	switch q.State {
	case "":
	case "active":
		where += ` AND a.state <> 'closed'`
	default:
		if !slices.Contains(AlertStates, q.State) {
			return nil, fieldErr("state", "must be one of open, acknowledged, investigating, closed, active")
		}
		where += ` AND a.state = ` + a.add(q.State)
	}
	if q.BeforeID > 0 {
		where += ` AND a.id < ` + a.add(q.BeforeID)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+alertColumns+alertFrom+` WHERE `+where+` ORDER BY a.id DESC LIMIT `+a.add(q.Limit), a...)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	defer rows.Close()
	out := []*Alert{}
	for rows.Next() {
		x, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// CountActiveAlerts returns how many alerts in the scope are not closed.
func (db *DB) CountActiveAlerts(ctx context.Context, sc domain.Scope) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts a JOIN orgs o ON o.id = a.org_id
		WHERE a.state <> 'closed' AND o.path >= $1 AND o.path < $2`, sc.Path, domain.UpperBound(sc.Path)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count alerts: %w", err)
	}
	return n, nil
}

// Alert returns one alert of a unit in the scope with its history and,
// when the scope sees people, the people behind it.
func (db *DB) Alert(ctx context.Context, sc domain.Scope, id int64) (*Alert, error) {
	a, err := db.alert(ctx, db.read, sc, id)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, actor, kind, from_state, to_state, note FROM alert_events WHERE alert_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("alert %d events: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AlertEvent
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Kind, &e.From, &e.To, &e.Note); err != nil {
			return nil, err
		}
		a.Events = append(a.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !sc.PersonLevel {
		return a, nil
	}
	prow, err := db.read.QueryContext(ctx, `SELECT p.id, p.name, p.external_id, p.org_id, o.name, ap.date FROM alert_people ap
		JOIN people p ON p.id = ap.person_id JOIN orgs o ON o.id = p.org_id WHERE ap.alert_id = $1 ORDER BY ap.date, o.name, p.external_id`, id)
	if err != nil {
		return nil, fmt.Errorf("alert %d people: %w", id, err)
	}
	defer prow.Close()
	for prow.Next() {
		var p SubjectPerson
		if err := prow.Scan(&p.PersonID, &p.Name, &p.ExternalID, &p.OrgID, &p.OrgName, &p.Date); err != nil {
			return nil, err
		}
		a.People = append(a.People, p)
	}
	return a, prow.Err()
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) alert(ctx context.Context, q queryRower, sc domain.Scope, id int64) (*Alert, error) {
	a, err := scanAlert(q.QueryRowContext(ctx, `SELECT `+alertColumns+alertFrom+` WHERE a.id = $1`, id))
	if err == nil {
		var path string
		if err := q.QueryRowContext(ctx, `SELECT path FROM orgs WHERE id = $1`, a.OrgID).Scan(&path); err != nil {
			return nil, fmt.Errorf("alert %d: %w", id, err)
		}
		if !sc.Contains(path) {
			err = sql.ErrNoRows
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENotFound, "alert %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("alert %d: %w", id, err)
	}
	return a, nil
}

// AlertChange is a move of an alert by a user: a transition, a note, an
// assignment, or several at once.
type AlertChange struct {
	To         string `json:"to"`
	Conclusion string `json:"conclusion"`
	Note       string `json:"note"`
	// AssigneeID assigns the alert to an account in scope; 0 leaves it.
	AssigneeID int64 `json:"assignee_id"`
}

// ChangeAlert applies a user's change to an alert in the scope. States
// only move forward; closing needs a conclusion; acknowledging stops the
// escalation clock.
func (db *DB) ChangeAlert(ctx context.Context, sc domain.Scope, id int64, c AlertChange, actor string) (*Alert, error) {
	var v domain.Validation
	if c.To != "" && !slices.Contains(AlertStates, c.To) {
		v.Add("to", "must be one of acknowledged, investigating, closed")
	}
	if c.Conclusion != "" && !slices.Contains(AlertConclusions, c.Conclusion) {
		v.Add("conclusion", "must be one of outbreak_confirmed, not_an_outbreak, duplicate")
	}
	if c.To == AlertClosed && c.Conclusion == "" {
		v.Add("conclusion", "required to close an alert")
	}
	if c.Conclusion != "" && c.To != AlertClosed {
		v.Add("conclusion", "only when closing (to = closed)")
	}
	if len([]rune(c.Note)) > 2000 {
		v.Add("note", "at most 2000 characters")
	}
	if c.To == "" && c.Note == "" && c.AssigneeID == 0 {
		v.Add("to", "give a state to move to, a note or an assignee")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := db.now()
	err := db.transact(ctx, func(tx *sql.Tx) error {
		a, err := db.alert(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if c.To != "" {
			from, to := slices.Index(AlertStates, a.State), slices.Index(AlertStates, c.To)
			if to <= from {
				return &domain.Error{Code: domain.EConflict, Message: "invalid transition",
					Fields: []domain.FieldError{{Field: "to", Message: fmt.Sprintf("an alert that is %s cannot move to %s", a.State, c.To)}}}
			}
			var closedAt any
			if c.To == AlertClosed {
				closedAt = now
			}
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET state = $1, conclusion = $2, closed_at = $3, ack_due_at = NULL, updated_at = $4 WHERE id = $5`,
				c.To, c.Conclusion, closedAt, now, id); err != nil {
				return err
			}
			note := c.Note
			if c.Conclusion != "" {
				note = c.Conclusion + ": " + note
			}
			if err := db.alertEvent(ctx, tx, id, now, actor, "transition", a.State, c.To, note); err != nil {
				return err
			}
		} else if c.Note != "" {
			if err := db.alertEvent(ctx, tx, id, now, actor, "note", "", "", c.Note); err != nil {
				return err
			}
		}
		if c.AssigneeID != 0 {
			var path, name string
			err := tx.QueryRowContext(ctx, `SELECT o.path, COALESCE(NULLIF(ac.display_name, ''), ac.username) FROM accounts ac JOIN orgs o ON o.id = ac.org_id
				WHERE ac.id = $1 AND NOT ac.disabled`, c.AssigneeID).Scan(&path, &name)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.Contains(path)) {
				return fieldErr("assignee_id", "no such account in your scope")
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET assignee_id = $1, updated_at = $2 WHERE id = $3`, c.AssigneeID, now, id); err != nil {
				return err
			}
			if err := db.alertEvent(ctx, tx, id, now, actor, "assigned", "", "", name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if domain.ErrorCode(err) != domain.EInternal {
			return nil, err
		}
		return nil, fmt.Errorf("change alert %d: %w", id, err)
	}
	return db.Alert(ctx, sc, id)
}

// UnacknowledgedDue returns open alerts whose acknowledgement is overdue.
func (db *DB) UnacknowledgedDue(ctx context.Context, now time.Time) ([]*Alert, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+alertColumns+alertFrom+` WHERE a.state = 'open' AND a.ack_due_at IS NOT NULL
		AND a.ack_due_at <= $1 ORDER BY a.id`, now)
	if err != nil {
		return nil, fmt.Errorf("overdue alerts: %w", err)
	}
	defer rows.Close()
	var out []*Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// EscalateAlert records one escalation of an unacknowledged alert and
// enqueues its notifications together. It does nothing if the alert was
// acknowledged or escalated meanwhile (another node, or a user, was
// quicker): the escalation count is the guard.
func (db *DB) EscalateAlert(ctx context.Context, a *Alert, nextDue *time.Time, note string, ns []Notification) (bool, error) {
	done := false
	err := db.transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET escalations = escalations + 1, ack_due_at = $1, updated_at = $2
			WHERE id = $3 AND state = 'open' AND escalations = $4`, nextDue, db.now(), a.ID, a.Escalations)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		done = true
		if err := db.alertEvent(ctx, tx, a.ID, db.now(), "", "escalated", "", "", note); err != nil {
			return err
		}
		_, err = db.enqueueTx(ctx, tx, ns)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("escalate alert %d: %w", a.ID, err)
	}
	return done, nil
}

// RuleAlertCovers reports whether a cluster rule's alert that is not
// closed already covers a subject on a date in a unit or below it: the
// detector's signal for the same people then adds nothing.
func (db *DB) RuleAlertCovers(ctx context.Context, orgID int64, subject, date string) (bool, error) {
	org, err := db.Org(ctx, domain.System(), orgID)
	if err != nil {
		return false, err
	}
	var n int
	err = db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts a JOIN orgs o ON o.id = a.org_id
		WHERE a.source = 'rule' AND a.state <> 'closed' AND a.subject = $1 AND a.first_date <= $2 AND a.last_date >= $2
		AND o.path >= $3 AND o.path < $4`, subject, date, org.Path, domain.UpperBound(org.Path)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("rule alert covers: %w", err)
	}
	return n > 0, nil
}
