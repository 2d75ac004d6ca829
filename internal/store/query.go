package store

import (
	"strconv"
	"strings"
	"time"

	"epiguard/internal/domain"
)

// args numbers the placeholders of a query built piece by piece.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// personInScope returns a condition on person alias p that holds when the
// person's primary unit, or any unit they are a member of, lies in the
// scope. The system scope needs no condition.
func (a *args) personInScope(sc domain.Scope) string {
	if sc.Path == "/" {
		return "TRUE"
	}
	lo, hi := a.add(sc.Path), a.add(domain.UpperBound(sc.Path))
	return `(EXISTS (SELECT 1 FROM orgs so WHERE so.id = p.org_id AND so.path >= ` + lo + ` AND so.path < ` + hi + `)
		OR EXISTS (SELECT 1 FROM memberships sm JOIN orgs smo ON smo.id = sm.org_id
			WHERE sm.person_id = p.id AND smo.path >= ` + lo + ` AND smo.path < ` + hi + `))`
}

// inUnit returns a condition on person alias p that holds when the
// person belongs to the unit at path or below it: by their primary unit,
// or by a membership such as a dorm room. It is written as the union of
// the two sets, each found through an index from the unit's path, so that
// a class of a school of a hundred thousand is read as its fifty people;
// the two tests joined by OR made the engines read every person.
func (a *args) inUnit(path string) string {
	lo, hi := a.add(path), a.add(domain.UpperBound(path))
	return `p.id IN (SELECT up.id FROM orgs uo JOIN people up ON up.org_id = uo.id WHERE uo.path >= ` + lo + ` AND uo.path < ` + hi + `
		UNION SELECT um.person_id FROM orgs mo JOIN memberships um ON um.org_id = mo.id WHERE mo.path >= ` + lo + ` AND mo.path < ` + hi + `)`
}

// tuple adds vs and returns "($n, $n+1, …)".
func (a *args) tuple(vs ...any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.add(v))
	}
	b.WriteByte(')')
	return b.String()
}

func parseDate(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }
