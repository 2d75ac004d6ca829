package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"epiguard/internal/domain"
	"epiguard/internal/status"
)

const checkinColumns = `c.id, c.person_id, c.date, c.slot, c.temperature_c, c.symptoms, c.syndromes, c.on_campus, c.region_code,
	c.address, c.risk_area_travel, c.case_contact, c.absent, c.note, c.source, c.submitted_by, c.revision, c.created_at, c.updated_at`

func scanCheckin(row interface{ Scan(...any) error }) (*domain.Checkin, error) {
	var c domain.Checkin
	var temp sql.NullFloat64
	var onCampus sql.NullBool
	var syms, syns string
	if err := row.Scan(&c.ID, &c.PersonID, &c.Date, &c.Slot, &temp, &syms, &syns, &onCampus, &c.RegionCode, &c.Address,
		&c.RiskAreaTravel, &c.CaseContact, &c.Absent, &c.Note, &c.Source, &c.SubmittedBy, &c.Revision, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	if temp.Valid {
		c.TemperatureC = &temp.Float64
	}
	if onCampus.Valid {
		c.OnCampus = &onCampus.Bool
	}
	c.Symptoms = splitTags(syms)
	c.Syndromes = []domain.Syndrome{}
	for _, s := range splitTags(syns) {
		c.Syndromes = append(c.Syndromes, domain.Syndrome(s))
	}
	return &c, nil
}

func joinSyndromes(s []domain.Syndrome) string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return joinTags(out)
}

// CheckinResult is what recording a check-in answers (SPEC §4.2).
type CheckinResult struct {
	Checkin *domain.Checkin
	Status  status.Result
	// Replayed is true when the client_id was seen before and nothing
	// was written.
	Replayed bool
	// newSubjects are the surveillance subjects the person newly has on
	// the check-in's date.
	newSubjects []string
}

