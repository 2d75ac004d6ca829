package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/status"
)

// storedReason keeps a reason in both languages, so that a status computed
// once reads well in either.
type storedReason struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

type storedStatus struct {
	Level   status.Level
	Reasons []storedReason
	// stored is false for a person whose status was never computed.
	stored bool
}

func (s storedStatus) result(lang string) status.Result {
	r := status.Result{Level: s.Level, Reasons: []status.Reason{}}
	en := strings.HasPrefix(lang, "en")
	for _, x := range s.Reasons {
		msg := x.ZH
		if en {
			msg = x.EN
		}
		r.Reasons = append(r.Reasons, status.Reason{Code: x.Code, Message: msg})
	}
	return r
}

func (s storedStatus) fingerprint() string {
	var b strings.Builder
	b.WriteString(string(s.Level))
	for _, r := range s.Reasons {
		b.WriteString("|" + r.Code + ":" + r.ZH)
	}
	return b.String()
}

// engineCache holds the compiled status rules; app nodes re-read the
// version at most every few seconds, so a rule change reaches all of them.
type engineCache struct {
	mu      sync.Mutex
	engine  *status.Engine
	checked time.Time
}

const engineRecheck = 5 * time.Second

// statusEngine returns the engine of the newest saved rule set, or of the
// defaults when none was saved.
func (db *DB) statusEngine(ctx context.Context, q querier) (*status.Engine, error) {
	c := &db.engines
	c.mu.Lock()
	defer c.mu.Unlock()
	now := db.now()
	if c.engine != nil && now.Sub(c.checked) < engineRecheck {
		return c.engine, nil
	}
	var version int
	var rules string
	err := q.QueryRowContext(ctx, `SELECT version, rules FROM status_rules ORDER BY version DESC LIMIT 1`).Scan(&version, &rules)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if c.engine == nil || c.engine.Version() != status.DefaultRules().Version {
			c.engine = status.DefaultEngine()
		}
	case err != nil:
		return nil, fmt.Errorf("status rules: %w", err)
	case c.engine == nil || c.engine.Version() != version:
		var rs status.RuleSet
		if err := json.Unmarshal([]byte(rules), &rs); err != nil {
			return nil, fmt.Errorf("status rules v%d: %w", version, err)
		}
		rs.Version = version
		e, err := status.Compile(rs)
		if err != nil {
			return nil, fmt.Errorf("status rules v%d: %w", version, err)
		}
		c.engine = e
	}
	c.checked = now
	return c.engine, nil
}

// StatusRules returns the rule set in force.
func (db *DB) StatusRules(ctx context.Context) (status.RuleSet, error) {
	var version int
	var rules string
	err := db.read.QueryRowContext(ctx, `SELECT version, rules FROM status_rules ORDER BY version DESC LIMIT 1`).Scan(&version, &rules)
	if errors.Is(err, sql.ErrNoRows) {
		return status.DefaultRules(), nil
	}
	if err != nil {
		return status.RuleSet{}, fmt.Errorf("status rules: %w", err)
	}
	var rs status.RuleSet
	if err := json.Unmarshal([]byte(rules), &rs); err != nil {
		return status.RuleSet{}, fmt.Errorf("status rules: %w", err)
	}
	rs.Version = version
	return rs, nil
}

// SaveStatusRules validates a rule set and saves it as the next version.
// Statuses are recomputed as people's records change.
func (db *DB) SaveStatusRules(ctx context.Context, sc domain.Scope, rs status.RuleSet, by string) (status.RuleSet, error) {
	// The rules hold for the whole installation, so only an admin of a
	// top unit (or the system) may change them.
	if !sc.CanAdmin() || depthOf(sc.Path) > 0 {
		return rs, domain.Errorf(domain.EForbidden, "only an admin of the top unit may change the status rules")
	}
	if _, err := status.Compile(rs); err != nil {
		return rs, err
	}
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 1) FROM status_rules`).Scan(&v); err != nil {
			return err
		}
		rs.Version = v + 1
		body, _ := json.Marshal(rs)
		_, err := tx.ExecContext(ctx, `INSERT INTO status_rules (version, rules, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			rs.Version, string(body), by, db.now())
		return err
	})
	if err != nil {
		return rs, fmt.Errorf("save status rules: %w", err)
	}
	db.engines.mu.Lock()
	db.engines.checked = time.Time{}
	db.engines.mu.Unlock()
	return rs, nil
}

