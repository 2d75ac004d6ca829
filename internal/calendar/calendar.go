// Package calendar says which dates are school days for one school: its
// terms, its weekend, the public holidays with their make-up school days
// (调休) and its own closures (停课, e.g. after a suspension order).
//
// Surveillance needs this because a class is only watched on school days:
// the statistical detectors (SPEC §5.5) run over school days only, and the
// cluster rules (SPEC §5.2) count "3 consecutive days" as school days, so a
// weekend or a holiday neither breaks nor dilutes a series.
//
// Community units (street, community, compound, …) keep no school calendar:
// every day is a day of surveillance there. Everyday returns such a
// calendar, and a nil *Calendar behaves the same.
//
// Dates are "YYYY-MM-DD" strings, as everywhere in the API. Because that
// form sorts like the dates it names, ranges are compared as strings; the
// methods parse a date only to find its weekday or to step through days.
// A Calendar is plain data, edited by admins through the JSON API and
// checked by Validate before it is saved; its methods never change it, so
// one calendar may be shared between goroutines.
package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxDays bounds how many days SchoolDaysBack and SchoolDays return or step
// through, so that a mistaken request cannot loop over centuries.
const MaxDays = 3660

// Term is one school term (学期), both dates inclusive.
type Term struct {
	Name  string `json:"name"` // e.g. "2026秋季学期"
	Start string `json:"start"`
	End   string `json:"end"`
}

// Range is a named run of days, both ends inclusive: a holiday or a
// closure. An empty End means the single day Start.
type Range struct {
	Name   string `json:"name"`
	Start  string `json:"start"`
	End    string `json:"end,omitempty"`
	Source string `json:"source,omitempty"` // where it comes from, e.g. the State Council notice
}

// last returns the last day of the range.
func (r Range) last() string {
	if r.End == "" {
		return r.Start
	}
	return r.End
}

// contains reports whether the canonical date d lies in the range.
func (r Range) contains(d string) bool { return r.Start <= d && d <= r.last() }

// Day is a single named date: a make-up school day (调休上课).
type Day struct {
	Date   string `json:"date"`
	Name   string `json:"name,omitempty"` // e.g. "国庆节调休"
	Source string `json:"source,omitempty"`
}

// Calendar is one school's calendar.
//
// A date is a school day when it lies in a term, is not in a closure or a
// holiday, and is either not a weekend day or a make-up day. Closures and
// holidays outside every term are allowed and change nothing.
type Calendar struct {
	// EveryDay makes every date a school day, whatever the other fields
	// say: the calendar of a community unit.
	EveryDay bool `json:"every_day,omitempty"`
	// Weekend lists the days of the week without school, as lower-case
	// English names ("saturday", "sunday"). Null means Saturday and
	// Sunday; an empty list means school every day of the week (e.g. a
	// senior year with Saturday classes).
	Weekend []string `json:"weekend"`
	// Terms must not overlap. Days between terms (寒暑假) are not school days.
	Terms []Term `json:"terms"`
	// Holidays are public holidays (法定节假日及调休放假).
	Holidays []Range `json:"holidays"`
	// MakeupDays are weekend days that are school days (调休上课). Each must
	// fall on a weekend day and outside every holiday.
	MakeupDays []Day `json:"makeup_days"`
	// Closures are days without school for a reason of the school's own,
	// e.g. a suspension (停课) or bad weather. They win over make-up days.
	Closures []Range `json:"closures"`
}

// DefaultWeekend is the weekend when Calendar.Weekend is null.
func DefaultWeekend() []string { return []string{"saturday", "sunday"} }

// Everyday returns the calendar of a unit without school terms, where every
// day counts: communities, streets, compounds.
func Everyday() *Calendar { return &Calendar{EveryDay: true} }

// DayKind says why a date is or is not a school day.
type DayKind string

// Kinds of day, in the order Describe tests them.
const (
	KindOpen    DayKind = "open"    // every-day calendar: always open
	KindClosure DayKind = "closure" // a closure of the school's own
	KindHoliday DayKind = "holiday" // a public holiday
	KindBreak   DayKind = "break"   // outside every term: winter or summer break
	KindMakeup  DayKind = "makeup"  // a weekend day made a school day
	KindWeekend DayKind = "weekend"
	KindSchool  DayKind = "school" // an ordinary school day
)

// DayInfo describes one date.
type DayInfo struct {
	Date   string  `json:"date"`
	School bool    `json:"school"`
	Kind   DayKind `json:"kind"`
	// Name is the closure's, holiday's or make-up day's name, or the
	// term's name on ordinary school days and weekends in term.
	Name string `json:"name,omitempty"`
}

// parseDate parses a "YYYY-MM-DD" date. time.Parse with time.DateOnly
// accepts only the zero-padded form, so a parsed string is also the
// canonical one and string comparison of parsed dates is date comparison.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want an existing date YYYY-MM-DD", s)
	}
	return t, nil
}

func format(t time.Time) string { return t.Format(time.DateOnly) }

// everyDay reports whether every date is a school day.
func (c *Calendar) everyDay() bool { return c == nil || c.EveryDay }

func (c *Calendar) weekend() []string {
	if c.Weekend == nil {
		return DefaultWeekend()
	}
	return c.Weekend
}

