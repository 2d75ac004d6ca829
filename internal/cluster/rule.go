// Package cluster holds the cluster rules of SPEC §5.2 as data: which
// syndrome or disease a rule counts, in which kind of unit, over which
// window, against which threshold, and what it asks the school to do —
// report within a deadline, take the listed measures — with the regulation
// it comes from.
//
// The package does no I/O. The store counts people for a unit, a syndrome
// or disease and the dates of a rule's window (WindowDays), puts the
// numbers in a Window, and Rule.Check says whether the rule fires and
// why, in words a school doctor can check against the regulation.
//
// # How people are counted
//
// A rule counts people, never reports: a pupil with fever at the morning
// check and again at noon, or on three days running, is one person.
//
//   - Syndrome rules count, for one syndrome at a time, the distinct people
//     of the unit with that syndrome (SPEC §5.1) on a date of the window,
//     from check-ins, morning/noon checks, illness absences and gate scans
//     (SPEC §3.3). A rule that lists several syndromes — the "similar
//     symptoms" rules list fever, rash, GI and jaundice — fires for a
//     syndrome when that syndrome alone reaches the threshold: three
//     pupils with fever, or three with rash, are "similar symptoms"; one
//     with fever, one with rash and one with diarrhoea are not.
//   - Disease rules count the distinct people of the unit who are
//     suspected, confirmed or asymptomatic cases of the disease (not
//     excluded ones) with onset on a date of the window — the report date
//     when the onset is unknown. A disease may include others:
//     infectious diarrhoea counts norovirus cases too (see Diseases).
//   - "New" thresholds (Threshold.New) count the people counted on the
//     window's last day who were not counted with the same syndrome on the
//     school day before it: "5 new ILI in a class in one day".
//   - Percent thresholds divide the count over the window by the unit's
//     people (everyone whose primary or other unit is the unit or below
//     it, as on the roll). With a one-day window that is the share of the
//     class ill on the day (现症), whether they came to school or not.
//
// # Windows
//
// A window ends on the date evaluated and is one of:
//
//   - N school days (Span.School): the date and the N−1 school days
//     before it, by the unit's calendar, so "3 consecutive days" over a
//     weekend is Thursday, Friday and Monday. A school-day rule is
//     evaluated on school days only: on other dates WindowDays is empty,
//     and check-ins of weekends and holidays are outside every window of
//     such a rule. The similar-symptoms and class-suspension rules count
//     school days: they watch a class at school.
//   - N calendar days: the date and the N−1 days before it. The
//     regulations' "1周内" and "10天内" are calendar time, and cases fall ill
//     on any day, so the 7-day and 10-day rules count calendar days.
//   - the term (Span.Term): from the start of the term the date lies in —
//     or, in a break, of the term just ended — to the date: "同一学期内".
//
// Community units have an every-day calendar (calendar.Everyday), where
// school days and calendar days are the same.
package cluster

import (
	"fmt"
	"slices"
	"time"

	"epiguard/internal/domain"
)

// Level says how serious a fired rule is and what it sets off.
type Level string

// Levels, from the least to the most serious.
const (
	// LevelAdvice is advice to act, e.g. to suspend a class; it is not
	// itself a report to the CDC.
	LevelAdvice Level = "advice"
	// LevelCase is a single case that must be reported.
	LevelCase Level = "case"
	// LevelCluster is a cluster (聚集性疫情) to report and investigate.
	LevelCluster Level = "cluster"
	// LevelOutbreak is an outbreak (暴发疫情).
	LevelOutbreak Level = "outbreak"
	// LevelEvent is a public-health emergency event (突发公共卫生事件).
	LevelEvent Level = "event"
)

// Levels lists every level, from the least to the most serious.
func Levels() []Level {
	return []Level{LevelAdvice, LevelCase, LevelCluster, LevelOutbreak, LevelEvent}
}

// KindPerson is the unit kind of rules about one person (a single case);
// every other kind is an org unit kind (domain.OrgKinds).
const KindPerson = "person"

// Span is the window of a rule. Exactly one of Days and Term is set.
type Span struct {
	// Days is the window's length, the evaluated date included.
	Days int `json:"days,omitempty"`
	// School makes Days count school days by the unit's calendar rather
	// than calendar days.
	School bool `json:"school,omitempty"`
	// Term makes the window the term so far.
	Term bool `json:"term,omitempty"`
}