// loadStatus reads the stored status of a person; green without reasons
// when none was computed yet.
func (db *DB) loadStatus(ctx context.Context, q querier, personID int64) (storedStatus, error) {
	var level, reasons string
	err := q.QueryRowContext(ctx, `SELECT level, reasons FROM person_status WHERE person_id = $1`, personID).Scan(&level, &reasons)
	if errors.Is(err, sql.ErrNoRows) {
		return storedStatus{Level: status.Green}, nil
	}
	if err != nil {
		return storedStatus{}, fmt.Errorf("status of %d: %w", personID, err)
	}
	s := storedStatus{Level: status.Level(level), stored: true}
	if err := json.Unmarshal([]byte(reasons), &s.Reasons); err != nil {
		return storedStatus{}, fmt.Errorf("status of %d: %w", personID, err)
	}
	return s, nil
}

// PersonStatus returns the current status of a person in the scope.
func (db *DB) PersonStatus(ctx context.Context, sc domain.Scope, personID int64, lang string) (status.Result, error) {
	if _, err := db.Person(ctx, sc, personID, false); err != nil {
		return status.Result{}, err
	}
	s, err := db.loadStatus(ctx, db.read, personID)
	return s.result(lang), err
}

// StatusChange is one line of a person's status history.
type StatusChange struct {
	At      time.Time       `json:"at"`
	Level   status.Level    `json:"status"`
	Reasons []status.Reason `json:"reasons"`
	Cause   string          `json:"cause"`
}

