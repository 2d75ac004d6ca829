package simstudy

import "fmt"

// The similar-symptoms rule of SPEC §5.2 (卫办疾控发〔2006〕65号), which a
// class or dorm room must report within 24 hours: at least ReportDayCases
// cases on one day, or at least ReportWindowCases within ReportWindowDays
// consecutive days. The study applies it to an outbreak's injected cases
// only, so that "reportable" says what the outbreak is, not how noisy the
// baseline it fell into happens to be.
const (
	ReportDayCases    = 3
	ReportWindowCases = 5
	ReportWindowDays  = 3
)

// FirstReportableDay returns the index of the first day of extra — the
// injected cases of one outbreak, one entry per open day — on which the
// cases so far meet the similar-symptoms rule: ReportDayCases on that day,
// or ReportWindowCases on the ReportWindowDays open days ending with it.
// It returns -1 if no day does.
//
// Windows are counted in open days because that is all a series has: a
// school series never sees a weekend, so Friday, Monday and Tuesday are
// consecutive there, as they are in a school's morning checks.
func FirstReportableDay(extra []float64) int {
	window := 0.0
	for t, e := range extra {
		window += e
		if t >= ReportWindowDays {
			window -= extra[t-ReportWindowDays]
		}
		if e >= ReportDayCases || window >= ReportWindowCases {
			return t
		}
	}
	return -1
}

// Reportable reports whether the injected cases extra of one outbreak ever
// meet the similar-symptoms rule; see FirstReportableDay.
func Reportable(extra []float64) bool { return FirstReportableDay(extra) >= 0 }

// ReportableScore is how a method did on one reportable outbreak.
type ReportableScore struct {
	OutbreakScore
	// ReportableAfter is the number of open days from the outbreak's first
	// day to the first day it became reportable (0: the first day).
	ReportableAfter int
}

// ReportDelay is the delay counted from the day the outbreak became
// reportable rather than from its first day: the open days from that day to
// the method's first alarm on the outbreak. It is negative when the method
// alarmed before the injected cases met the rule. Meaningful when Detected.
func (r ReportableScore) ReportDelay() int { return r.Delay - r.ReportableAfter }

// ReportableScores returns the scores in sc — a method's scores on s, as
// Score gives them — of the outbreaks of s that are reportable, in order.
// Detection and the delay from the outbreak's start are Score's: the
// reportable outbreaks are a subset of the same scoring, not a new one.
func ReportableScores(s Series, sc Scores) ([]ReportableScore, error) {
	if len(sc.Outbreaks) != len(s.Outbreaks) {
		return nil, fmt.Errorf("reportable %v: %d outbreak scores for %d outbreaks", s.Scenario, len(sc.Outbreaks), len(s.Outbreaks))
	}
	var rs []ReportableScore
	for i, o := range s.Outbreaks {
		if sc.Outbreaks[i].Outbreak != o {
			return nil, fmt.Errorf("reportable %v: score %d is of outbreak %d..%d, not %d..%d",
				s.Scenario, i, sc.Outbreaks[i].Outbreak.Start, sc.Outbreaks[i].Outbreak.End, o.Start, o.End)
		}
		if o.Start < 0 || o.End < o.Start || o.End >= len(s.Extra) {
			return nil, fmt.Errorf("reportable %v: outbreak days %d..%d outside the series", s.Scenario, o.Start, o.End)
		}
		if after := FirstReportableDay(s.Extra[o.Start : o.End+1]); after >= 0 {
			rs = append(rs, ReportableScore{OutbreakScore: sc.Outbreaks[i], ReportableAfter: after})
		}
	}
	return rs, nil
}

// ReportableTally adds up scores on reportable outbreaks. Its Tally counts
// outbreaks, detections and delays from the outbreak's start; it has no
// open days, since false alarms do not depend on which outbreaks are
// scored: the study-wide rate applies.
type ReportableTally struct {
	Tally
	// ReportDelays holds the ReportDelay of every detected outbreak.
	ReportDelays []int
}

// Add adds one reportable outbreak's score.
func (t *ReportableTally) Add(r ReportableScore) {
	t.AddOutbreak(r.OutbreakScore)
	if r.Detected {
		t.ReportDelays = append(t.ReportDelays, r.ReportDelay())
	}
}

// MedianReportDelay is the median delay from the first reportable day, in
// open days, over the detected outbreaks; NaN when none was detected.
func (t *ReportableTally) MedianReportDelay() float64 { return median(t.ReportDelays) }

// ReportableStratum is one row of the breakdown of the reportable outbreaks.
type ReportableStratum struct {
	Group, Label string
	Tallies      []ReportableTally // one per method, in the order of Result.Methods
}
