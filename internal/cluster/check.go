package cluster

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/domain"
)

// Window holds what the store counted for one unit, one syndrome or
// disease and the dates of one rule's window (Rule.WindowDays).
type Window struct {
	// Kind is the unit's kind ("class", "school", … or "person").
	Kind string
	// UnitName names the unit (or the person) in the finding's text.
	UnitName string
	// Syndrome is the syndrome counted, for syndrome rules.
	Syndrome domain.Syndrome
	// Disease is the disease counted, for disease rules; optional, it
	// names the disease in the text (e.g. "measles" for any_notifiable).
	Disease string
	// People is the unit's people, the denominator of percent thresholds.
	People int
	// Count is the distinct people counted on the window's dates.
	Count int
	// NewToday is the people counted on the window's last date and not on
	// the school day before it (see the package documentation).
	NewToday int
	// Dates are the window's dates, as WindowDays returned them.
	Dates []string
}

// Finding says why a rule fired, or how far it was from firing.
type Finding struct {
	Rule     string          `json:"rule"`
	Level    Level           `json:"level"`
	Syndrome domain.Syndrome `json:"syndrome,omitempty"`
	Disease  string          `json:"disease,omitempty"`
	// Value is the number compared with Threshold: Window.NewToday for
	// "new" thresholds, Window.Count otherwise.
	Value     int `json:"value"`
	Threshold int `json:"threshold,omitempty"`
	// Count and People give Percent, Count as a percentage of People (0
	// without people), compared with PercentThreshold.
	Count            int      `json:"count"`
	People           int      `json:"people"`
	Percent          float64  `json:"percent"`
	PercentThreshold float64  `json:"percent_threshold,omitempty"`
	Dates            []string `json:"dates"`
	TextZH           string   `json:"text_zh"`
	TextEN           string   `json:"text_en"`
}

// Check evaluates the rule on the counts of one window. It fires when the
// window's kind is one of the rule's kinds, the syndrome or disease
// counted is the rule's, and a threshold is reached:
//
//   - Threshold.Count: Value ≥ Count, where Value is NewToday for "new"
//     thresholds and Count otherwise;
//   - Threshold.Percent: Count ≥ Percent % of People; never with no people.
//
// The Finding carries the numbers and a sentence in each language, e.g.
// "初一(1)班 连续3个上学日内发热 5 例（阈值 ≥5）"; it is filled whether the
// rule fires or not, so that a page can show how close a unit is. When the
// rule does not apply to the kind, syndrome or disease, only Rule and
// Level are set. Check does not look at Enabled or Profile: pick the rules
// with InForce first.
func (r Rule) Check(w Window) (bool, Finding) {
	f := Finding{Rule: r.Code, Level: r.Level}
	if !r.Applies(w.Kind) || !r.counts(w) {
		return false, f
	}
	count, people, newToday := max(w.Count, 0), max(w.People, 0), max(w.NewToday, 0)
	f.Syndrome, f.Disease = w.Syndrome, w.Disease
	if f.Syndrome == "" && f.Disease == "" {
		f.Disease = r.Disease
	}
	f.Value = count
	if r.Threshold.New {
		f.Value = newToday
	}
	f.Threshold = r.Threshold.Count
	f.Count, f.People = count, people
	if people > 0 {
		f.Percent = float64(count) * 100 / float64(people)
	}
	f.PercentThreshold = r.Threshold.Percent
	f.Dates = slices.Clone(w.Dates)

	byCount := r.Threshold.Count > 0 && f.Value >= r.Threshold.Count
	// Compared as count·100 ≥ percent·people so that exactly 30 % of 40
	// (12 people) fires whatever the rounding of 12/40.
	byPercent := r.Threshold.Percent > 0 && people > 0 &&
		float64(count)*100 >= r.Threshold.Percent*float64(people)-1e-9
	f.TextZH, f.TextEN = r.text(w.UnitName, w.Kind, f)
	return byCount || byPercent, f
}

// counts reports whether the window counts what the rule counts.
func (r Rule) counts(w Window) bool {
	if len(r.Syndromes) > 0 {
		return r.CountsSyndrome(w.Syndrome)
	}
	return w.Syndrome == "" && (w.Disease == "" || r.CountsDisease(w.Disease))
}

