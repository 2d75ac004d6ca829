package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"epiguard/internal/domain"
)

// Daily is the completion summary of a unit for a date (SPEC §3.2, §4.2).
// Every person is counted once: expected = checked_in + missing + those
// accounted for as absent (an absent row in the morning/noon check, or an
// illness absence covering the date).
type Daily struct {
	DailyFigures
	// Children has one entry per child unit, and is [] for a unit
	// without any: SPEC §4.2 lists the field for every summary.
	Children []*DailyFigures `json:"children"`
}

// DailyFigures are one unit's figures in a summary.
type DailyFigures struct {
	OrgID     int64                   `json:"org_id"`
	Code      string                  `json:"code"`
	Name      string                  `json:"name"`
	Kind      domain.OrgKind          `json:"kind"`
	Date      string                  `json:"date"`
	Slot      string                  `json:"slot,omitempty"`
	Expected  int                     `json:"expected"`
	CheckedIn int                     `json:"checked_in"`
	Missing   int                     `json:"missing"`
	Absent    int                     `json:"absent"`
	Abnormal  map[domain.Syndrome]int `json:"abnormal"`
	AbsentIll int                     `json:"absent_ill"`
}

func newFigures(o *domain.Org, date, slot string) *DailyFigures {
	d := &DailyFigures{OrgID: o.ID, Code: o.Code, Name: o.Name, Kind: o.Kind, Date: date, Slot: slot, Abnormal: map[domain.Syndrome]int{}}
	for _, s := range domain.AllSyndromes {
		d.Abnormal[s] = 0
	}
	return d
}

// unitShare is one primary unit's part of a summary.
type unitShare struct {
	path                          string
	expected, recorded, checkedIn int
	ill, illUnrecorded            int
	syndromes                     []int // in the order of domain.AllSyndromes
}

// addUnit adds a unit's share to d. Missing is worked out per unit and
// never below zero: a person who moves after checking in leaves the record
// counted in the old unit, which may then have more records than people.
func (d *DailyFigures) addUnit(u *unitShare) {
	d.Expected += u.expected
	d.CheckedIn += u.checkedIn
	d.Missing += max(0, u.expected-u.recorded-u.illUnrecorded)
	d.Absent += u.recorded - u.checkedIn + u.illUnrecorded
	d.AbsentIll += u.ill
	for i, syn := range domain.AllSyndromes {
		d.Abnormal[syn] += u.syndromes[i]
	}
}

