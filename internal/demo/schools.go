package demo

import (
	"fmt"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
)

// dept is a school department and its staff.
type dept struct {
	name      string
	size      int
	femalePct int
	// classTeachers: its members may be a class's 班主任 (in Chinese
	// schools these are the teachers of the main subjects).
	classTeachers bool
}

// schoolSpec describes one school of the demo.
type schoolSpec struct {
	code, name string
	// studentPrefix and staffPrefix begin the 学号 and 工号.
	studentPrefix, staffPrefix string
	grades                     []string
	// firstYear is the year of schooling of the first grade: 1 for
	// 一年级, 7 for 初一 (six years of primary school come first).
	firstYear         int
	classes, perClass int
	depts             []dept
	boarding          bool
	wardenDept        string // its first two members, a man and a woman, are the 宿管
	guardDept         string // its first member signs in as the guard account
	siblingPct        int    // per cent of students who are a younger sibling of a student of another school
}

var middleSpec = schoolSpec{
	code: "SYZX", name: "实验中学", studentPrefix: "SY", staffPrefix: "T1",
	grades: []string{"初一", "初二", "初三"}, firstYear: 7, classes: 12, perClass: 45,
	depts: []dept{
		{"校长办公室", 6, 40, false},
		{"教务处", 8, 60, false},
		{"德育处", 6, 55, false},
		{"后勤处", 16, 50, false}, // dorm wardens, canteen, cleaning
		{"校医室", 3, 70, false},
		{"保卫处", 8, 10, false},
		{"语文组", 14, 80, true},
		{"数学组", 14, 60, true},
		{"英语组", 13, 85, true},
		{"理化生组", 14, 55, true},
		{"史地政组", 10, 65, true},
		{"体音美组", 8, 45, false},
	},
	boarding: true, wardenDept: "后勤处", guardDept: "保卫处",
}

var primarySpec = schoolSpec{
	code: "YGXX", name: "阳光小学", studentPrefix: "YG", staffPrefix: "T2",
	grades:    []string{"一年级", "二年级", "三年级", "四年级", "五年级", "六年级"},
	firstYear: 1, classes: 6, perClass: 40,
	depts: []dept{
		{"校长室", 4, 50, false},
		{"教导处", 5, 70, false},
		{"总务处", 8, 40, false},
		{"卫生室", 2, 90, false},
		{"保卫处", 5, 10, false},
		{"语文组", 22, 90, true},
		{"数学组", 16, 80, true},
		{"英语组", 8, 90, false},
		{"综合组", 10, 60, false},
	},
	guardDept: "保卫处", siblingPct: 4,
}

// family is what siblings share: the surname and the guardian.
type family struct {
	surname, guardianName, guardianPhone string
}

// school is a generated school: its roster (batch.org is the school's
// unit) and what other parts of the data set refer to.
type school struct {
	batch
	classes []*unit
	// guardName is the member of the security office the guard account
	// belongs to.
	guardName string
	// families of the students in class order, for siblings in another school.
	families []family
}

// middleSchool builds 实验中学 (SPEC §6): a boarding school whose students
// all sleep in its dorms.
func (b *builder) middleSchool(root *unit) *school { return b.school(root, middleSpec, nil) }

// primarySchool builds 阳光小学, a day school; a few of its students are
// younger siblings of students of olderSiblings, so their guardian has
// children in both schools.
func (b *builder) primarySchool(root *unit, olderSiblings []family) *school {
	return b.school(root, primarySpec, olderSiblings)
}

// school builds a school: its grades, classes and departments, its staff,
// its students, and for a boarding school its dorms.
func (b *builder) school(root *unit, spec schoolSpec, olderSiblings []family) *school {
	s := &school{}
	s.org = b.add(root, "school", spec.code, spec.name)
	for g, gname := range spec.grades {
		grade := b.add(s.org, "grade", fmt.Sprintf("%s-G%d", spec.code, g+1), gname)
		for c := 1; c <= spec.classes; c++ {
			s.classes = append(s.classes, b.add(grade, "class", fmt.Sprintf("%s-C%02d", grade.code, c), fmt.Sprintf("%s(%d)班", gname, c)))
		}
	}

	// Staff, department by department. Class teachers are drawn from the
	// main subjects' teachers, the wardens and the guard from their offices.
	var candidates []roster.Row
	var wardens []roster.Row
	for d, dp := range spec.depts {
		du := b.add(s.org, "department", fmt.Sprintf("%s-D%02d", spec.code, d+1), dp.name)
		for i := range dp.size {
			gender := b.gender(100 - dp.femalePct)
			if dp.name == spec.wardenDept && i < 2 {
				gender = []string{"M", "F"}[i]
			}
			r := b.staff(fmt.Sprintf("%s%04d", spec.staffPrefix, len(s.rows)+1), du.code, gender)
			s.rows = append(s.rows, r)
			switch {
			case dp.classTeachers:
				candidates = append(candidates, r)
			case dp.name == spec.wardenDept && i < 2:
				wardens = append(wardens, r)
			case dp.name == spec.guardDept && i == 0:
				s.guardName = r.Name
			}
		}
	}
	if len(candidates) < len(s.classes) {
		panic("demo: fewer class teachers than classes in " + spec.code)
	}
	b.rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	for i, c := range s.classes {
		c.responsible = []domain.Responsible{{Role: "班主任", Name: candidates[i].Name, Phone: candidates[i].Phone}}
	}

	var dorms [2]*unit // boys, girls
	if spec.boarding {
		for i, name := range []string{"男生宿舍楼", "女生宿舍楼"} {
			dorms[i] = b.add(s.org, "dorm_building", fmt.Sprintf("%s-DB%d", spec.code, i+1), name)
			dorms[i].responsible = []domain.Responsible{{Role: "宿管", Name: wardens[i].Name, Phone: wardens[i].Phone}}
		}
	}

	// Students, class by class. A sibling takes over a family of the other
	// school at random, each family at most once.
	siblings := b.rng.Perm(len(olderSiblings))
	var floors [2]int // last floor used in each dorm building
	for g := range spec.grades {
		year := spec.firstYear + g
		first := len(s.rows)
		for c := range spec.classes {
			class := s.classes[g*spec.classes+c]
			for seat := 1; seat <= spec.perClass; seat++ {
				var fam *family
				if len(siblings) > 0 && b.percent(spec.siblingPct) {
					fam = &olderSiblings[siblings[0]]
					siblings = siblings[1:]
				}
				// 学号: school, year of enrolment, class, seat.
				ext := fmt.Sprintf("%s%d%02d%02d", spec.studentPrefix, schoolYear-g, c+1, seat)
				r, f := b.student(ext, class.code, year, fam)
				s.rows = append(s.rows, r)
				s.families = append(s.families, f)
			}
		}
		if spec.boarding {
			// Each grade starts on a new floor of both buildings, and a room
			// holds students of one class only, as schools assign them.
			for i, dorm := range dorms {
				floors[i] = b.assignRooms(dorm, floors[i]+1, s.rows[first:], []string{"M", "F"}[i])
			}
		}
	}
	for i := range s.rows {
		s.rows[i].Line = i + 2 // as if read from a file with a header line
	}
	return s
}