// Threshold is when a rule fires: when the count reaches Count, or the
// share of the unit's people reaches Percent, whichever is set (either
// fires when both are).
type Threshold struct {
	// Count fires when at least this many are counted; 0 = not used.
	Count int `json:"count,omitempty"`
	// New makes Count compare the people new on the window's last day
	// (Window.NewToday) rather than everyone counted in the window.
	New bool `json:"new,omitempty"`
	// Percent fires when the people counted in the window are at least
	// this percentage of the unit's people; 0 = not used.
	Percent float64 `json:"percent,omitempty"`
}

// Action is one suggested measure, in both languages.
type Action struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Rule is one cluster rule, stored as JSON and edited by admins.
type Rule struct {
	// Code names the rule in alerts: lower-case letters, digits and
	// underscores, starting with a letter, e.g. "similar_symptoms_1d".
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	// Syndromes are the syndromes the rule counts, each on its own. A rule
	// counts either syndromes or a disease.
	Syndromes []domain.Syndrome `json:"syndromes,omitempty"`
	// Disease is the disease code the rule counts (see Diseases), or
	// AnyNotifiable.
	Disease string `json:"disease,omitempty"`
	// Kinds are the unit kinds the rule is evaluated for: org unit kinds
	// such as "class", "dorm_room" and "school", or "person".
	Kinds     []string  `json:"kinds"`
	Span      Span      `json:"window"`
	Threshold Threshold `json:"threshold"`
	Level     Level     `json:"level"`
	// Deadline is how soon a fired rule must be reported to the CDC, as a
	// Go duration: "24h", "2h", "0s" for immediately; empty when there is
	// nothing to report (advice).
	Deadline string   `json:"deadline,omitempty"`
	Actions  []Action `json:"actions"`
	// Source is the regulation or guideline the rule comes from.
	Source string `json:"source"`
	// Profile, when set, limits the rule to the installation or scope
	// whose active policy profile (SPEC §5.4) has this code.
	Profile string `json:"profile,omitempty"`
	Enabled bool   `json:"enabled"`
}

// Applies reports whether the rule is evaluated for units of this kind.
func (r Rule) Applies(kind string) bool { return slices.Contains(r.Kinds, kind) }

// InForce reports whether the rule is enabled and, when it names a policy
// profile, whether that profile is the active one.
func (r Rule) InForce(profile string) bool {
	return r.Enabled && (r.Profile == "" || r.Profile == profile)
}

// InForce returns the rules in force under the active policy profile, in
// their order.
func InForce(rules []Rule, profile string) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.InForce(profile) {
			out = append(out, r)
		}
	}
	return out
}

// ReportWithin returns the report deadline; ok is false when the rule asks
// for no report. Zero means immediately.
func (r Rule) ReportWithin() (d time.Duration, ok bool) {
	if r.Deadline == "" {
		return 0, false
	}
	d, err := time.ParseDuration(r.Deadline)
	if err != nil || d < 0 {
		return 0, false // Validate refuses these
	}
	return d, true
}

// CountsSyndrome reports whether the rule counts this syndrome.
func (r Rule) CountsSyndrome(s domain.Syndrome) bool { return slices.Contains(r.Syndromes, s) }

// CountsDisease reports whether a case of the disease with this code counts
// for the rule: the rule's own disease, one it includes, or, for
// AnyNotifiable, any notifiable disease.
func (r Rule) CountsDisease(code string) bool {
	if r.Disease == "" || code == "" {
		return false
	}
	if r.Disease == AnyNotifiable {
		return IsNotifiable(code)
	}
	if code == r.Disease {
		return true
	}
	d, ok := FindDisease(r.Disease)
	return ok && slices.Contains(d.Includes, code)
}

// describe returns the window in words, e.g. "连续3个上学日内".
func (s Span) describe() (zh, en string) {
	switch {
	case s.Term:
		return "本学期内", "this term"
	case s.Days == 1:
		return "当日", "on the day"
	case s.School:
		return fmt.Sprintf("连续%d个上学日内", s.Days), fmt.Sprintf("in %d consecutive school days", s.Days)
	default:
		return fmt.Sprintf("%d天内", s.Days), fmt.Sprintf("in %d days", s.Days)
	}
}
