package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"epiguard/internal/calendar"
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
// Everyone's status is then recomputed by the refresh_statuses job
// (internal/jobs), and each new record uses the new rules at once.
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
		if err := db.lockFor(ctx, tx, lockRules, 0); err != nil {
			return err
		}
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

// UnitStatuses returns the current statuses of the people of the unit
// orgID (by primary unit or membership, at or below it) who are in the
// scope, in one read. People whose status was never computed are not in
// the map: they are green without reasons.
func (db *DB) UnitStatuses(ctx context.Context, sc domain.Scope, orgID int64, lang string) (map[int64]status.Result, error) {
	org, err := db.personLevelUnit(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	var a args
	rows, err := db.read.QueryContext(ctx, `SELECT s.person_id, s.level, s.reasons FROM person_status s
		JOIN people p ON p.id = s.person_id JOIN orgs o ON o.id = p.org_id
		WHERE `+a.inUnit(org.Path)+` AND `+a.personInScope(sc), a...)
	if err != nil {
		return nil, fmt.Errorf("statuses of unit %d: %w", orgID, err)
	}
	defer rows.Close()
	out := map[int64]status.Result{}
	for rows.Next() {
		var id int64
		var level, reasons string
		if err := rows.Scan(&id, &level, &reasons); err != nil {
			return nil, fmt.Errorf("statuses of unit %d: %w", orgID, err)
		}
		s := storedStatus{Level: status.Level(level), stored: true}
		if err := json.Unmarshal([]byte(reasons), &s.Reasons); err != nil {
			return nil, fmt.Errorf("status of %d: %w", id, err)
		}
		out[id] = s.result(lang)
	}
	return out, rows.Err()
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
	day, err := parseDate(today)
	if err != nil {
		return storedStatus{}, fieldErr("date", "must be a date YYYY-MM-DD")
	}
	ps, err := db.personState(ctx, tx, personID, day, domain.System(), "")
	if err != nil {
		return storedStatus{}, err
	}
	recs, err := db.recentCheckins(ctx, tx, personID, factsSince(day), today)
	if err != nil {
		return storedStatus{}, err
	}
	return db.storeStatus(ctx, tx, personID, cause, factsOf(day, recs, ps), ps.status)
}

// storeStatus evaluates the status rules on f and stores the result, with
// a history line, unless it equals prev, the person's stored status.
func (db *DB) storeStatus(ctx context.Context, tx *sql.Tx, personID int64, cause string, f status.Facts, prev storedStatus) (storedStatus, error) {
	eng, err := db.statusEngine(ctx, tx)
	if err != nil {
		return storedStatus{}, err
	}
	zh, err := eng.EvaluateErr(f, "zh-CN")
	if err != nil {
		db.log.Warn("status rule failed at run time", "person", personID, "err", err)
	}
	next := storedStatus{Level: zh.Level, Reasons: []storedReason{}}
	if len(zh.Reasons) > 0 {
		// The same rules match in either language; only the messages
		// differ, so a status without reasons needs no second run.
		en := eng.Evaluate(f, "en")
		for i, r := range zh.Reasons {
			next.Reasons = append(next.Reasons, storedReason{Code: r.Code, ZH: r.Message, EN: en.Reasons[i].Message})
		}
	}
	// Nothing to write when nothing changed. A person whose status was
	// never stored reads as green without reasons (loadStatus), so
	// computing exactly that changes nothing either: most people stay
	// green, and their first check-in then costs no status write.
	if prev.stored && prev.fingerprint() == next.fingerprint() ||
		!prev.stored && next.Level == status.Green && len(next.Reasons) == 0 {
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

// factsDays is how far back the facts look at check-ins: missed school
// days are counted back at most this far.
const factsDays = 21

const secondsPerDay = 24 * 60 * 60

// factsSince is the first date of the check-ins the facts of day read.
func factsSince(day time.Time) string {
	return day.AddDate(0, 0, -factsDays).Format(time.DateOnly)
}

// personState is what the status of a person needs besides their
// check-ins, and what the check-in path needs besides: one statement reads
// it all.
type personState struct {
	orgID int64 // primary unit
	// registered is the date, in the installation's time zone, on which
	// the person was registered.
	registered string
	// calendar says which days the person is expected to check in: their
	// school's calendar, or nil outside schools (no such days).
	calendar *calendar.Calendar
	status   storedStatus
	// Illness absences up to the day: one still open and one whose
	// certificate is missing, however long ago they started (a
	// tuberculosis absence lasts months), and the (greatest) diagnosis of
	// those of the last 60 days.
	absenceOpen, absenceNeedsCert bool
	absenceDiagnosis              string
	// absentUntil is the latest day before the day that an illness
	// absence covered, "" for none: the school knew why the person did
	// not check in, so such days are not missed.
	absentUntil string
	// visible tells whether the person is in the scope asked about.
	visible bool
	// clientCheckin is the check-in recorded under the client_id asked
	// about, 0 for none.
	clientCheckin int64
}

// personState reads a person's state as of day, whether they are in scope
// sc, and which check-in was recorded under clientID ("" for none). It
// returns sql.ErrNoRows (wrapped) for a person that does not exist.
func (db *DB) personState(ctx context.Context, tx *sql.Tx, personID int64, day time.Time, sc domain.Scope, clientID string) (*personState, error) {
	// Whoever reads a person's state to write from it holds the person
	// until the end of the transaction (see lockFor).
	if err := db.lockFor(ctx, tx, lockPerson, personID); err != nil {
		return nil, err
	}
	a := args{personID, day.Format(time.DateOnly), day.AddDate(0, 0, -60).Format(time.DateOnly), clientID,
		day.AddDate(0, 0, -1).Format(time.DateOnly)}
	// The text depends only on whether sc is the whole installation, so
	// it is prepared twice at most.
	q := `SELECT p.org_id, p.created_at, po.path, po.kind, s.level, s.reasons,
		EXISTS (SELECT 1 FROM absences a WHERE a.person_id = p.id AND a.start_date <= $5
			AND (a.return_date = '' OR a.return_date > $5)),
		COALESCE((SELECT MAX(a.return_date) FROM absences a WHERE a.person_id = p.id AND a.start_date <= $5
			AND a.return_date > a.start_date), ''),
		EXISTS (SELECT 1 FROM absences a WHERE a.person_id = p.id AND a.start_date <= $2
			AND (a.return_date = '' OR a.return_date > $2)),
		EXISTS (SELECT 1 FROM absences a WHERE a.person_id = p.id AND a.start_date <= $2
			AND a.certificate_required AND a.certificate_received = ''),
		COALESCE((SELECT MAX(a.diagnosis) FROM absences a WHERE a.person_id = p.id AND a.start_date <= $2 AND a.start_date >= $3), ''),
		` + a.personInScope(sc) + `,
		COALESCE((SELECT checkin_id FROM checkin_clients WHERE client_id = $4), 0)
		FROM people p JOIN orgs po ON po.id = p.org_id LEFT JOIN person_status s ON s.person_id = p.id WHERE p.id = $1`
	ps := &personState{}
	var level, reasons sql.NullString
	var created time.Time
	var path string
	var kind domain.OrgKind
	var awayYesterday bool
	var lastReturn string
	err := db.txQueryRow(ctx, tx, q, a...).Scan(&ps.orgID, &created, &path, &kind, &level, &reasons, &awayYesterday, &lastReturn,
		&ps.absenceOpen, &ps.absenceNeedsCert, &ps.absenceDiagnosis, &ps.visible, &ps.clientCheckin)
	if err != nil {
		return nil, fmt.Errorf("state of person %d: %w", personID, err)
	}
	ps.registered = created.In(db.loc).Format(time.DateOnly)
	switch {
	case awayYesterday:
		ps.absentUntil = a[4].(string)
	case lastReturn != "":
		if r, err := parseDate(lastReturn); err == nil {
			ps.absentUntil = r.AddDate(0, 0, -1).Format(time.DateOnly)
		}
	}
	if ps.calendar, err = db.schoolCalendar(ctx, tx, path, kind); err != nil {
		return nil, err
	}
	ps.status = storedStatus{Level: status.Green}
	if level.Valid {
		ps.status = storedStatus{Level: status.Level(level.String), stored: true}
		if err := json.Unmarshal([]byte(reasons.String), &ps.status.Reasons); err != nil {
			return nil, fmt.Errorf("status of %d: %w", personID, err)
		}
	}
	return ps, nil
}

// recentCheckins reads a person's check-ins dated from since to until
// (inclusive), newest first and, within a date, the latest revised first.
func (db *DB) recentCheckins(ctx context.Context, tx *sql.Tx, personID int64, since, until string) ([]*domain.Checkin, error) {
	// Sorted here: in SQL the order by updated_at, which no index holds,
	// costs SQLite a temporary B-tree on every call.
	rows, err := db.txQuery(ctx, tx, `SELECT `+checkinColumns+` FROM checkins c
		WHERE c.person_id = $1 AND c.date >= $2 AND c.date <= $3`, personID, since, until)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %d: %w", personID, err)
	}
	defer rows.Close()
	var out []*domain.Checkin
	for rows.Next() {
		c, err := scanCheckin(rows)
		if err != nil {
			return nil, fmt.Errorf("check-ins of %d: %w", personID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check-ins of %d: %w", personID, err)
	}
	sortCheckins(out)
	return out, nil
}

// sortCheckins orders check-ins newest date first and, within a date, the
// latest revised first.
func sortCheckins(cs []*domain.Checkin) {
	slices.SortStableFunc(cs, func(a, b *domain.Checkin) int {
		return cmp.Or(strings.Compare(b.Date, a.Date), b.UpdatedAt.Compare(a.UpdatedAt))
	})
}

// factsOf gathers the fact set of status.Facts for a person as of day (a
// date as parseDate gives it) from their check-ins (newest first, as
// recentCheckins reads them; records outside the factsDays up to day are
// passed over) and their state.
func factsOf(day time.Time, recs []*domain.Checkin, ps *personState) status.Facts {
	today := day.Format(time.DateOnly)
	f := status.Facts{Today: today, RiskWindowDays: riskWindowDays, Symptoms: []string{}, Syndromes: []string{}}
	since := factsSince(day)
	var checked []int64 // the days before today with a check-in, as days since 1970
	// The window is riskWindowDays days with the day itself: travel
	// declared on the 24th counts until the 30th for 7 days.
	riskSince := day.AddDate(0, 0, 1-riskWindowDays).Format(time.DateOnly)
	for _, c := range recs {
		if c.Date < since || c.Date > today {
			continue
		}
		if c.RiskAreaTravel && c.Date >= riskSince {
			f.RiskAreaTravel = true
		}
		if c.Date != today {
			if d, err := parseDate(c.Date); err == nil {
				checked = append(checked, d.Unix()/secondsPerDay)
			}
			continue
		}
		// Today: the union over slots, and the highest temperature.
		f.CheckedInToday = f.CheckedInToday || !c.Absent
		f.CaseContactDeclared = f.CaseContactDeclared || c.CaseContact
		if t := c.TemperatureC; t != nil && (!f.TemperatureTaken || *t > f.Temperature) {
			f.Temperature, f.TemperatureTaken = *t, true
		}
		f.Symptoms = union(f.Symptoms, c.Symptoms)
		syns := make([]string, len(c.Syndromes))
		for i, s := range c.Syndromes {
			syns[i] = string(s)
		}
		f.Syndromes = union(f.Syndromes, syns)
	}
	// Missed school days: the school days of the person's school calendar
	// (no holidays, breaks or closures; make-up days count) before today
	// without a check-in, counted back until one with a check-in or under
	// an illness absence, and never before they were registered. Outside schools there are no
	// school days: residents check in when a campaign or a quarantine
	// asks them to, not daily. Dates parse to UTC midnights, where every
	// day has 24 hours.
	for k := int64(1); ps.calendar != nil && k < factsDays; k++ {
		d := day.Add(-time.Duration(k) * 24 * time.Hour)
		date := d.Format(time.DateOnly)
		if date <= ps.registered {
			break
		}
		if !ps.calendar.IsSchoolDay(date) {
			continue
		}
		if slices.Contains(checked, d.Unix()/secondsPerDay) || date <= ps.absentUntil {
			break
		}
		f.MissedSchoolDays++
	}
	f.AbsenceOpen, f.AbsenceNeedsCertificate, f.AbsenceDiagnosis = ps.absenceOpen, ps.absenceNeedsCert, ps.absenceDiagnosis
	return f
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
