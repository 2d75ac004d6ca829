package domain

import (
	"testing"
	"time"
)

// A birth date is a real date of a living person: not in the future, not
// before 1900 (a typo such as 2099 or 1099 in a roster).
func TestPersonBirthDate(t *testing.T) {
	today := time.Now().Format(time.DateOnly)
	for date, ok := range map[string]bool{"2012-03-07": true, today: true, "1900-01-01": true,
		"2099-01-01": false, "1899-12-31": false, "2012-02-30": false} {
		p := &Person{ExternalID: "x", Name: "学生", OrgID: 1, Kind: Student, BirthDate: date}
		err := p.Validate()
		if got := err == nil; got != ok {
			t.Errorf("birth date %s: %v", date, err)
		}
	}
}