// Dorm rooms have 6 beds; a floor has up to 30 rooms.
const (
	roomBeds      = 6
	roomsPerFloor = 30
)

// assignRooms puts the students of the given gender among rows into rooms
// of dorm, starting on floor, class by class; it creates the rooms it fills
// and returns the last floor used.
func (b *builder) assignRooms(dorm *unit, floor int, rows []roster.Row, gender string) int {
	n := 0 // rooms used so far, from the first room of floor
	var room *unit
	beds := 0
	class := ""
	for i := range rows {
		r := &rows[i]
		if r.Kind != string(domain.Student) || r.Gender != gender {
			continue
		}
		if room == nil || beds == roomBeds || r.OrgCode != class {
			fl, no := floor+n/roomsPerFloor, n%roomsPerFloor+1
			room = b.add(dorm, "dorm_room", fmt.Sprintf("%s-R%02d%02d", dorm.code, fl, no), fmt.Sprintf("%s%d%02d室", dorm.name, fl, no))
			n++
			beds = 0
			class = r.OrgCode
		}
		r.DormCode = room.code
		beds++
	}
	return floor + (n-1)/roomsPerFloor
}

// staff returns a staff member aged 23 to 59 with a phone.
func (b *builder) staff(ext, deptCode, gender string) roster.Row {
	birth := b.bornAged(b.rangeInt(23, 59))
	r := roster.Row{ExternalID: ext, Name: b.name("", gender, birth), Kind: string(domain.Staff), OrgCode: deptCode,
		Gender: gender, BirthDate: birth.Format(time.DateOnly), IDNumber: b.idNumber(gender, birth), Phone: b.phone()}
	if b.percent(5) {
		r.Tags = []string{"chronic_illness"}
	}
	return r
}

// student returns a student in year of schooling year (1 for 一年级) and
// their family: fam when given (a sibling), else a new one.
func (b *builder) student(ext, classCode string, year int, fam *family) (roster.Row, family) {
	// Children start school in the September after they turn 6; a few
	// started a year late or repeated one.
	born := schoolYear - 6 - year
	if b.percent(4) {
		born--
	}
	birth := b.between(time.Date(born, time.September, 1, 0, 0, 0, 0, time.UTC), time.Date(born+1, time.August, 31, 0, 0, 0, 0, time.UTC))
	gender := b.gender(53) // China's sex ratio at birth for these cohorts is about 113:100
	var f family
	if fam != nil {
		f = *fam
	} else {
		f = b.family(birth)
	}
	r := roster.Row{ExternalID: ext, Name: b.name(f.surname, gender, birth), Kind: string(domain.Student), OrgCode: classCode,
		Gender: gender, BirthDate: birth.Format(time.DateOnly), IDNumber: b.idNumber(gender, birth),
		GuardianName: f.guardianName, GuardianPhone: f.guardianPhone}
	switch {
	case b.percent(1):
		r.Tags = []string{"chronic_illness"} // asthma, epilepsy, a heart condition: the school doctor keeps a list
	case b.rng.IntN(200) == 0:
		r.Tags = []string{"returnee"}
	}
	return r, f
}

// family returns a new family for a child born at childBirth: the child
// takes the father's surname; the guardian on record is the father or, a
// little less often, the mother, who has a surname of her own.
func (b *builder) family(childBirth time.Time) family {
	surname := pickSurname(b.rng)
	parentBirth := b.bornAged(refDay.Year() - childBirth.Year() + b.rangeInt(24, 38))
	f := family{surname: surname, guardianPhone: b.phone()}
	if b.percent(60) {
		f.guardianName = b.name(surname, "M", parentBirth)
	} else {
		f.guardianName = b.name("", "F", parentBirth)
	}
	return f
}