// StatusHistory returns a person's status changes, newest first.
func (db *DB) StatusHistory(ctx context.Context, sc domain.Scope, personID int64, limit int, lang string) ([]StatusChange, error) {
	if _, err := db.Person(ctx, sc, personID, false); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT at, level, reasons, cause FROM status_history WHERE person_id = $1 ORDER BY id DESC LIMIT $2`, personID, limit)
	if err != nil {
		return nil, fmt.Errorf("status history of %d: %w", personID, err)
	}
	defer rows.Close()
	out := []StatusChange{}
	for rows.Next() {
		var c StatusChange
		var level, reasons string
		if err := rows.Scan(&c.At, &level, &reasons, &c.Cause); err != nil {
			return nil, err
		}
		s := storedStatus{Level: status.Level(level)}
		json.Unmarshal([]byte(reasons), &s.Reasons)
		r := s.result(lang)
		c.Level, c.Reasons = r.Level, r.Reasons
		out = append(out, c)
	}
	return out, rows.Err()
}

// refreshStatus recomputes a person's status from their records as of
// today and stores it, with a history line when it changed.
func (db *DB) refreshStatus(ctx context.Context, tx *sql.Tx, personID int64, today, cause string) (storedStatus, error) {
	eng, err := db.statusEngine(ctx, tx)
	if err != nil {
		return storedStatus{}, err
	}
	f, err := db.facts(ctx, tx, personID, today)
	if err != nil {
		return storedStatus{}, err
	}
	zh, err := eng.EvaluateErr(f, "zh-CN")
	if err != nil {
		db.log.Warn("status rule failed at run time", "person", personID, "err", err)
	}
	en := eng.Evaluate(f, "en")
	next := storedStatus{Level: zh.Level, Reasons: []storedReason{}}
	for i, r := range zh.Reasons {
		next.Reasons = append(next.Reasons, storedReason{Code: r.Code, ZH: r.Message, EN: en.Reasons[i].Message})
	}
	prev, err := db.loadStatus(ctx, tx, personID)
	if err != nil {
		return storedStatus{}, err
	}
	if prev.stored && prev.fingerprint() == next.fingerprint() {
		return next, nil
	}
	reasons, _ := json.Marshal(next.Reasons)
	now := db.now()
	if _, err := db.txExec(ctx, tx, `INSERT INTO person_status (person_id, level, reasons, rules_version, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (person_id) DO UPDATE SET level = excluded.level, reasons = excluded.reasons,
		rules_version = excluded.rules_version, updated_at = excluded.updated_at`,
		personID, string(next.Level), string(reasons), eng.Version(), now); err != nil {
		return storedStatus{}, fmt.Errorf("store status: %w", err)
	}
	if _, err := db.txExec(ctx, tx, `INSERT INTO status_history (person_id, at, level, reasons, cause) VALUES ($1, $2, $3, $4, $5)`,
		personID, now, string(next.Level), string(reasons), cause); err != nil {
		return storedStatus{}, fmt.Errorf("store status history: %w", err)
	}
	return next, nil
}

// RefreshStatus recomputes one person's status, for jobs that run as days
// pass (missed check-ins count up without any new record).
func (db *DB) RefreshStatus(ctx context.Context, personID int64, today string) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := db.refreshStatus(ctx, tx, personID, today, "daily")
		return err
	})
}

// riskWindowDays is the look-back for declared risk-area travel until
// policy profiles arrive (SPEC §5.4).
const riskWindowDays = 7

// facts gathers the fact set of status.Facts for one person.
func (db *DB) facts(ctx context.Context, q querier, personID int64, today string) (status.Facts, error) {
	f := status.Facts{Today: today, RiskWindowDays: riskWindowDays, Symptoms: []string{}, Syndromes: []string{}}
	day, err := parseDate(today)
	if err != nil {
		return f, fieldErr("date", "must be a date YYYY-MM-DD")
	}
	since := day.AddDate(0, 0, -21).Format(time.DateOnly)
	rows, err := q.QueryContext(ctx, `SELECT date, temperature_c, symptoms, syndromes, risk_area_travel, case_contact, absent
		FROM checkins WHERE person_id = $1 AND date >= $2 AND date <= $3 ORDER BY date DESC, updated_at DESC`, personID, since, today)
	if err != nil {
		return f, fmt.Errorf("facts: %w", err)
	}
	days := map[string]bool{}
	riskSince := day.AddDate(0, 0, -riskWindowDays).Format(time.DateOnly)
	for rows.Next() {
		var date, syms, syns string
		var temp sql.NullFloat64
		var risk, contact, absent bool
		if err := rows.Scan(&date, &temp, &syms, &syns, &risk, &contact, &absent); err != nil {
			rows.Close()
			return f, fmt.Errorf("facts: %w", err)
		}
		days[date] = true
		if risk && date >= riskSince {
			f.RiskAreaTravel = true
		}
		if date != today {
			continue
		}
		// Today: the union over slots, and the highest temperature.
		f.CheckedInToday = f.CheckedInToday || !absent
		f.CaseContactDeclared = f.CaseContactDeclared || contact
		if temp.Valid && (!f.TemperatureTaken || temp.Float64 > f.Temperature) {
			f.Temperature, f.TemperatureTaken = temp.Float64, true
		}
		f.Symptoms = union(f.Symptoms, splitTags(syms))
		f.Syndromes = union(f.Syndromes, splitTags(syns))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("facts: %w", err)
	}
	// Missed school days: weekdays before today without any check-in,
	// counted back until one has one. The school calendar (holidays,
	// make-up days) refines this when it arrives.
	for d := day.AddDate(0, 0, -1); d.After(day.AddDate(0, 0, -21)); d = d.AddDate(0, 0, -1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		if days[d.Format(time.DateOnly)] {
			break
		}
		f.MissedSchoolDays++
	}
	// Nobody misses check-ins from before they were registered.
	var created time.Time
	if err := q.QueryRowContext(ctx, `SELECT created_at FROM people WHERE id = $1`, personID).Scan(&created); err != nil {
		return f, fmt.Errorf("facts: %w", err)
	}
	f.MissedSchoolDays = min(f.MissedSchoolDays, weekdaysBetween(created.Format(time.DateOnly), today))
	var diagnosis string
	var open, needCert bool
	err = q.QueryRowContext(ctx, `SELECT
		COALESCE(MAX(CASE WHEN return_date = '' OR return_date > $2 THEN 1 ELSE 0 END), 0),
		COALESCE(MAX(CASE WHEN certificate_required AND certificate_received = '' THEN 1 ELSE 0 END), 0),
		COALESCE(MAX(diagnosis), '')
		FROM absences WHERE person_id = $1 AND start_date <= $2 AND start_date >= $3`,
		personID, today, day.AddDate(0, 0, -60).Format(time.DateOnly)).Scan(&open, &needCert, &diagnosis)
	if err != nil {
		return f, fmt.Errorf("facts: absences: %w", err)
	}
	f.AbsenceOpen, f.AbsenceNeedsCertificate, f.AbsenceDiagnosis = open, needCert, diagnosis
	return f, nil
}

// weekdaysBetween counts the weekdays after from up to, not including, to.
func weekdaysBetween(from, to string) int {
	a, err1 := parseDate(from)
	b, err2 := parseDate(to)
	if err1 != nil || err2 != nil {
		return 0
	}
	n := 0
	for d := a.AddDate(0, 0, 1); d.Before(b); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}

func union(a, b []string) []string {
	for _, x := range b {
		found := false
		for _, y := range a {
			found = found || x == y
		}
		if !found {
			a = append(a, x)
		}
	}
	return a
}
