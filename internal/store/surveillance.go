package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"epiguard/internal/cluster"
	"epiguard/internal/domain"
)

// Surveillance subjects are the syndromes of SPEC §5.1 ("fever", "ili", …)
// and diseases named by a diagnosis ("disease:varicella"). Every record
// that shows a subject for a person on a date leaves one row in
// syndrome_events; a person counts once per subject per day in
// unit_subject_counts, for every unit they belong to.
//
// What counts, and on which day:
//   - a check-in: its syndromes, on its date (every slot; a person with
//     fever at the morning and noon check counts once);
//   - an illness absence: the syndromes of its symptoms and the disease of
//     its diagnosis, on its first day of absence — the day the school
//     learns of it; the days after show in the person's check-ins;
//   - a gate scan: fever when the temperature taken is at or above the
//     fever cut-off, on the scan's date in the installation's time zone.

// SubjectCount is the number of distinct people with a subject in a unit on
// a date.
type SubjectCount struct {
	OrgID   int64  `json:"org_id"`
	Date    string `json:"date"`
	Subject string `json:"subject"`
	N       int    `json:"n"`
}

func syndromeSubjects(s []domain.Syndrome) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		out = append(out, string(x))
	}
	return out
}

// absenceSubjects are what an illness absence counts as.
func absenceSubjects(a *domain.Absence, th domain.Thresholds) []string {
	subjects := syndromeSubjects(domain.SyndromesOf(nil, a.Symptoms, th))
	if d := cluster.DiseaseOf(a.Diagnosis); d != "" {
		subjects = append(subjects, cluster.Subject(d))
	}
	return subjects
}