// RecordCheckin stores a check-in for a person in the scope: one record per
// (person, date, slot), a later submission revising it with the earlier
// version kept; a retry with a known client_id changes nothing. The
// person's status is recomputed in the same transaction.
//
// Everything is read in the write transaction, in two statements: the
// person (scope, status, absences, the client_id's check-in), and their
// check-ins of the days the status looks at, from which the daily counts,
// the revision and the status facts are computed. The scope check rides
// along with the person's row for a few microseconds of the writer's
// time; on the read pool it cost several times that, as each commit makes
// a reader start a new snapshot and re-read the pages that changed, and
// it could not see the state the check-in is then written against.
func (db *DB) RecordCheckin(ctx context.Context, sc domain.Scope, c *domain.Checkin, rules domain.CheckinRules, th domain.Thresholds, lang string) (*CheckinResult, error) {
	if err := c.Validate(rules); err != nil {
		return nil, err
	}
	day, err := parseDate(rules.Today)
	if err != nil {
		return nil, fieldErr("date", "must be a date YYYY-MM-DD")
	}
	notVisible := fieldErr("person_id", "no such person in your scope")
	if !sc.PersonLevel {
		return nil, notVisible
	}
	if !sc.CanRecordHealth() {
		return nil, domain.Errorf(domain.EForbidden, "your role (%s) may not record check-ins", sc.Role)
	}
	c.Syndromes = domain.SyndromesOf(c.TemperatureC, c.Symptoms, th)
	if c.Syndromes == nil {
		c.Syndromes = []domain.Syndrome{}
	}
	// The statements below do not watch ctx: each is a short lookup or
	// write, and watching costs the driver a goroutine per statement.
	// A caller that gives up before the commit does not hear the answer.
	wctx := context.WithoutCancel(ctx)
	res := &CheckinResult{}
	err = db.transactGrouped(ctx, func(tx *sql.Tx, w *writeBatch) error {
		*res = CheckinResult{}
		ps, err := db.personState(wctx, tx, c.PersonID, day, sc, c.ClientID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return refused(notVisible)
		case err != nil:
			return err
		case !ps.visible:
			return refused(notVisible)
		}
		if ps.clientCheckin != 0 {
			prev, err := scanCheckin(tx.QueryRowContext(wctx, `SELECT `+checkinColumns+` FROM checkins c WHERE c.id = $1`, ps.clientCheckin))
			if err != nil {
				return err
			}
			if prev.PersonID != c.PersonID {
				return refused(fieldErr("client_id", "already used for another person's check-in"))
			}
			res.Checkin, res.Replayed, res.Status = prev, true, ps.status.result(lang)
			return nil
		}
		// One read of the person's check-ins gives the state of the day
		// before this record (for the daily counts), the record it
		// revises, and, with it replaced, the status facts.
		recs, err := db.recentCheckins(wctx, tx, c.PersonID, min(factsSince(day), c.Date), max(rules.Today, c.Date))
		if err != nil {
			return err
		}
		var prev *domain.Checkin
		slots := map[string]slotRecord{}
		for _, r := range recs {
			if r.Date == c.Date {
				slots[r.Slot] = slotRecord{r.Absent, r.Syndromes}
				if r.Slot == c.Slot {
					prev = r
				}
			}
		}
		beforeSlot, beforeDay := stateOf(slots, c.Slot), stateOf(slots, "")
		if err := db.writeCheckinOver(wctx, tx, c, prev); err != nil {
			return err
		}
		if c.ClientID != "" {
			if _, err := db.txExec(wctx, tx, `INSERT INTO checkin_clients (client_id, checkin_id, revision) VALUES ($1, $2, $3)`,
				c.ClientID, c.ID, c.Revision); err != nil {
				return err
			}
		}
		// Most check-ins are normal before and after: they leave the
		// surveillance events alone and cost no statement here.
		if len(slots[c.Slot].syndromes) > 0 || len(c.Syndromes) > 0 {
			added, err := db.setEvents(wctx, tx, c.PersonID, c.Date, "checkin:"+strconv.FormatInt(c.ID, 10), syndromeSubjects(c.Syndromes))
			if err != nil {
				return err
			}
			res.newSubjects = added
		}
		// The unit's daily counts change by the difference between the
		// person's day before and after this record; the group writes
		// the sum of its requests' changes once.
		slots[c.Slot] = slotRecord{c.Absent, c.Syndromes}
		w.addCountChange(ps.orgID, c.Date, c.Slot, beforeSlot, stateOf(slots, c.Slot))
		w.addCountChange(ps.orgID, c.Date, "", beforeDay, stateOf(slots, ""))
		res.Checkin = c
		// The facts see this record in place of the one it revises.
		recs = slices.DeleteFunc(recs, func(r *domain.Checkin) bool { return r == prev })
		recs = append(recs, c)
		sortCheckins(recs)
		st, err := db.storeStatus(wctx, tx, c.PersonID, "checkin", factsOf(day, recs, ps), ps.status)
		res.Status = st.result(lang)
		return err
	})
	if err != nil {
		if domain.ErrorCode(err) != domain.EInternal {
			return nil, err
		}
		return nil, fmt.Errorf("record check-in: %w", err)
	}
	db.newSubjects(ctx, c.PersonID, c.Date, res.newSubjects)
	return res, nil
}

// slotRecord is what the daily counts need of one check-in.
type slotRecord struct {
	absent    bool
	syndromes []domain.Syndrome
}

// stateOf folds a person's records of a day into the state of one slot,
// or of the whole day for slot "".
func stateOf(slots map[string]slotRecord, slot string) dayState {
	var s dayState
	for name, r := range slots {
		if slot != "" && name != slot {
			continue
		}
		s.recorded = true
		s.present = s.present || !r.absent
		for _, x := range r.syndromes {
			if !slices.Contains(s.syndromes, x) {
				s.syndromes = append(s.syndromes, x)
			}
		}
	}
	return s
}

// writeCheckin inserts c or revises the existing record of the same
// (person, date, slot), keeping the replaced version in checkin_revisions.
func (db *DB) writeCheckin(ctx context.Context, tx *sql.Tx, c *domain.Checkin) error {
	prev, err := scanCheckin(db.txQueryRow(ctx, tx, `SELECT `+checkinColumns+` FROM checkins c
		WHERE c.person_id = $1 AND c.date = $2 AND c.slot = $3`, c.PersonID, c.Date, c.Slot))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		prev = nil
	case err != nil:
		return err
	}
	return db.writeCheckinOver(ctx, tx, c, prev)
}

