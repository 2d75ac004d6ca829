package store

import (
	"context"
	"fmt"
	"strings"

	"epiguard/internal/domain"
)

// Daily is the completion summary of a unit for a date (SPEC §3.2, §4.2).
// Every person is counted once: expected = checked_in + missing + those
// accounted for as absent (an absent row in the morning/noon check, or an
// illness absence covering the date).
type Daily struct {
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
	Children  []*Daily                `json:"children,omitempty"`
}

func newDaily(o *domain.Org, date, slot string) *Daily {
	d := &Daily{OrgID: o.ID, Code: o.Code, Name: o.Name, Kind: o.Kind, Date: date, Slot: slot, Abnormal: map[domain.Syndrome]int{}}
	for _, s := range domain.AllSyndromes {
		d.Abnormal[s] = 0
	}
	return d
}

func (d *Daily) add(x *Daily) {
	d.Expected += x.Expected
	d.CheckedIn += x.CheckedIn
	d.Missing += x.Missing
	d.Absent += x.Absent
	d.AbsentIll += x.AbsentIll
	for k, v := range x.Abnormal {
		d.Abnormal[k] += v
	}
}

// DailySummary computes the completion summary of a unit in the scope for
// a date (and a slot, or all slots when slot is ""), with one entry per
// child unit. Aggregates are not person-level data, so viewers get them.
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
	children, err := db.childUnits(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	paths, err := db.unitPaths(ctx, org)
	if err != nil {
		return nil, err
	}
	// Per primary unit: people expected, then the maintained day counts,
	// then illness absences; rolled up to the children in Go, since units
	// are few and people many.
	units := map[int64]*Daily{}
	unit := func(id int64) *Daily {
		d := units[id]
		if d == nil {
			d = &Daily{Abnormal: map[domain.Syndrome]int{}}
			units[id] = d
		}
		return d
	}
	lo, hi := org.Path, domain.UpperBound(org.Path)
	rows, err := db.read.QueryContext(ctx, `SELECT u.org_id, u.n FROM unit_people u JOIN orgs o ON o.id = u.org_id
		WHERE o.path >= $1 AND o.path < $2`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("daily summary: %w", err)
		}
		unit(id).Expected = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	rows, err = db.read.QueryContext(ctx, `SELECT u.org_id, `+countColumns+` FROM unit_day_counts u JOIN orgs o ON o.id = u.org_id
		WHERE u.date = $1 AND u.slot = $2 AND o.path >= $3 AND o.path < $4`, date, slot, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	recorded := map[int64]int{}
	for rows.Next() {
		var id int64
		var rec int
		counts := make([]int, len(domain.AllSyndromes))
		d := &Daily{}
		dest := []any{&id, &rec, &d.CheckedIn}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("daily summary: %w", err)
		}
		u := unit(id)
		u.CheckedIn += d.CheckedIn
		recorded[id] += rec
		for i, syn := range domain.AllSyndromes {
			u.Abnormal[syn] += counts[i]
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	// Absences are few: start from them (CROSS JOIN fixes SQLite's join
	// order), never from the units' people.
	var a args
	d := a.add(date)
	slotCond := ""
	if slot != "" {
		slotCond = ` AND c.slot = ` + a.add(slot)
	}
	rows, err = db.read.QueryContext(ctx, `SELECT p.org_id, CASE WHEN EXISTS (SELECT 1 FROM checkins c WHERE c.person_id = p.id AND c.date = `+d+slotCond+`)
		THEN 1 ELSE 0 END FROM absences ab CROSS JOIN people p CROSS JOIN orgs o
		WHERE p.id = ab.person_id AND o.id = p.org_id AND ab.start_date <= `+d+` AND (ab.return_date = '' OR ab.return_date > `+d+`) AND o.path >= `+a.add(lo)+` AND o.path < `+a.add(hi)+`
		GROUP BY p.id, p.org_id`, a...)
	if err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	illUnrecorded := map[int64]int{}
	for rows.Next() {
		var id int64
		var hasRecord int
		if err := rows.Scan(&id, &hasRecord); err != nil {
			rows.Close()
			return nil, fmt.Errorf("daily summary: %w", err)
		}
		unit(id).AbsentIll++
		if hasRecord == 0 {
			illUnrecorded[id]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	total := newDaily(org, date, slot)
	byChild := map[int64]*Daily{}
	for _, c := range children {
		d := newDaily(c, date, slot)
		byChild[c.ID] = d
		total.Children = append(total.Children, d)
	}
	for id, u := range units {
		u.Missing = max(0, u.Expected-recorded[id]-illUnrecorded[id])
		u.Absent = recorded[id] - u.CheckedIn + illUnrecorded[id]
		total.add(u)
		if child := childOf(paths[id], children); child != nil {
			byChild[child.ID].add(u)
		}
	}
	if total.Children == nil {
		total.Children = []*Daily{}
	}
	return total, nil
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

// unitPaths maps the id of every unit below org to its path.
func (db *DB) unitPaths(ctx context.Context, org *domain.Org) (map[int64]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, path FROM orgs WHERE path >= $1 AND path < $2`, org.Path, domain.UpperBound(org.Path))
	if err != nil {
		return nil, fmt.Errorf("unit paths: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, rows.Err()
}

func childOf(path string, children []*domain.Org) *domain.Org {
	for _, c := range children {
		if strings.HasPrefix(path, c.Path) {
			return c
		}
	}
	return nil
}

func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := parseDate(s)
	return err == nil
}
