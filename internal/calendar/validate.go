package calendar

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"epiguard/internal/domain"
)

// Limits of a calendar, generous for ten years of a school's life.
const (
	MaxTerms      = 100
	MaxRanges     = 1000 // holidays, and closures
	MaxMakeupDays = 1000
	MaxRangeDays  = 366 // longest term, holiday or closure
	MaxNameLen    = 100 // characters
	MaxSourceLen  = 200 // characters
)

// weekdayNames lists the names Calendar.Weekend accepts.
const weekdayNames = "monday, tuesday, wednesday, thursday, friday, saturday, sunday"

// validWeekday reports whether w is a lower-case English weekday name.
func validWeekday(w string) bool {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if w == strings.ToLower(d.String()) {
			return true
		}
	}
	return false
}

// Validate checks the calendar as an admin saves it. Errors are a
// *domain.Error with code EInvalid and one FieldError per problem, named
// like "terms[1].end". Holidays and closures outside every term are fine:
// the national holiday list is the same for every school, whatever its
// terms.
func (c *Calendar) Validate() error {
	var v domain.Validation
	if c == nil {
		v.Add("calendar", "required")
		return v.Err()
	}

	// Sizes first: the checks below compare entries pairwise.
	if len(c.Weekend) > 7 {
		v.Add("weekend", "at most 7 days")
	}
	if len(c.Terms) > MaxTerms {
		v.Add("terms", "at most %d terms, got %d", MaxTerms, len(c.Terms))
	}
	if len(c.Holidays) > MaxRanges {
		v.Add("holidays", "at most %d entries, got %d", MaxRanges, len(c.Holidays))
	}
	if len(c.Closures) > MaxRanges {
		v.Add("closures", "at most %d entries, got %d", MaxRanges, len(c.Closures))
	}
	if len(c.MakeupDays) > MaxMakeupDays {
		v.Add("makeup_days", "at most %d make-up days, got %d", MaxMakeupDays, len(c.MakeupDays))
	}
	if len(v.Fields) > 0 {
		return v.Err()
	}

	if c.Weekend != nil {
		seen := map[string]bool{}
		for i, w := range c.Weekend {
			field := fmt.Sprintf("weekend[%d]", i)
			switch {
			case !validWeekday(w):
				v.Add(field, "must be one of %s", weekdayNames)
			case seen[w]:
				v.Add(field, "%s is listed twice", w)
			}
			seen[w] = true
		}
	}

	termOK := make([]bool, len(c.Terms))
	for i, t := range c.Terms {
		prefix := fmt.Sprintf("terms[%d]", i)
		checkName(&v, prefix+".name", t.Name, true)
		termOK[i] = checkSpan(&v, prefix, t.Start, t.End, false)
	}
	// Overlaps are reported on the later of the two terms in the list, so
	// that an admin adding a term sees the error on the one they added.
	for j := range c.Terms {
		for i := range j {
			a, b := c.Terms[i], c.Terms[j]
			if termOK[i] && termOK[j] && a.Start <= b.End && b.Start <= a.End {
				v.Add(fmt.Sprintf("terms[%d]", j), "overlaps terms[%d] %s (%s to %s)", i, a.Name, a.Start, a.End)
			}
		}
	}

	checkRanges(&v, "holidays", c.Holidays)
	checkRanges(&v, "closures", c.Closures)

	firstUse := map[string]int{}
	for i, m := range c.MakeupDays {
		prefix := fmt.Sprintf("makeup_days[%d]", i)
		checkName(&v, prefix+".name", m.Name, false)
		checkSource(&v, prefix+".source", m.Source)
		t, err := parseDate(m.Date)
		if err != nil {
			v.Add(prefix+".date", "must be a date YYYY-MM-DD")
			continue
		}
		if j, dup := firstUse[m.Date]; dup {
			v.Add(prefix+".date", "%s is already makeup_days[%d]", m.Date, j)
			continue
		}
		firstUse[m.Date] = i
		if !c.isWeekend(t) {
			v.Add(prefix+".date", "%s is a %s, not a weekend day: a make-up day makes a weekend day a school day",
				m.Date, strings.ToLower(t.Weekday().String()))
		}
		for k, h := range c.Holidays {
			if h.contains(m.Date) {
				v.Add(prefix+".date", "%s is in holidays[%d] %s", m.Date, k, h.Name)
				break
			}
		}
	}
	return v.Err()
}

// checkRanges checks a list of holidays or closures.
func checkRanges(v *domain.Validation, field string, rs []Range) {
	for i, r := range rs {
		prefix := fmt.Sprintf("%s[%d]", field, i)
		checkName(v, prefix+".name", r.Name, true)
		checkSource(v, prefix+".source", r.Source)
		checkSpan(v, prefix, r.Start, r.End, true)
	}
}

// checkSpan checks start and end dates under prefix and reports whether
// both are usable. With endOptional an empty end means the start day.
func checkSpan(v *domain.Validation, prefix, start, end string, endOptional bool) bool {
	s, err := parseDate(start)
	if err != nil {
		v.Add(prefix+".start", "must be a date YYYY-MM-DD")
	}
	if end == "" && endOptional {
		return err == nil
	}
	e, err2 := parseDate(end)
	if err2 != nil {
		v.Add(prefix+".end", "must be a date YYYY-MM-DD")
	}
	if err != nil || err2 != nil {
		return false
	}
	if e.Before(s) {
		v.Add(prefix+".end", "%s is before the start %s", end, start)
		return false
	}
	if days := int(e.Sub(s).Hours()/24) + 1; days > MaxRangeDays {
		v.Add(prefix+".end", "%d days from the start, at most %d", days, MaxRangeDays)
		return false
	}
	return true
}

func checkName(v *domain.Validation, field, name string, required bool) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0 && required:
		v.Add(field, "required")
	case n > MaxNameLen:
		v.Add(field, "at most %d characters", MaxNameLen)
	}
}

func checkSource(v *domain.Validation, field, source string) {
	if utf8.RuneCountInString(source) > MaxSourceLen {
		v.Add(field, "at most %d characters", MaxSourceLen)
	}
}
