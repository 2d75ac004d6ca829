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
	var a args
	dateArg := a.add(date)
	slotCond := ""
	if slot != "" {
		slotCond = " AND c.slot = " + a.add(slot)
	}
	var syn strings.Builder
	for _, s := range domain.AllSyndromes {
		fmt.Fprintf(&syn, ", MAX(CASE WHEN c.syndromes LIKE '%%,%s,%%' THEN 1 ELSE 0 END) AS s_%s", s, s)
	}
	var sums strings.Builder
	for _, s := range domain.AllSyndromes {
		fmt.Fprintf(&sums, ", SUM(s_%s)", s)
	}
	lo, hi := a.add(org.Path), a.add(domain.UpperBound(org.Path))
	// Per person: present in any slot, absent in all recorded slots, and
	// each syndrome; then summed per primary unit. Units are rolled up to
	// the children in Go, since there are few of them.
	q := `SELECT org_id, COUNT(*), SUM(present), SUM(CASE WHEN recorded = 0 AND ill = 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN present = 0 AND (recorded = 1 OR ill = 1) THEN 1 ELSE 0 END), SUM(ill)` + sums.String() + `
		FROM (SELECT p.id, p.org_id,
			MAX(CASE WHEN c.id IS NOT NULL AND NOT c.absent THEN 1 ELSE 0 END) AS present,
			MAX(CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END) AS recorded,
			MAX(CASE WHEN EXISTS (SELECT 1 FROM absences ab WHERE ab.person_id = p.id AND ab.start_date <= ` + dateArg + `
				AND (ab.return_date = '' OR ab.return_date > ` + dateArg + `)) THEN 1 ELSE 0 END) AS ill` + syn.String() + `
			FROM people p JOIN orgs o ON o.id = p.org_id
			LEFT JOIN checkins c ON c.person_id = p.id AND c.date = ` + dateArg + slotCond + `
			WHERE o.path >= ` + lo + ` AND o.path < ` + hi + ` AND p.kind <> 'visitor'
			GROUP BY p.id, p.org_id) per_person
		GROUP BY org_id`
	rows, err := db.read.QueryContext(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
	}
	defer rows.Close()
	total := newDaily(org, date, slot)
	byChild := map[int64]*Daily{}
	for _, c := range children {
		d := newDaily(c, date, slot)
		byChild[c.ID] = d
		total.Children = append(total.Children, d)
	}
	paths, err := db.unitPaths(ctx, org)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var unitID int64
		d := &Daily{Abnormal: map[domain.Syndrome]int{}}
		counts := make([]int, len(domain.AllSyndromes))
		dest := []any{&unitID, &d.Expected, &d.CheckedIn, &d.Missing, &d.Absent, &d.AbsentIll}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("daily summary: %w", err)
		}
		for i, s := range domain.AllSyndromes {
			d.Abnormal[s] = counts[i]
		}
		total.add(d)
		if child := childOf(paths[unitID], children); child != nil {
			byChild[child.ID].add(d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily summary: %w", err)
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
