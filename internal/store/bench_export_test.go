package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"epiguard/internal/domain"
)

// BenchSchool is the shape of the school GenerateBenchmarkSchool builds.
type BenchSchool struct {
	Grades, Classes, PerClass int // Classes per grade, PerClass people per class
	Start                     string
	Days                      int
}

// People is the number of people in the school.
func (s BenchSchool) People() int { return s.Grades * s.Classes * s.PerClass }

// GenerateBenchmarkSchool fills a migrated, empty database with one school
// of s.Grades grades of s.Classes classes of s.PerClass pupils, their
// check-ins for s.Days days from s.Start and some illness absences, then
// rebuilds the unit counters with RebuildDailyCounts, which the summary
// reads. It returns the school, and reports the time of each step to
// logf.
//
// The rows are made by set-based SQL inside the database, one statement
// per table in one transaction: 10 million rows through RecordCheckin, or
// even through batched inserts from Go, take tens of minutes. Everything
// derives from the row numbers, so every run builds the same data:
//   - a morning check for every person and day, except ~3 % missing;
//   - a noon check for ~3 % of person-days;
//   - ~1.9 % of records absent, ~1 % fever with ILI, ~0.5 % GI,
//     ~2.4 % respiratory only and a few rashes;
//   - 100 illness absences a day of 1–5 days, the last ones still open.
//
// On PostgreSQL the check-ins go in day by day, as they arrive in real
// use, since the planner weighs the table's physical order. On SQLite they
// go in person by person, the order of the unique index (person_id, date,
// slot): day by day, each day's 50,000 rows would land all over that
// index, which outgrows the page cache, and the load would take tens of
// minutes; no SQLite plan here depends on the table's order. PostgreSQL
// builds the check-ins' secondary indexes and constraints afterwards
// (dropCheckinsExtras).
func (db *DB) GenerateBenchmarkSchool(ctx context.Context, s BenchSchool, logf func(format string, args ...any)) (*domain.Org, error) {
	t0 := time.Now()
	step := func(what string) {
		logf("%s: %s in %s", db.engine, what, time.Since(t0).Round(100*time.Millisecond))
		t0 = time.Now()
	}
	first, err := time.Parse(time.DateOnly, s.Start)
	if err != nil {
		return nil, fmt.Errorf("benchmark school: %w", err)
	}
	school := &domain.Org{Kind: "school", Code: "BENCH", Name: "基准学校"}
	orgs := []*domain.Org{school}
	for g := range s.Grades {
		grade := &domain.Org{Kind: "grade", Code: fmt.Sprintf("BENCH-G%02d", g), Name: fmt.Sprintf("%d年级", g+1), ParentID: &school.ID}
		orgs = append(orgs, grade)
		for c := range s.Classes {
			orgs = append(orgs, &domain.Org{Kind: "class", Code: fmt.Sprintf("BENCH-G%02dC%02d", g, c),
				Name: fmt.Sprintf("%d班", c+1), ParentID: &grade.ID})
		}
	}
	if err := db.CreateOrgs(ctx, domain.System(), orgs); err != nil {
		return nil, fmt.Errorf("benchmark school: %w", err)
	}
	step(fmt.Sprintf("%d units", len(orgs)))

	// The days as a VALUES list: the one piece of date arithmetic the two
	// engines would spell differently, done in Go instead. The literals
	// are our own dates, so there is nothing to escape.
	var days strings.Builder
	days.WriteString(`days (n, date) AS (VALUES `)
	for d := range s.Days {
		if d > 0 {
			days.WriteString(", ")
		}
		fmt.Fprintf(&days, "(%d, '%s')", d, first.AddDate(0, 0, d).Format(time.DateOnly))
	}
	days.WriteString(")")

	order := "p.id, d.n, s.s"
	if db.engine == Postgres {
		order = "d.n, p.id, s.s"
	}
	now := db.now()
	lo, hi := school.Path, domain.UpperBound(school.Path)
	statements := []struct {
		what string
		sql  string
		args []any
	}{
		{"people", `WITH RECURSIVE k (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $1),
			classes AS (SELECT id, ROW_NUMBER() OVER (ORDER BY code) AS n FROM orgs
				WHERE kind = 'class' AND path >= $2 AND path < $3)
			INSERT INTO people (external_id, name, kind, org_id, created_at, updated_at)
			SELECT 'BENCH-' || (c.n * 1000 + k.i), '学生', 'student', c.id, $4, $4
			FROM classes c CROSS JOIN k ORDER BY c.n, k.i`,
			[]any{s.PerClass, lo, hi, now}},
		{"check-ins", `WITH ` + days.String() + `, slots (s, slot) AS (VALUES (0, 'morning'), (1, 'noon'))
			INSERT INTO checkins (person_id, date, slot, temperature_c, symptoms, syndromes, absent, source, revision, created_at, updated_at)
			SELECT p.id, d.date, s.slot,
				CASE WHEN (p.id + d.n) % 97 = 0 THEN 38.2 ELSE 36.2 + (p.id + d.n) % 7 / 10.0 END,
				CASE WHEN (p.id * 13 + d.n) % 53 = 0 THEN ''
					WHEN (p.id + d.n) % 97 = 0 THEN ',cough,'
					WHEN (p.id * 7 + d.n) % 211 = 0 THEN ',vomiting,'
					WHEN (p.id * 5 + d.n) % 41 = 0 THEN ',runny_nose,'
					WHEN (p.id * 11 + d.n) % 997 = 0 THEN ',rash,'
					ELSE '' END,
				CASE WHEN (p.id * 13 + d.n) % 53 = 0 THEN ''
					WHEN (p.id + d.n) % 97 = 0 THEN ',fever,ili,respiratory,'
					WHEN (p.id * 7 + d.n) % 211 = 0 THEN ',gi,'
					WHEN (p.id * 5 + d.n) % 41 = 0 THEN ',respiratory,'
					WHEN (p.id * 11 + d.n) % 997 = 0 THEN ',rash,'
					ELSE '' END,
				(p.id * 13 + d.n) % 53 = 0, 'api', 1, $1, $1
			FROM people p CROSS JOIN days d CROSS JOIN slots s
			WHERE (s.s = 0 AND (p.id * 3 + d.n) % 33 <> 0) OR (s.s = 1 AND (p.id + d.n) % 32 = 0)
			ORDER BY ` + order,
			[]any{now}},
		{"absences", `WITH ` + days.String() + `
			INSERT INTO absences (person_id, start_date, onset_date, symptoms, return_date, reported_by, source, created_at, updated_at)
			SELECT p.id, d.date, d.date, ',fever,', COALESCE(r.date, ''), '班主任', 'teacher', $1, $1
			FROM people p CROSS JOIN days d LEFT JOIN days r ON r.n = d.n + 1 + p.id % 5
			WHERE (p.id * 31 + d.n * 17) % 500 = 0`,
			[]any{now}},
	}
	err = db.transact(ctx, func(tx *sql.Tx) error {
		var restore []string
		if db.engine == Postgres {
			var err error
			if restore, err = dropCheckinsExtras(ctx, tx); err != nil {
				return err
			}
		}
		for _, st := range statements {
			res, err := tx.ExecContext(ctx, st.sql, st.args...)
			if err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
			n, _ := res.RowsAffected()
			step(fmt.Sprintf("%d %s", n, st.what))
		}
		for _, q := range restore {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		if len(restore) > 0 {
			step("rebuilding the check-ins' indexes and constraints")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("benchmark school: %w", err)
	}
	step("commit")
	if err := db.RebuildDailyCounts(ctx); err != nil {
		return nil, fmt.Errorf("benchmark school: %w", err)
	}
	step("RebuildDailyCounts")
	// PostgreSQL's autovacuum would soon analyse and vacuum the new rows
	// (plans and index-only scans depend on it); the benchmark measures that
	// steady state without waiting for it. SQLite has no statistics unless
	// ANALYZE is run, and the product never runs it, so neither do we.
	if db.engine == Postgres {
		if _, err := db.write.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return nil, fmt.Errorf("benchmark school: %w", err)
		}
		step("VACUUM ANALYZE")
	}
	return school, nil
}

// dropCheckinsExtras drops the check-ins' unique and foreign-key
// constraints and secondary indexes on PostgreSQL, where maintaining them
// row by row makes loading 10 million rows four times slower than building
// them afterwards, and returns the statements that put them back, read
// from the catalog so that they match the migrations. The primary key
// stays: other tables refer to it.
func dropCheckinsExtras(ctx context.Context, tx *sql.Tx) (restore []string, err error) {
	var drop []string
	rows, err := tx.QueryContext(ctx, `SELECT 'ALTER TABLE checkins DROP CONSTRAINT ' || quote_ident(conname),
			'ALTER TABLE checkins ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid)
		FROM pg_constraint WHERE conrelid = 'checkins'::regclass AND contype IN ('u', 'f')
		UNION ALL
		SELECT 'DROP INDEX ' || quote_ident(i.relname), pg_get_indexdef(i.oid)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = 'checkins'::regclass
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`)
	if err != nil {
		return nil, fmt.Errorf("check-ins' indexes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, r string
		if err := rows.Scan(&d, &r); err != nil {
			return nil, fmt.Errorf("check-ins' indexes: %w", err)
		}
		drop, restore = append(drop, d), append(restore, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check-ins' indexes: %w", err)
	}
	rows.Close()
	// A larger sort memory for this transaction's index builds.
	for _, q := range append([]string{`SET LOCAL maintenance_work_mem = '256MB'`}, drop...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return restore, nil
}

// DailyByRecount is the completion summary of a unit counted straight from
// the people, check-ins and absences, without the maintained counters: the
// reference DailySummary must agree with. It ignores scopes.
func (db *DB) DailyByRecount(ctx context.Context, orgID int64, date, slot string) (*Daily, error) {
	org, err := db.Org(ctx, domain.System(), orgID)
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
	var a args
	dateArg := a.add(date)
	slotCond := ""
	if slot != "" {
		slotCond = " AND c.slot = " + a.add(slot)
	}
	var syn, sums strings.Builder
	for _, s := range domain.AllSyndromes {
		fmt.Fprintf(&syn, ", MAX(CASE WHEN c.syndromes LIKE '%%,%s,%%' THEN 1 ELSE 0 END) AS s_%s", s, s)
		fmt.Fprintf(&sums, ", SUM(s_%s)", s)
	}
	lo, hi := a.add(org.Path), a.add(domain.UpperBound(org.Path))
	// Per person: present in any slot, recorded, absent ill, and each
	// syndrome; then summed per primary unit.
	rows, err := db.read.QueryContext(ctx, `SELECT org_id, COUNT(*), SUM(present),
		SUM(CASE WHEN recorded = 0 AND ill = 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN present = 0 AND (recorded = 1 OR ill = 1) THEN 1 ELSE 0 END), SUM(ill)`+sums.String()+`
		FROM (SELECT p.id, p.org_id,
			MAX(CASE WHEN c.id IS NOT NULL AND NOT c.absent THEN 1 ELSE 0 END) AS present,
			MAX(CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END) AS recorded,
			MAX(CASE WHEN EXISTS (SELECT 1 FROM absences ab WHERE ab.person_id = p.id AND ab.start_date <= `+dateArg+`
				AND (ab.return_date = '' OR ab.return_date > `+dateArg+`)) THEN 1 ELSE 0 END) AS ill`+syn.String()+`
			FROM people p JOIN orgs o ON o.id = p.org_id
			LEFT JOIN checkins c ON c.person_id = p.id AND c.date = `+dateArg+slotCond+`
			WHERE o.path >= `+lo+` AND o.path < `+hi+` AND p.kind <> 'visitor'
			GROUP BY p.id, p.org_id) per_person
		GROUP BY org_id`, a...)
	if err != nil {
		return nil, fmt.Errorf("daily by recount: %w", err)
	}
	defer rows.Close()
	total := &Daily{DailyFigures: *newFigures(org, date, slot), Children: []*DailyFigures{}}
	byChild := map[int64]*DailyFigures{}
	for _, c := range children {
		d := newFigures(c, date, slot)
		byChild[c.ID] = d
		total.Children = append(total.Children, d)
	}
	for rows.Next() {
		var unitID int64
		d := &DailyFigures{Abnormal: map[domain.Syndrome]int{}}
		counts := make([]int, len(domain.AllSyndromes))
		dest := []any{&unitID, &d.Expected, &d.CheckedIn, &d.Missing, &d.Absent, &d.AbsentIll}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("daily by recount: %w", err)
		}
		for i, s := range domain.AllSyndromes {
			d.Abnormal[s] = counts[i]
		}
		total.add(d)
		if child := byChild[childID(org.Path, paths[unitID])]; child != nil {
			child.add(d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily by recount: %w", err)
	}
	return total, nil
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

func (d *DailyFigures) add(x *DailyFigures) {
	d.Expected += x.Expected
	d.CheckedIn += x.CheckedIn
	d.Missing += x.Missing
	d.Absent += x.Absent
	d.AbsentIll += x.AbsentIll
	for k, v := range x.Abnormal {
		d.Abnormal[k] += v
	}
}