// text writes the finding in both languages.
func (r Rule) text(unit, kind string, f Finding) (zh, en string) {
	var subjZH, subjEN string
	switch {
	case f.Syndrome != "":
		subjZH, subjEN = SyndromeName(f.Syndrome)
	default:
		subjZH, subjEN = diseaseName(f.Disease)
	}
	if kind == KindPerson {
		return fmt.Sprintf("%s：%s病例", unit, subjZH), fmt.Sprintf("%s: a case of %s", unit, subjEN)
	}
	winZH, winEN := r.Span.describe()
	var partsZH, partsEN []string
	if r.Threshold.Count > 0 {
		newZH, newEN := "", ""
		if r.Threshold.New {
			newZH, newEN = "新发", "new "
		}
		partsZH = append(partsZH, fmt.Sprintf("%s%s%s %d 例（阈值 ≥%d）", winZH, newZH, subjZH, f.Value, f.Threshold))
		partsEN = append(partsEN, fmt.Sprintf("%d %s%s %s (threshold ≥ %d)", f.Value, newEN, countedEN(f), winEN, f.Threshold))
	}
	if r.Threshold.Percent > 0 {
		// Rounded down, so that a share below the threshold never reads
		// as reaching it (29.96 % shows as 29.9 %, not 30.0 %).
		pct := math.Floor(f.Percent*10+1e-9) / 10
		partsZH = append(partsZH, fmt.Sprintf("%s%s共 %d 例，占 %d 人的 %.1f%%（阈值 ≥%s%%）",
			winZH, subjZH, f.Count, f.People, pct, trimFloat(r.Threshold.Percent)))
		partsEN = append(partsEN, fmt.Sprintf("%d of %d (%.1f%%) %s %s (threshold ≥ %s%%)",
			f.Count, f.People, pct, countedEN(f), winEN, trimFloat(r.Threshold.Percent)))
	}
	return unit + " " + strings.Join(partsZH, "；"), unit + ": " + strings.Join(partsEN, "; ")
}

// countedEN names what was counted after a number: "with fever", "cases of
// measles".
func countedEN(f Finding) string {
	if f.Syndrome != "" {
		_, en := SyndromeName(f.Syndrome)
		return "with " + en
	}
	_, en := diseaseName(f.Disease)
	return "cases of " + en
}

// trimFloat writes a percentage without trailing zeros: 30, 12.5.
func trimFloat(x float64) string { return fmt.Sprintf("%g", x) }

// WindowDays returns the dates of the rule's window ending at date, oldest
// first, by the unit's calendar (nil for every day, as for community
// units):
//
//   - school-day windows: the Days school days ending at date, or none
//     when date is not a school day (such rules are evaluated on school
//     days only); fewer near the start of the calendar's first term;
//   - calendar-day windows: the Days days ending at date;
//   - term windows: every day from the start of the term date lies in —
//     during a break, of the term just ended — to date; none when no term
//     started within a year before date (as on an every-day calendar
//     without terms, or past the calendar's last term).
func (r Rule) WindowDays(cal *calendar.Calendar, date string) ([]string, error) {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fmt.Errorf("window of rule %s: date %q: want YYYY-MM-DD", r.Code, date)
	}
	var days []string
	var err error
	switch {
	case r.Span.Term:
		term, ok := cal.LatestTerm(date)
		if !ok || !inTermOrBreak(term, date) {
			return nil, nil
		}
		days, err = calendar.Everyday().SchoolDays(term.Start, date)
	case r.Span.School:
		if !cal.IsSchoolDay(date) {
			return nil, nil
		}
		days, err = cal.SchoolDaysBack(date, r.Span.Days)
	default:
		days, err = calendar.Everyday().SchoolDaysBack(date, r.Span.Days)
	}
	if err != nil {
		return nil, fmt.Errorf("window of rule %s: %w", r.Code, err)
	}
	return days, nil
}

// inTermOrBreak reports whether date is within a year of the term's start:
// in the term or the break after it, rather than past the calendar's end.
func inTermOrBreak(t calendar.Term, date string) bool {
	start, err := time.Parse(time.DateOnly, t.Start)
	if err != nil {
		return false
	}
	return date <= start.AddDate(1, 0, 0).Format(time.DateOnly)
}
