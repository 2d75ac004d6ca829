package demo

import (
	"math/rand/v2"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
)

// The seed of the demo data set. The output of math/rand/v2's PCG generator
// and of its Rand methods is kept the same across Go releases (the standard
// library's regress_test.go pins it), so the seed gives the same data with
// every Go version. The history simulation draws from a stream of its own
// (historySeed1, historySeed2), so that it does not change the people.
const (
	seed1 = 20260901
	seed2 = 0x5eed_de30
)

// refDay is the first day of the school year the demo is set in. Ages,
// grades and enrolment years are counted from it, not from the clock, so
// that every run gives the same data.
var refDay = time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC)

// schoolYear is the calendar year refDay falls in; 学号 begin with the
// year of enrolment.
const schoolYear = 2026

// unit is one org unit of the demo tree.
type unit struct {
	kind        domain.OrgKind
	code, name  string
	parent      *unit
	responsible []domain.Responsible
	id          int64 // set once written
}

// batch is the roster of one school or street, imported in one call.
type batch struct {
	org  *unit
	rows []roster.Row
}

// accountPlan is a demo account and the unit it is scoped to.
type accountPlan struct {
	account domain.Account
	org     *unit
}

// plan is the whole demo data set, built in memory before anything is
// written: the same seed gives the same plan whatever the database, and the
// history simulation walks the same people (by external id, with their
// classes and households), reading back only the ids the store gave them.
type plan struct {
	units     []*unit // parents before children
	batches   []batch
	accounts  []accountPlan
	guardians int // distinct guardian phone numbers, so guardian records
}

// build returns the demo data set. It touches no database.
func build() *plan {
	b := newBuilder(rand.New(rand.NewPCG(seed1, seed2)))
	root := b.add(nil, "district", "SFQ", "示范区教育局")

	middle := b.middleSchool(root)
	primary := b.primarySchool(root, middle.families)
	street := b.street(root)

	p := &plan{units: b.units, batches: []batch{middle.batch, primary.batch, street}}
	// The teacher account is the 班主任 of 初一(1)班.
	class := middle.classes[0]
	p.accounts = []accountPlan{
		{domain.Account{Username: "admin", DisplayName: "示范区管理员", Role: domain.RoleAdmin}, root},
		{domain.Account{Username: "health", DisplayName: "示范区疾控专员", Role: domain.RoleHealth}, root},
		{domain.Account{Username: "teacher", DisplayName: class.responsible[0].Name, Role: domain.RoleTeacher}, class},
		{domain.Account{Username: "guard", DisplayName: middle.guardName, Role: domain.RoleGuard}, middle.org},
		// The district bureau sees aggregates only (SPEC §6): no
		// person-level grant.
		{domain.Account{Username: "district", DisplayName: "示范区教育局", Role: domain.RoleViewer, PersonLevel: false}, root},
	}
	seen := map[string]bool{}
	for _, bt := range p.batches {
		for _, r := range bt.rows {
			if r.GuardianPhone != "" && !seen[r.GuardianPhone] {
				seen[r.GuardianPhone] = true
				p.guardians++
			}
		}
	}
	return p
}

// add appends a unit under parent and returns it.
func (b *builder) add(parent *unit, kind domain.OrgKind, code, name string) *unit {
	u := &unit{kind: kind, code: code, name: name, parent: parent}
	b.units = append(b.units, u)
	return u
}

// people counts the rows of all batches.
func (p *plan) people() int {
	n := 0
	for _, bt := range p.batches {
		n += len(bt.rows)
	}
	return n
}