// DailySummary computes the completion summary of a unit in the scope for
// a date (and a slot, or all slots when slot is ""), with one entry per
// child unit. Aggregates are not person-level data, so viewers get them,
// for units of at least minAggregate people.
//
// It reads the maintained per-unit counters and people counts, never the
// check-ins of the units' people, and the illness absences on the date
// (SPEC §7.1: a school of 50,000 people with 10 million check-ins in
// ≤ 20 ms; BenchmarkDailySummary).
func (db *DB) DailySummary(ctx context.Context, sc domain.Scope, orgID int64, date, slot string) (*Daily, error) {
	var v domain.Validation
	if !validDate(date) {
		v.Add("date", "must be a date YYYY-MM-DD")
	}
	if slot != "" && !domain.ValidSlot(slot) {
		v.Add("slot", "must be morning, noon or evening")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	org, err := db.Org(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	// The absences need nothing from the counters: they are read meanwhile
	// on another connection, so that a summary takes the longer of the two
	// reads rather than their sum (each is a few milliseconds for a school).
	type illness struct {
		byUnit map[int64]illCount
		err    error
	}
	illc := make(chan illness, 1) // buffered: an early return leaves no goroutine blocked
	go func() {
		byUnit, err := db.illOn(ctx, org, date, slot)
		illc <- illness{byUnit, err}
	}()
	children, err := db.childUnits(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	units, err := db.unitShares(ctx, org, date, slot)
	if err != nil {
		return nil, err
	}
	ill := <-illc
	if ill.err != nil {
		return nil, ill.err
	}
	total := &Daily{DailyFigures: *newFigures(org, date, slot), Children: []*DailyFigures{}}
	byChild := map[int64]*DailyFigures{}
	for _, c := range children {
		d := newFigures(c, date, slot)
		byChild[c.ID] = d
		total.Children = append(total.Children, d)
	}
	for id, u := range units {
		u.ill, u.illUnrecorded = ill.byUnit[id].ill, ill.byUnit[id].unrecorded
		total.addUnit(u)
		if child := byChild[childID(org.Path, u.path)]; child != nil {
			child.addUnit(u)
		}
	}
	if !sc.PersonLevel {
		// Aggregates of a few people are person-level data: a household's
		// or a dorm room's fever count names whoever lives there. Accounts
		// that see aggregates only get units of at least minAggregate
		// people; smaller child units stay in their parent's totals.
		if total.Expected < minAggregate {
			return nil, domain.Errorf(domain.EForbidden, "%s has fewer than %d people: its figures are person-level data, which your account does not see", org.Name, minAggregate)
		}
		total.Children = slices.DeleteFunc(total.Children, func(c *DailyFigures) bool { return c.Expected < minAggregate })
	}
	return total, nil
}

// minAggregate is the fewest people a unit's figures may cover for an
// account without person-level access.
const minAggregate = 10

// unitShares returns every unit below org (org included) by id, with its
// people and its maintained counts for the date and slot.
func (db *DB) unitShares(ctx context.Context, org *domain.Org, date, slot string) (map[int64]*unitShare, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT o.id, o.path, COALESCE(up.n, 0)
		FROM orgs o LEFT JOIN unit_people up ON up.org_id = o.id
		WHERE o.path >= $1 AND o.path < $2`, org.Path, domain.UpperBound(org.Path))
	if err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	units := map[int64]*unitShare{}
	first, last := org.ID, org.ID
	for rows.Next() {
		// Numbers are scanned into int64, what the drivers return: into an
		// int, database/sql formats each as text and parses it back, 7 %
		// of the time of a school's summary.
		var id, n int64
		u := &unitShare{syndromes: make([]int, len(domain.AllSyndromes))}
		if err := rows.Scan(&id, &u.path, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("daily summary: %w", err)
		}
		u.expected = int(n)
		units[id] = u
		first, last = min(first, id), max(last, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	// The counters' key is (date, slot, org_id), so the units' ids from
	// first to last are one stretch of it, read in order, where a lookup
	// per unit costs twice as much for a school. A school's units are
	// created together and lie close together in it; rows of other units
	// in the stretch are skipped.
	rows, err = db.read.QueryContext(ctx, `SELECT org_id, `+countColumns+` FROM unit_day_counts
		WHERE date = $1 AND slot = $2 AND org_id >= $3 AND org_id <= $4`, date, slot, first, last)
	if err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	defer rows.Close()
	var id int64
	vals := make([]int64, 2+len(domain.AllSyndromes))
	dest := []any{&id}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("daily summary: %w", err)
		}
		if u := units[id]; u != nil {
			u.recorded, u.checkedIn = int(vals[0]), int(vals[1])
			for i, v := range vals[2:] {
				u.syndromes[i] = int(v)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	return units, nil
}

// illCount is a unit's people under illness absence on a date, and how
// many of them have no record then.
type illCount struct{ ill, unrecorded int }

// illOn counts the people below org under illness absence on the date, by
// unit, and those of them without a record on the date (in the slot, if
// one is given).
//
// Absences are few, so the query starts from them, never from the units'
// people, and looks each person up with a subquery: PostgreSQL expects
// ten times as many absences as there are (its statistics cannot see that
// start and return dates go together) and would otherwise hash every
// person in the database, and every check-in of the date for an EXISTS.
// DISTINCT counts a person with two absences once. "Absent on the date"
// is two disjoint ranges of absences_open, those back after the date and
// those not back yet; as one OR, SQLite would look up every absence ending
// after the date, most of which began after it too.
func (db *DB) illOn(ctx context.Context, org *domain.Org, date, slot string) (map[int64]illCount, error) {
	var a args
	d := a.add(date)
	slotCond := ""
	if slot != "" {
		slotCond = ` AND c.slot = ` + a.add(slot)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT x.org_id, (SELECT COUNT(*) FROM checkins c WHERE c.person_id = x.person_id AND c.date = `+d+slotCond+`)
		FROM (SELECT DISTINCT ab.person_id, (SELECT p.org_id FROM people p WHERE p.id = ab.person_id) AS org_id
			FROM (SELECT person_id FROM absences WHERE return_date > `+d+` AND start_date <= `+d+`
				UNION ALL SELECT person_id FROM absences WHERE return_date = '' AND start_date <= `+d+`) ab) x
		CROSS JOIN orgs o
		WHERE o.id = x.org_id AND o.path >= `+a.add(org.Path)+` AND o.path < `+a.add(domain.UpperBound(org.Path)), a...)
	if err != nil {
		return nil, fmt.Errorf("daily summary: absences: %w", err)
	}
	defer rows.Close()
	out := map[int64]illCount{}
	for rows.Next() {
		var id, records int64
		if err := rows.Scan(&id, &records); err != nil {
			return nil, fmt.Errorf("daily summary: absences: %w", err)
		}
		c := out[id]
		c.ill++
		if records == 0 {
			c.unrecorded++
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily summary: absences: %w", err)
	}
	return out, nil
}

// childUnits lists the direct children of a unit by code.
func (db *DB) childUnits(ctx context.Context, id int64) ([]*domain.Org, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.parent_id = $1 ORDER BY o.code`, id)
	if err != nil {
		return nil, fmt.Errorf("child units: %w", err)
	}
	defer rows.Close()
	var out []*domain.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// childID returns the id of the child unit of the unit at parent that
// the unit at path lies in (itself, or one of its ancestors): the path's
// next segment. It is 0 for the parent itself. A lookup by id, where
// testing each child's path took 4 million prefix tests for a school of
// 2,000 classes.
func childID(parent, path string) int64 {
	rest, ok := strings.CutPrefix(path, parent)
	if !ok {
		return 0
	}
	seg, _, _ := strings.Cut(rest, "/")
	id, _ := strconv.ParseInt(seg, 10, 64)
	return id
}

func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := parseDate(s)
	return err == nil
}
