package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"epiguard/internal/domain"
)

// dayState is one person's contribution to the counts of a day (or of one
// slot of it): whether they have a record, were present, and their
// syndromes.
type dayState struct {
	recorded, present bool
	syndromes         []domain.Syndrome
}

func (s dayState) vector() []int {
	v := make([]int, 2+len(domain.AllSyndromes))
	if s.recorded {
		v[0] = 1
	}
	if s.present {
		v[1] = 1
	}
	for i, syn := range domain.AllSyndromes {
		if slices.Contains(s.syndromes, syn) {
			v[2+i] = 1
		}
	}
	return v
}

var countColumns = func() string {
	cols := []string{"recorded", "checked_in"}
	for _, s := range domain.AllSyndromes {
		cols = append(cols, string(s))
	}
	return strings.Join(cols, ", ")
}()

// countKey names one row of unit_day_counts.
type countKey struct {
	date, slot string
	org        int64
}

// addCountChange adds to w the difference between two states of a person on a
// date (slot "" for the whole day), to be written to their unit's counts
// when the transaction's requests are done. States that count the same
// add nothing.
func (w *writeBatch) addCountChange(org int64, date, slot string, before, after dayState) {
	b, a := before.vector(), after.vector()
	for i := range a {
		a[i] -= b[i]
	}
	w.addCounts(countKey{date: date, slot: slot, org: org}, a)
}

// addCounts adds delta to the change of one counts row.
func (w *writeBatch) addCounts(k countKey, delta []int) {
	if !slices.ContainsFunc(delta, func(d int) bool { return d != 0 }) {
		return
	}
	if w.counts == nil {
		w.counts = map[countKey][]int{}
	}
	sum := w.counts[k]
	if sum == nil {
		w.counts[k] = slices.Clone(delta)
		return
	}
	for i, d := range delta {
		sum[i] += d
	}
}

// bumpCountsSQL adds a change to one row of unit_day_counts, creating it
// at need. It is the same text every time, so it is prepared once.
var bumpCountsSQL = func() string {
	var a args
	cols := strings.Split(countColumns, ", ")
	org, date, slot := a.add(nil), a.add(nil), a.add(nil)
	var vals, sets []string
	for _, c := range cols {
		vals = append(vals, a.add(nil))
		sets = append(sets, c+" = unit_day_counts."+c+" + excluded."+c)
	}
	return `INSERT INTO unit_day_counts (org_id, date, slot, ` + countColumns + `) VALUES (` + org + `, ` + date + `, ` + slot + `, ` +
		strings.Join(vals, ", ") + `) ON CONFLICT (date, slot, org_id) DO UPDATE SET ` + strings.Join(sets, ", ")
}()

// writeCounts adds the collected changes to the counts rows, in a fixed
// order (date, slot, unit) so that concurrent PostgreSQL transactions
// take the rows' locks in the same order and cannot deadlock.
func (db *DB) writeCounts(ctx context.Context, tx *sql.Tx, counts map[countKey][]int) error {
	keys := make([]countKey, 0, len(counts))
	for k, d := range counts {
		if slices.ContainsFunc(d, func(x int) bool { return x != 0 }) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b countKey) int {
		return cmp.Or(strings.Compare(a.date, b.date), strings.Compare(a.slot, b.slot), cmp.Compare(a.org, b.org))
	})
	for _, k := range keys {
		vals := make([]any, 0, 3+len(counts[k]))
		vals = append(vals, k.org, k.date, k.slot)
		for _, d := range counts[k] {
			vals = append(vals, d)
		}
		if _, err := db.txExec(ctx, tx, bumpCountsSQL, vals...); err != nil {
			return fmt.Errorf("daily counts: %w", err)
		}
	}
	return nil
}

// RebuildDailyCounts recomputes every unit's daily counts from the
// check-ins, attributing each person to their current primary unit.
func (db *DB) RebuildDailyCounts(ctx context.Context) error {
	per := func(slotExpr, group string) string {
		var syn strings.Builder
		var sum strings.Builder
		for _, s := range domain.AllSyndromes {
			fmt.Fprintf(&syn, ", MAX(CASE WHEN c.syndromes LIKE '%%,%s,%%' THEN 1 ELSE 0 END) AS %s", s, s)
			fmt.Fprintf(&sum, ", SUM(%s)", s)
		}
		return `SELECT org_id, date, slot, COUNT(*), SUM(present)` + sum.String() + ` FROM (
			SELECT p.org_id, c.date, ` + slotExpr + ` AS slot, MAX(CASE WHEN NOT c.absent THEN 1 ELSE 0 END) AS present` + syn.String() + `
			FROM checkins c JOIN people p ON p.id = c.person_id GROUP BY p.org_id, c.person_id, c.date` + group + `) x GROUP BY org_id, date, slot
			ORDER BY date, slot, org_id` // a date's rows together: what a summary reads
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM unit_day_counts`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM unit_people`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO unit_people (org_id, n) SELECT org_id, COUNT(*) FROM people
			WHERE kind <> 'visitor' GROUP BY org_id`); err != nil {
			return err
		}
		for _, q := range []string{per("c.slot", ", c.slot"), per("''", "")} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO unit_day_counts (org_id, date, slot, `+countColumns+`) `+q); err != nil {
				return fmt.Errorf("rebuild daily counts: %w", err)
			}
		}
		return nil
	})
}

// bumpPeople adds delta people to units' expected counts.
func bumpPeople(ctx context.Context, tx *sql.Tx, deltas map[int64]int) error {
	for org, d := range deltas {
		if d == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO unit_people (org_id, n) VALUES ($1, $2)
			ON CONFLICT (org_id) DO UPDATE SET n = unit_people.n + excluded.n`, org, d); err != nil {
			return fmt.Errorf("people counts: %w", err)
		}
	}
	return nil
}

// counted reports whether a person of this kind is expected to check in.
func counted(kind domain.PersonKind) bool { return kind != domain.Visitor }

// peopleDelta is the change to unit_people when a person moves from
// (oldOrg, oldKind) to (newOrg, newKind); oldOrg 0 for a new person.
func peopleDelta(deltas map[int64]int, oldOrg int64, oldKind domain.PersonKind, newOrg int64, newKind domain.PersonKind) {
	if oldOrg != 0 && counted(oldKind) {
		deltas[oldOrg]--
	}
	if newOrg != 0 && counted(newKind) {
		deltas[newOrg]++
	}
}