func (c *Calendar) isWeekend(t time.Time) bool {
	return slices.Contains(c.weekend(), strings.ToLower(t.Weekday().String()))
}

// Describe says whether date is a school day and why.
func (c *Calendar) Describe(date string) (DayInfo, error) {
	t, err := parseDate(date)
	if err != nil {
		return DayInfo{}, err
	}
	return c.describe(t, date), nil
}

// describe is Describe for a parsed date t whose canonical form is d.
func (c *Calendar) describe(t time.Time, d string) DayInfo {
	info := DayInfo{Date: d}
	if c.everyDay() {
		info.School, info.Kind = true, KindOpen
		return info
	}
	for _, r := range c.Closures {
		if r.contains(d) {
			info.Kind, info.Name = KindClosure, r.Name
			return info
		}
	}
	for _, r := range c.Holidays {
		if r.contains(d) {
			info.Kind, info.Name = KindHoliday, r.Name
			return info
		}
	}
	term, ok := c.Term(d)
	if !ok {
		info.Kind = KindBreak
		return info
	}
	for _, m := range c.MakeupDays {
		if m.Date == d {
			info.School, info.Kind, info.Name = true, KindMakeup, m.Name
			return info
		}
	}
	info.Name = term.Name
	if c.isWeekend(t) {
		info.Kind = KindWeekend
		return info
	}
	info.School, info.Kind = true, KindSchool
	return info
}

// IsSchoolDay reports whether date is a school day. A date that is not a
// valid "YYYY-MM-DD" is not.
func (c *Calendar) IsSchoolDay(date string) bool {
	info, err := c.Describe(date)
	return err == nil && info.School
}

// Term returns the term that date lies in. An every-day calendar has terms
// only if some were entered.
func (c *Calendar) Term(date string) (Term, bool) {
	if c == nil {
		return Term{}, false
	}
	if _, err := parseDate(date); err != nil {
		return Term{}, false
	}
	for _, t := range c.Terms {
		if t.Start <= date && date <= t.End {
			return t, true
		}
	}
	return Term{}, false
}

// LatestTerm returns the term that started last on or before date: the
// current term in term time, the term just ended during a break.
func (c *Calendar) LatestTerm(date string) (Term, bool) {
	if c == nil {
		return Term{}, false
	}
	if _, err := parseDate(date); err != nil {
		return Term{}, false
	}
	var best Term
	found := false
	for _, t := range c.Terms {
		if t.Start <= date && (!found || t.Start > best.Start) {
			best, found = t, true
		}
	}
	return best, found
}

// span returns the first and the last day of all terms; ok is false when
// the calendar has no term with valid dates, hence no school days.
func (c *Calendar) span() (first, last time.Time, ok bool) {
	for _, term := range c.Terms {
		s, err1 := parseDate(term.Start)
		e, err2 := parseDate(term.End)
		if err1 != nil || err2 != nil || e.Before(s) {
			continue
		}
		if !ok || s.Before(first) {
			first = s
		}
		if !ok || e.After(last) {
			last = e
		}
		ok = true
	}
	return first, last, ok
}

// SchoolDaysBack returns the n school days ending at end, oldest first:
// end itself when it is a school day, then the school days before it. It
// returns fewer than n when the calendar has fewer school days before end
// (it looks back no further than the first term's start).
func (c *Calendar) SchoolDaysBack(end string, n int) ([]string, error) {
	t, err := parseDate(end)
	if err != nil {
		return nil, fmt.Errorf("school days back: %w", err)
	}
	if n > MaxDays {
		return nil, fmt.Errorf("school days back: %d days asked, at most %d", n, MaxDays)
	}
	if n <= 0 {
		return nil, nil
	}
	out := make([]string, 0, n)
	if c.everyDay() {
		for i := n - 1; i >= 0; i-- {
			out = append(out, format(t.AddDate(0, 0, -i)))
		}
		return out, nil
	}
	first, last, ok := c.span()
	if !ok {
		return out, nil
	}
	if t.After(last) {
		t = last // nothing after the last term is a school day
	}
	// A validated calendar has about 190 school days a year; the step
	// limit only stops an unvalidated one (say, a holiday over every
	// day of a long term) from walking through millions of days.
	if f := t.AddDate(0, 0, -4*MaxDays); first.Before(f) {
		first = f
	}
	for ; len(out) < n && !t.Before(first); t = t.AddDate(0, 0, -1) {
		if d := format(t); c.describe(t, d).School {
			out = append(out, d)
		}
	}
	slices.Reverse(out)
	return out, nil
}

// SchoolDays returns the school days from from to to, both inclusive, in
// order. The range may span at most MaxDays days.
func (c *Calendar) SchoolDays(from, to string) ([]string, error) {
	f, err := parseDate(from)
	if err != nil {
		return nil, fmt.Errorf("school days from: %w", err)
	}
	t, err := parseDate(to)
	if err != nil {
		return nil, fmt.Errorf("school days to: %w", err)
	}
	if t.Before(f) {
		return nil, fmt.Errorf("school days: %s is before %s", to, from)
	}
	if days := int(t.Sub(f).Hours()/24) + 1; days > MaxDays {
		return nil, fmt.Errorf("school days: %d days from %s to %s, at most %d", days, from, to, MaxDays)
	}
	var out []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		if s := format(d); c.describe(d, s).School {
			out = append(out, s)
		}
	}
	return out, nil
}
