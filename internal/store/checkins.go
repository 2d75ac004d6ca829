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
func (db *DB) RecordCheckin(ctx context.Context, sc domain.Scope, c *domain.Checkin, rules domain.CheckinRules, th domain.Thresholds, lang string) (*CheckinResult, error) {
	if err := c.Validate(rules); err != nil {
		return nil, err
	}
	if _, err := db.Person(ctx, sc, c.PersonID, false); err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return nil, fieldErr("person_id", "no such person in your scope")
		}
		return nil, err
	}
	c.Syndromes = domain.SyndromesOf(c.TemperatureC, c.Symptoms, th)
	if c.Syndromes == nil {
		c.Syndromes = []domain.Syndrome{}
	}
	res := &CheckinResult{}
	err := db.transactGrouped(ctx, func(tx *sql.Tx) error {
		*res = CheckinResult{}
		if c.ClientID != "" {
			var id int64
			err := db.txQueryRow(ctx, tx, `SELECT checkin_id FROM checkin_clients WHERE client_id = $1`, c.ClientID).Scan(&id)
			if err == nil {
				prev, err := scanCheckin(tx.QueryRowContext(ctx, `SELECT `+checkinColumns+` FROM checkins c WHERE c.id = $1`, id))
				if err != nil {
					return err
				}
				if prev.PersonID != c.PersonID {
					return fieldErr("client_id", "already used for another person's check-in")
				}
				res.Checkin, res.Replayed = prev, true
				st, err := db.loadStatus(ctx, tx, c.PersonID)
				res.Status = st.result(lang)
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err := db.upsertCheckin(ctx, tx, c, &res.newSubjects); err != nil {
			return err
		}
		if c.ClientID != "" {
			if _, err := db.txExec(ctx, tx, `INSERT INTO checkin_clients (client_id, checkin_id, revision) VALUES ($1, $2, $3)`,
				c.ClientID, c.ID, c.Revision); err != nil {
				return err
			}
		}
		res.Checkin = c
		st, err := db.refreshStatus(ctx, tx, c.PersonID, rules.Today, "checkin")
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

// upsertCheckin inserts c or revises the existing record of the same
// (person, date, slot), keeping the replaced version in checkin_revisions.
func (db *DB) upsertCheckin(ctx context.Context, tx *sql.Tx, c *domain.Checkin, newSubjects *[]string) error {
	// The unit's daily counts change by the difference between the
	// person's day before and after this record.
	var orgID int64
	if err := db.txQueryRow(ctx, tx, `SELECT org_id FROM people WHERE id = $1`, c.PersonID).Scan(&orgID); err != nil {
		return err
	}
	// One read of the person's records that day gives the state before;
	// the state after is the same with this slot's record replaced.
	rows, err := db.txQuery(ctx, tx, `SELECT slot, absent, syndromes FROM checkins WHERE person_id = $1 AND date = $2`, c.PersonID, c.Date)
	if err != nil {
		return err
	}
	slots := map[string]slotRecord{}
	for rows.Next() {
		var slot, syns string
		var absent bool
		if err := rows.Scan(&slot, &absent, &syns); err != nil {
			rows.Close()
			return err
		}
		var list []domain.Syndrome
		for _, x := range splitTags(syns) {
			list = append(list, domain.Syndrome(x))
		}
		slots[slot] = slotRecord{absent, list}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	beforeSlot, beforeDay := stateOf(slots, c.Slot), stateOf(slots, "")
	if err := db.writeCheckin(ctx, tx, c); err != nil {
		return err
	}
	// Most check-ins are normal before and after: they leave the
	// surveillance events alone and cost no statement here.
	if len(slots[c.Slot].syndromes) > 0 || len(c.Syndromes) > 0 {
		added, err := db.setEvents(ctx, tx, c.PersonID, c.Date, "checkin:"+strconv.FormatInt(c.ID, 10), syndromeSubjects(c.Syndromes))
		if err != nil {
			return err
		}
		*newSubjects = added
	}
	slots[c.Slot] = slotRecord{c.Absent, c.Syndromes}
	if err := db.bumpCounts(ctx, tx, orgID, c.Date, c.Slot, beforeSlot, stateOf(slots, c.Slot)); err != nil {
		return err
	}
	return db.bumpCounts(ctx, tx, orgID, c.Date, "", beforeDay, stateOf(slots, ""))
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

func (db *DB) writeCheckin(ctx context.Context, tx *sql.Tx, c *domain.Checkin) error {
	now := db.now()
	prev, err := scanCheckin(db.txQueryRow(ctx, tx, `SELECT `+checkinColumns+` FROM checkins c
		WHERE c.person_id = $1 AND c.date = $2 AND c.slot = $3`, c.PersonID, c.Date, c.Slot))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		c.Revision, c.CreatedAt, c.UpdatedAt = 1, now, now
		return db.txQueryRow(ctx, tx, `INSERT INTO checkins (person_id, date, slot, temperature_c, symptoms, syndromes, on_campus,
			region_code, address, risk_area_travel, case_contact, absent, note, source, submitted_by, revision, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16) RETURNING id`,
			c.PersonID, c.Date, c.Slot, c.TemperatureC, joinTags(c.Symptoms), joinSyndromes(c.Syndromes), c.OnCampus,
			c.RegionCode, c.Address, c.RiskAreaTravel, c.CaseContact, c.Absent, c.Note, c.Source, c.SubmittedBy, now).Scan(&c.ID)
	case err != nil:
		return err
	}
	snapshot, _ := json.Marshal(prev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_revisions (checkin_id, revision, data, replaced_at) VALUES ($1, $2, $3, $4)`,
		prev.ID, prev.Revision, string(snapshot), now); err != nil {
		return err
	}
	c.ID, c.Revision, c.CreatedAt, c.UpdatedAt = prev.ID, prev.Revision+1, prev.CreatedAt, now
	_, err = tx.ExecContext(ctx, `UPDATE checkins SET temperature_c = $1, symptoms = $2, syndromes = $3, on_campus = $4, region_code = $5,
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