const insertCheckinSQL = `INSERT INTO checkins (person_id, date, slot, temperature_c, symptoms, syndromes, on_campus,
	region_code, address, risk_area_travel, case_contact, absent, note, source, submitted_by, revision, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16)`

// writeCheckinOver is writeCheckin for a caller that has read the record
// of c's (person, date, slot) already: prev, or nil when there is none.
func (db *DB) writeCheckinOver(ctx context.Context, tx *sql.Tx, c *domain.Checkin, prev *domain.Checkin) error {
	now := db.now()
	if prev == nil {
		c.Revision, c.CreatedAt, c.UpdatedAt = 1, now, now
		vals := []any{c.PersonID, c.Date, c.Slot, c.TemperatureC, joinTags(c.Symptoms), joinSyndromes(c.Syndromes), c.OnCampus,
			c.RegionCode, c.Address, c.RiskAreaTravel, c.CaseContact, c.Absent, c.Note, c.Source, c.SubmittedBy, now}
		if db.engine != SQLite {
			return db.txQueryRow(ctx, tx, insertCheckinSQL+` RETURNING id`, vals...).Scan(&c.ID)
		}
		// SQLite tells the new id without a result row, which would cost
		// database/sql a goroutine to watch the transaction.
		r, err := db.txExec(ctx, tx, insertCheckinSQL, vals...)
		if err != nil {
			return err
		}
		c.ID, err = r.LastInsertId()
		return err
	}
	snapshot, _ := json.Marshal(prev)
	if _, err := db.txExec(ctx, tx, `INSERT INTO checkin_revisions (checkin_id, revision, data, replaced_at) VALUES ($1, $2, $3, $4)`,
		prev.ID, prev.Revision, string(snapshot), now); err != nil {
		return err
	}
	c.ID, c.Revision, c.CreatedAt, c.UpdatedAt = prev.ID, prev.Revision+1, prev.CreatedAt, now
	_, err := db.txExec(ctx, tx, `UPDATE checkins SET temperature_c = $1, symptoms = $2, syndromes = $3, on_campus = $4, region_code = $5,
		address = $6, risk_area_travel = $7, case_contact = $8, absent = $9, note = $10, source = $11, submitted_by = $12,
		revision = $13, updated_at = $14 WHERE id = $15`,
		c.TemperatureC, joinTags(c.Symptoms), joinSyndromes(c.Syndromes), c.OnCampus, c.RegionCode, c.Address, c.RiskAreaTravel,
		c.CaseContact, c.Absent, c.Note, c.Source, c.SubmittedBy, c.Revision, now, c.ID)
	return err
}

