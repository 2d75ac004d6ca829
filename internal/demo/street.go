package demo

import (
	"fmt"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
)

// communities of 阳光街道 and their compounds (小区).
var communities = []struct {
	name      string
	compounds []string
}{
	{"和平社区", []string{"阳光花园", "翠苑小区", "锦绣家园", "康乐新村"}},
	{"幸福社区", []string{"幸福里", "金色家园", "滨河苑", "桂花园"}},
}

// Every compound has 8 buildings of 2 units; a unit has 6 floors of 2 flats.
const (
	buildingsPerCompound = 8
	unitsPerBuilding     = 2
	floorsPerUnit        = 6
	flatsPerFloor        = 2
)

// householdSizes weights households of 1 to 5 people; the mean is 2.8.
var householdSizes = []int{14, 28, 32, 16, 10}

// street builds 阳光街道 with its residents; a 楼栋长 of each building and a
// 网格员 of each community are residents there.
func (b *builder) street(root *unit) batch {
	st := b.add(root, "street", "YGJD", "阳光街道")
	out := batch{org: st}
	for ci, cm := range communities {
		comm := b.add(st, "community", fmt.Sprintf("YGJD-C%d", ci+1), cm.name)
		commFirst := len(out.rows)
		for xi, xname := range cm.compounds {
			comp := b.add(comm, "compound", fmt.Sprintf("%s-X%d", comm.code, xi+1), xname)
			for bi := 1; bi <= buildingsPerCompound; bi++ {
				bld := b.add(comp, "building", fmt.Sprintf("%s-B%02d", comp.code, bi), fmt.Sprintf("%d号楼", bi))
				bldFirst := len(out.rows)
				for ui := 1; ui <= unitsPerBuilding; ui++ {
					un := b.add(bld, "unit", fmt.Sprintf("%s-U%d", bld.code, ui), fmt.Sprintf("%d单元", ui))
					for fl := 1; fl <= floorsPerUnit; fl++ {
						for fd := 1; fd <= flatsPerFloor; fd++ {
							// A household's name is its address, since people lists
							// show it without the tree around it.
							hh := b.add(un, "household", fmt.Sprintf("%s-%02d%02d", un.code, fl, fd),
								fmt.Sprintf("%s%s%s%d%02d室", comp.name, bld.name, un.name, fl, fd))
							out.rows = append(out.rows, b.household(hh.code, len(out.rows)+1)...)
						}
					}
				}
				bld.responsible = []domain.Responsible{b.responsible("楼栋长", out.rows[bldFirst:], 35, 70)}
			}
		}
		comm.responsible = []domain.Responsible{b.responsible("网格员", out.rows[commFirst:], 25, 55)}
	}
	for i := range out.rows {
		out.rows[i].Line = i + 2
	}
	return out
}

// member is one person of a household before they become a roster row.
type member struct {
	surname, gender string
	age             int
	// parent is the index of the member who is this child's guardian, or -1.
	parent int
}

// household returns the residents of one flat, numbered from seq: a single
// person, a couple, a couple with children, or three generations.
func (b *builder) household(code string, seq int) []roster.Row {
	size := 1 + b.weighted(householdSizes)
	var ms []member
	couple := func(minAge, maxAge int) {
		h := b.rangeInt(minAge, maxAge)
		surname := pickSurname(b.rng)
		ms = append(ms, member{surname, "M", h, -1}, member{"", "F", max(20, h-b.rangeInt(-1, 4)), -1})
	}
	child := func() {
		father, mother := ms[0], ms[1]
		guardian := 0
		if b.percent(45) {
			guardian = 1
		}
		oldest := min(22, mother.age-22)
		age := b.rangeInt(0, oldest)
		if prev := ms[len(ms)-1]; prev.parent >= 0 {
			// A second child: siblings are 2 to 6 years apart, twins only
			// where the mother's age leaves no room.
			gap := b.rangeInt(2, 6)
			switch {
			case prev.age-gap >= 0:
				age = prev.age - gap
			case prev.age+gap <= oldest:
				age = prev.age + gap
			default:
				age = prev.age
			}
		}
		ms = append(ms, member{father.surname, b.gender(53), age, guardian})
	}
	grandparent := func(gender string) {
		age := min(90, ms[0].age+b.rangeInt(24, 32))
		surname := ms[0].surname // the husband's father
		if gender == "F" {
			surname = "" // his mother keeps her own surname
		}
		ms = append(ms, member{surname, gender, age, -1})
	}
	switch size {
	case 1:
		age := b.rangeInt(22, 64)
		if b.percent(50) {
			age = b.rangeInt(65, 90) // many people living alone are old
		}
		ms = append(ms, member{"", b.gender(45), age, -1})
	case 2:
		if b.percent(50) {
			couple(25, 40)
		} else {
			couple(55, 85)
		}
	case 3:
		couple(28, 50)
		child()
	case 4:
		if b.percent(60) {
			couple(30, 50)
			child()
			child()
		} else {
			couple(28, 45)
			child()
			grandparent(b.gender(40))
		}
	case 5:
		couple(28, 45)
		child()
		if b.percent(50) {
			grandparent("M")
			grandparent("F")
		} else {
			child()
			grandparent(b.gender(40))
		}
	}

	rows := make([]roster.Row, len(ms))
	for i, m := range ms {
		birth := b.bornAged(m.age)
		r := roster.Row{ExternalID: fmt.Sprintf("R%06d", seq+i), Name: b.name(m.surname, m.gender, birth),
			Kind: string(domain.Resident), OrgCode: code, Gender: m.gender, BirthDate: birth.Format(time.DateOnly),
			IDNumber: b.idNumber(m.gender, birth)}
		switch {
		case m.age < 16:
		case m.age < 18:
			if b.percent(50) {
				r.Phone = b.phone()
			}
		case m.age >= 85:
			if b.percent(60) {
				r.Phone = b.phone()
			}
		default:
			r.Phone = b.phone()
		}
		if m.parent >= 0 && m.age < 18 {
			r.GuardianName, r.GuardianPhone = rows[m.parent].Name, rows[m.parent].Phone
		}
		switch {
		case size == 1 && m.age >= 80:
			r.Tags = []string{"key_person"} // old and alone: checked on first in a screening
		case m.age >= 60 && b.percent(15):
			r.Tags = []string{"chronic_illness"}
		case m.age >= 20 && m.age <= 55 && b.percent(1):
			r.Tags = []string{"returnee"}
		}
		rows[i] = r
	}
	return rows
}

// responsible picks a resident among rows aged from minAge to maxAge with a
// phone to be a unit's responsible person in the given role.
func (b *builder) responsible(role string, rows []roster.Row, minAge, maxAge int) domain.Responsible {
	var fit []roster.Row
	for _, r := range rows {
		birth, _ := time.Parse(time.DateOnly, r.BirthDate)
		age := refDay.Year() - birth.Year()
		if r.Phone != "" && age >= minAge && age <= maxAge {
			fit = append(fit, r)
		}
	}
	if len(fit) == 0 {
		panic("demo: no resident fits as " + role)
	}
	r := fit[b.rng.IntN(len(fit))]
	return domain.Responsible{Role: role, Name: r.Name, Phone: r.Phone}
}
