package bench

import (
	"fmt"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
)

// School is a generated school for the benchmark: the school unit, its
// classes and a roster of students spread evenly over them, with the
// fields a real roster has (identity number, guardian and phone).
type School struct {
	Orgs []*domain.Org // the school first, then its classes
	Rows []roster.Row
}

// NewSchool generates people students in classes of perClass (the last
// one may be smaller). Everything is derived from the position, so two
// calls give the same school; identity numbers are valid (GB 11643) and
// unique for up to two million students.
func NewSchool(code string, people, perClass int) *School {
	perClass = max(perClass, 1)
	classes := max((people+perClass-1)/perClass, 1)
	s := &School{Orgs: make([]*domain.Org, 0, classes+1), Rows: make([]roster.Row, 0, people)}
	school := &domain.Org{Kind: "school", Code: code, Name: "压测实验学校"}
	s.Orgs = append(s.Orgs, school)
	for c := range classes {
		s.Orgs = append(s.Orgs, &domain.Org{Kind: "class", Code: fmt.Sprintf("%s-C%04d", code, c+1),
			Name: fmt.Sprintf("%d年级(%d)班", c%6+1, c/6+1), ParentID: &school.ID})
	}
	first := time.Date(2011, time.September, 1, 0, 0, 0, 0, time.UTC)
	const days = 6 * 365
	for i := range people {
		birth := first.AddDate(0, 0, i%days)
		seq := i / days % 1000 // 15th–17th digits; odd for boys
		gender := "F"
		if seq%2 == 1 {
			gender = "M"
		}
		first17 := fmt.Sprintf("%s%s%03d", regions[i%len(regions)], birth.Format("20060102"), seq)
		h := mix(uint64(i))
		surname := surnames[h%uint64(len(surnames))]
		s.Rows = append(s.Rows, roster.Row{
			Line:          i + 2,
			ExternalID:    fmt.Sprintf("%s%07d", code, i+1),
			Name:          surname + given[h>>8%uint64(len(given))] + given[h>>16%uint64(len(given))],
			Kind:          string(domain.Student),
			OrgCode:       s.Orgs[1+i/perClass].Code,
			Gender:        gender,
			BirthDate:     birth.Format(time.DateOnly),
			IDNumber:      first17 + string(domain.IDNumberCheckChar(first17)),
			GuardianName:  surname + given[h>>24%uint64(len(given))] + given[h>>32%uint64(len(given))],
			GuardianPhone: fmt.Sprintf("1%d%08d", 35+h>>40%5, i),
		})
	}
	return s
}

var (
	regions  = []string{"110105", "110108", "110101", "110102", "110106"}
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"}
	given    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀", "霞", "平",
		"刚", "桂", "浩", "宇", "轩", "梓", "涵", "欣", "怡", "子", "博", "文", "思", "雨", "佳"}
)