// Checkins returns a person's check-ins from since (inclusive), newest first.
func (db *DB) Checkins(ctx context.Context, sc domain.Scope, personID int64, since string) ([]*domain.Checkin, error) {
	if _, err := db.Person(ctx, sc, personID, false); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+checkinColumns+` FROM checkins c WHERE c.person_id = $1 AND c.date >= $2
		ORDER BY c.date DESC, c.slot`, personID, since)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %d: %w", personID, err)
	}
	defer rows.Close()
	out := []*domain.Checkin{}
	for rows.Next() {
		c, err := scanCheckin(rows)
		if err != nil {
			return nil, fmt.Errorf("check-ins of %d: %w", personID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UnitCheckins returns the check-ins dated date of the people of the unit
// orgID (by primary unit or membership, at or below it) who are in the
// scope, by person, in one read: the roll shows a whole class at once.
func (db *DB) UnitCheckins(ctx context.Context, sc domain.Scope, orgID int64, date string) (map[int64][]*domain.Checkin, error) {
	org, err := db.personLevelUnit(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	var a args
	d := a.add(date)
	rows, err := db.read.QueryContext(ctx, `SELECT `+checkinColumns+` FROM checkins c
		JOIN people p ON p.id = c.person_id JOIN orgs o ON o.id = p.org_id
		WHERE c.date = `+d+` AND `+a.inUnit(org.Path)+` AND `+a.personInScope(sc)+`
		ORDER BY c.person_id, c.slot`, a...)
	if err != nil {
		return nil, fmt.Errorf("check-ins of unit %d: %w", orgID, err)
	}
	defer rows.Close()
	out := map[int64][]*domain.Checkin{}
	for rows.Next() {
		c, err := scanCheckin(rows)
		if err != nil {
			return nil, fmt.Errorf("check-ins of unit %d: %w", orgID, err)
		}
		out[c.PersonID] = append(out[c.PersonID], c)
	}
	return out, rows.Err()
}

// CheckinRevisions returns the earlier versions of a check-in, oldest first.
func (db *DB) CheckinRevisions(ctx context.Context, sc domain.Scope, checkinID int64) ([]*domain.Checkin, error) {
	var personID int64
	if err := db.read.QueryRowContext(ctx, `SELECT person_id FROM checkins WHERE id = $1`, checkinID).Scan(&personID); err != nil {
		return nil, domain.Errorf(domain.ENotFound, "check-in %d not found", checkinID)
	}
	if _, err := db.Person(ctx, sc, personID, false); err != nil {
		return nil, domain.Errorf(domain.ENotFound, "check-in %d not found", checkinID)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT data FROM checkin_revisions WHERE checkin_id = $1 ORDER BY revision`, checkinID)
	if err != nil {
		return nil, fmt.Errorf("revisions of %d: %w", checkinID, err)
	}
	defer rows.Close()
	out := []*domain.Checkin{}
	for rows.Next() {
		var data string
		var c domain.Checkin
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return nil, fmt.Errorf("revision of %d: %w", checkinID, err)
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ImportCheckins writes many check-ins in one transaction without
// recomputing statuses or the daily counts: the bulk path for simulations
// and migrations from other systems (system scope only). Each is validated
// as of its own date. Call RebuildDailyCounts and RefreshStatuses
// afterwards, once for all imports.
func (db *DB) ImportCheckins(ctx context.Context, sc domain.Scope, cs []*domain.Checkin, th domain.Thresholds) error {
	if sc.Path != "/" {
		return domain.Errorf(domain.EForbidden, "bulk check-in import is for the system only")
	}
	for _, c := range cs {
		if err := c.Validate(domain.CheckinRules{Today: c.Date, MaxAgeDays: 1}); err != nil {
			return fmt.Errorf("check-in of person %d on %s: %w", c.PersonID, c.Date, err)
		}
		c.Syndromes = domain.SyndromesOf(c.TemperatureC, c.Symptoms, th)
	}
	err := db.transact(ctx, func(tx *sql.Tx) error {
		for _, c := range cs {
			if err := db.writeCheckin(ctx, tx, c); err != nil {
				return fmt.Errorf("person %d on %s: %w", c.PersonID, c.Date, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import check-ins: %w", err)
	}
	return nil
}

// RefreshStatuses recomputes the statuses of many people as of today, in
// transactions of a few hundred.
func (db *DB) RefreshStatuses(ctx context.Context, personIDs []int64, today, cause string) error {
	for start := 0; start < len(personIDs); start += 500 {
		part := personIDs[start:min(start+500, len(personIDs))]
		err := db.transact(ctx, func(tx *sql.Tx) error {
			for _, id := range part {
				if _, err := db.refreshStatus(ctx, tx, id, today, cause); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("refresh statuses: %w", err)
		}
	}
	return nil
}

// PeopleIDs returns the ids of all people below a unit (all people for 0),
// for jobs that visit everyone.
func (db *DB) PeopleIDs(ctx context.Context, orgID int64) ([]int64, error) {
	path := "/"
	if orgID != 0 {
		o, err := db.Org(ctx, domain.System(), orgID)
		if err != nil {
			return nil, err
		}
		path = o.Path
	}
	rows, err := db.read.QueryContext(ctx, `SELECT p.id FROM people p JOIN orgs o ON o.id = p.org_id WHERE o.path >= $1 AND o.path < $2 ORDER BY p.id`,
		path, domain.UpperBound(path))
	if err != nil {
		return nil, fmt.Errorf("people ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