// setEvents replaces what one record (source, e.g. "checkin:12") says about
// a person's subjects on a date, and moves the unit counts of every subject
// whose presence for the person that day changed. It returns the subjects
// the person newly has that day: the ones that may push a unit over a rule.
func (db *DB) setEvents(ctx context.Context, tx *sql.Tx, personID int64, date, source string, subjects []string) ([]string, error) {
	rows, err := db.txQuery(ctx, tx, `SELECT subject, source FROM syndrome_events WHERE person_id = $1 AND date = $2`, personID, date)
	if err != nil {
		return nil, err
	}
	before := map[string]int{} // subject → sources
	mine := map[string]bool{}  // subjects this source had
	for rows.Next() {
		var subj, src string
		if err := rows.Scan(&subj, &src); err != nil {
			rows.Close()
			return nil, err
		}
		before[subj]++
		if src == source {
			mine[subj] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range subjects {
		want[s] = true
	}
	var added, removed []string
	for s := range mine {
		if want[s] {
			continue
		}
		if _, err := db.txExec(ctx, tx, `DELETE FROM syndrome_events WHERE person_id = $1 AND date = $2 AND subject = $3 AND source = $4`,
			personID, date, s, source); err != nil {
			return nil, err
		}
		if before[s] == 1 {
			removed = append(removed, s)
		}
	}
	for s := range want {
		if mine[s] {
			continue
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO syndrome_events (person_id, date, subject, source) VALUES ($1, $2, $3, $4)`,
			personID, date, s, source); err != nil {
			return nil, err
		}
		if before[s] == 0 {
			added = append(added, s)
		}
	}
	if len(added)+len(removed) == 0 {
		return nil, nil
	}
	units, err := db.personUnits(ctx, tx, personID)
	if err != nil {
		return nil, err
	}
	sort.Strings(added)
	sort.Strings(removed)
	for _, change := range []struct {
		subjects []string
		delta    int
	}{{added, 1}, {removed, -1}} {
		for _, s := range change.subjects {
			for _, u := range units {
				if _, err := db.txExec(ctx, tx, `INSERT INTO unit_subject_counts (org_id, date, subject, n) VALUES ($1, $2, $3, $4)
					ON CONFLICT (org_id, subject, date) DO UPDATE SET n = unit_subject_counts.n + excluded.n`, u, date, s, change.delta); err != nil {
					return nil, err
				}
			}
		}
	}
	return added, nil
}

// personUnitsSQL lists the paths of a person's primary unit and of the
// units of their memberships (a dorm room).
const personUnitsSQL = `SELECT o.path FROM people p JOIN orgs o ON o.id = p.org_id WHERE p.id = $1
	UNION SELECT o.path FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.person_id = $2`

// personUnits returns every unit a person belongs to: the primary unit,
// the units of their memberships (a dorm room), and all their ancestors,
// each once.
func (db *DB) personUnits(ctx context.Context, tx *sql.Tx, personID int64) ([]int64, error) {
	rows, err := db.txQuery(ctx, tx, personUnitsSQL, personID, personID)
	if err != nil {
		return nil, err
	}
	return scanUnitPaths(rows)
}

// PersonUnits is personUnits outside a transaction.
func (db *DB) PersonUnits(ctx context.Context, personID int64) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, personUnitsSQL, personID, personID)
	if err != nil {
		return nil, fmt.Errorf("units of person %d: %w", personID, err)
	}
	return scanUnitPaths(rows)
}

func scanUnitPaths(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var paths []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return unitsOfPaths(paths), nil
}

// unitsOfPaths returns the ids named by materialised paths ("/1/5/23/"),
// each once, in order of first appearance.
func unitsOfPaths(paths []string) []int64 {
	var out []int64
	for _, p := range paths {
		for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
			id, err := strconv.ParseInt(part, 10, 64)
			if err == nil && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// SubjectSeries returns the daily counts of a unit's subjects from first to
// last (inclusive); days without cases are absent.
func (db *DB) SubjectSeries(ctx context.Context, orgID int64, first, last string) ([]SubjectCount, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT org_id, date, subject, n FROM unit_subject_counts
		WHERE org_id = $1 AND date >= $2 AND date <= $3 AND n > 0 ORDER BY subject, date`, orgID, first, last)
	if err != nil {
		return nil, fmt.Errorf("subject series: %w", err)
	}
	return scanSubjectCounts(rows)
}

// SubjectCounts returns every unit's non-zero counts from first to last,
// for the daily detection pass.
func (db *DB) SubjectCounts(ctx context.Context, first, last string) ([]SubjectCount, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT org_id, date, subject, n FROM unit_subject_counts
		WHERE date >= $1 AND date <= $2 AND n > 0 ORDER BY org_id, subject, date`, first, last)
	if err != nil {
		return nil, fmt.Errorf("subject counts: %w", err)
	}
	return scanSubjectCounts(rows)
}

func scanSubjectCounts(rows *sql.Rows) ([]SubjectCount, error) {
	defer rows.Close()
	var out []SubjectCount
	for rows.Next() {
		var c SubjectCount
		if err := rows.Scan(&c.OrgID, &c.Date, &c.Subject, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SubjectPerson is one person with a subject on a date: who is behind a
// count.
type SubjectPerson struct {
	PersonID   int64  `json:"person_id"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
	OrgID      int64  `json:"org_id"`
	OrgName    string `json:"org_name"`
	Date       string `json:"date"`
}

// SubjectPeople returns the people of a unit (by primary unit or
// membership, subtree included) with a subject on the given dates, each
// (person, date) once, ordered by date then unit.
func (db *DB) SubjectPeople(ctx context.Context, orgID int64, subject string, dates []string) ([]SubjectPerson, error) {
	if len(dates) == 0 {
		return nil, nil
	}
	org, err := db.Org(ctx, domain.System(), orgID)
	if err != nil {
		return nil, err
	}
	var a args
	in := a.tuple(anySlice(dates)...)
	lo, hi := a.add(org.Path), a.add(domain.UpperBound(org.Path))
	subj := a.add(subject)
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT e.person_id, p.name, p.external_id, p.org_id, o.name, e.date
		FROM syndrome_events e JOIN people p ON p.id = e.person_id JOIN orgs o ON o.id = p.org_id
		WHERE e.subject = `+subj+` AND e.date IN `+in+` AND (
			(o.path >= `+lo+` AND o.path < `+hi+`)
			OR EXISTS (SELECT 1 FROM memberships m JOIN orgs mo ON mo.id = m.org_id
				WHERE m.person_id = e.person_id AND mo.path >= `+lo+` AND mo.path < `+hi+`))
		ORDER BY e.date, o.name, p.external_id`, a...)
	if err != nil {
		return nil, fmt.Errorf("subject people: %w", err)
	}
	defer rows.Close()
	var out []SubjectPerson
	for rows.Next() {
		var p SubjectPerson
		if err := rows.Scan(&p.PersonID, &p.Name, &p.ExternalID, &p.OrgID, &p.OrgName, &p.Date); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func anySlice[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// RebuildSurveillance recomputes syndrome_events and unit_subject_counts
// from the check-ins, illness absences and gate scans, attributing people
// to their current units. The demo's bulk history and `epiguard counts
// rebuild` use it; ordinary writes keep both tables up to date as they go.
func (db *DB) RebuildSurveillance(ctx context.Context, th domain.Thresholds) error {
	err := db.transact(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM unit_subject_counts`, `DELETE FROM syndrome_events`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for _, s := range domain.AllSyndromes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO syndrome_events (person_id, date, subject, source)
				SELECT person_id, date, $1, 'checkin:' || CAST(id AS TEXT) FROM checkins WHERE syndromes LIKE $2`,
				string(s), "%,"+string(s)+",%"); err != nil {
				return err
			}
		}
		// Absences and gate scans are few; their subjects are worked out
		// here by the same functions the live paths use.
		type ev struct {
			person int64
			date   string
			subj   []string
			source string
		}
		var evs []ev
		rows, err := tx.QueryContext(ctx, `SELECT id, person_id, start_date, symptoms, diagnosis FROM absences`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a domain.Absence
			var syms string
			if err := rows.Scan(&a.ID, &a.PersonID, &a.StartDate, &syms, &a.Diagnosis); err != nil {
				rows.Close()
				return err
			}
			a.Symptoms = splitTags(syms)
			evs = append(evs, ev{a.PersonID, a.StartDate, absenceSubjects(&a, th), "absence:" + strconv.FormatInt(a.ID, 10)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT id, person_id, at FROM gate_scans WHERE person_id IS NOT NULL AND temperature_c >= $1`, th.FeverC)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, person int64
			var at sql.NullTime
			if err := rows.Scan(&id, &person, &at); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, ev{person, at.Time.In(db.loc).Format("2006-01-02"), []string{string(domain.SynFever)}, "gate:" + strconv.FormatInt(id, 10)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range evs {
			for _, s := range e.subj {
				if _, err := tx.ExecContext(ctx, `INSERT INTO syndrome_events (person_id, date, subject, source) VALUES ($1, $2, $3, $4)
					ON CONFLICT DO NOTHING`, e.person, e.date, s, e.source); err != nil {
					return err
				}
			}
		}
		return db.rebuildSubjectCounts(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("rebuild surveillance counts: %w", err)
	}
	return nil
}

// rebuildSubjectCounts fills unit_subject_counts from syndrome_events.
func (db *DB) rebuildSubjectCounts(ctx context.Context, tx *sql.Tx) error {
	// Every person's units, from one pass over people and memberships.
	paths := map[int64][]string{}
	rows, err := tx.QueryContext(ctx, `SELECT p.id, o.path FROM people p JOIN orgs o ON o.id = p.org_id
		WHERE p.id IN (SELECT DISTINCT person_id FROM syndrome_events)
		UNION ALL SELECT m.person_id, o.path FROM memberships m JOIN orgs o ON o.id = m.org_id
		WHERE m.person_id IN (SELECT DISTINCT person_id FROM syndrome_events)`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			rows.Close()
			return err
		}
		paths[id] = append(paths[id], p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	type key struct {
		org           int64
		date, subject string
	}
	counts := map[key]int{}
	rows, err = tx.QueryContext(ctx, `SELECT DISTINCT person_id, date, subject FROM syndrome_events`)
	if err != nil {
		return err
	}
	units := map[int64][]int64{}
	for rows.Next() {
		var person int64
		var date, subject string
		if err := rows.Scan(&person, &date, &subject); err != nil {
			rows.Close()
			return err
		}
		us, ok := units[person]
		if !ok {
			us = unitsOfPaths(paths[person])
			units[person] = us
		}
		for _, u := range us {
			counts[key{u, date, subject}]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.org != b.org {
			return a.org < b.org
		}
		if a.subject != b.subject {
			return a.subject < b.subject
		}
		return a.date < b.date
	})
	const batch = 200
	for i := 0; i < len(keys); i += batch {
		chunk := keys[i:min(i+batch, len(keys))]
		var a args
		var vals []string
		for _, k := range chunk {
			vals = append(vals, a.tuple(k.org, k.date, k.subject, counts[k]))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO unit_subject_counts (org_id, date, subject, n) VALUES `+strings.Join(vals, ", "), a...); err != nil {
			return err
		}
	}
	return nil
}

func absenceSource(id int64) string { return "absence:" + strconv.FormatInt(id, 10) }

// SubjectHook hears, after commit, that a person newly shows subjects on a
// date: the alerting evaluates the cluster rules of their units at once.
// It must not fail the write that caused it; what it misses, the daily
// detection pass catches.
type SubjectHook func(ctx context.Context, personID int64, date string, subjects []string)

// SetSubjectHook installs the hook; call it before serving.
func (db *DB) SetSubjectHook(h SubjectHook) { db.onSubjects = h }

// quietKey marks a context whose writes do not call the subject hook.
type quietKey struct{}

// Quietly returns a context whose writes skip the subject hook: a bulk
// load (the demo's history) evaluates the rules once at the end instead
// of at every record.
func Quietly(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

func (db *DB) newSubjects(ctx context.Context, personID int64, date string, subjects []string) {
	if ctx.Value(quietKey{}) != nil {
		return
	}
	if db.onSubjects != nil && len(subjects) > 0 {
		db.onSubjects(ctx, personID, date, subjects)
	}
}

// UnitPopulation returns the people of a unit: everyone (visitors aside)
// whose primary unit or one of whose memberships is the unit or below
// it, the denominator of percent thresholds.
func (db *DB) UnitPopulation(ctx context.Context, orgID int64) (int, error) {
	org, err := db.Org(ctx, domain.System(), orgID)
	if err != nil {
		return 0, err
	}
	lo, hi := org.Path, domain.UpperBound(org.Path)
	var n int
	err = db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM people p WHERE p.kind <> 'visitor' AND (
		EXISTS (SELECT 1 FROM orgs o WHERE o.id = p.org_id AND o.path >= $1 AND o.path < $2)
		OR EXISTS (SELECT 1 FROM memberships m JOIN orgs mo ON mo.id = m.org_id WHERE m.person_id = p.id AND mo.path >= $3 AND mo.path < $4))`,
		lo, hi, lo, hi).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("population of %d: %w", orgID, err)
	}
	return n, nil
}
