package simstudy

import (
	"fmt"
	"math"
	"slices"

	"epiguard/internal/detect"
)

// OutbreakScore is how a method did on one outbreak.
type OutbreakScore struct {
	Outbreak Outbreak
	Detected bool // at least one alarm on the outbreak's days
	// Delay is the number of open days from the outbreak's first day to the
	// first alarm on its days (0: the same day); meaningful when Detected.
	Delay int
}

// Scores is how a method did on one series.
type Scores struct {
	Outbreaks []OutbreakScore
	// OpenDays counts the evaluated days outside outbreaks: monitored by the
	// method, at or after the design's EvalStart, not between an outbreak's
	// first and last day.
	OpenDays int
	// FalseAlarms counts the OpenDays with an alarm.
	FalseAlarms int
}

// Score compares a method's output pts over s.Counts with the outbreaks
// injected into s, scoring days from evalStart on. A day counts as alarmed
// only when its Alarm is detect.Alarmed; NA is no alarm.
func Score(s Series, pts []detect.Point, evalStart int) (Scores, error) {
	if len(pts) != len(s.Counts) {
		return Scores{}, fmt.Errorf("score %v: %d points for %d days", s.Scenario, len(pts), len(s.Counts))
	}
	inOutbreak := make([]bool, len(pts))
	sc := Scores{Outbreaks: make([]OutbreakScore, 0, len(s.Outbreaks))}
	for _, o := range s.Outbreaks {
		if o.Start < 0 || o.End < o.Start || o.End >= len(pts) {
			return Scores{}, fmt.Errorf("score %v: outbreak days %d..%d outside the series", s.Scenario, o.Start, o.End)
		}
		score := OutbreakScore{Outbreak: o}
		for t := o.Start; t <= o.End; t++ {
			inOutbreak[t] = true
			if !score.Detected && pts[t].Alarm == detect.Alarmed {
				score.Detected, score.Delay = true, t-o.Start
			}
		}
		sc.Outbreaks = append(sc.Outbreaks, score)
	}
	for t := max(evalStart, 0); t < len(pts); t++ {
		if !pts[t].Monitored || inOutbreak[t] {
			continue
		}
		sc.OpenDays++
		if pts[t].Alarm == detect.Alarmed {
			sc.FalseAlarms++
		}
	}
	return sc, nil
}

// Tally adds up scores over many series (or over one stratum of them).
type Tally struct {
	Outbreaks, Detected int
	// Delays holds the delay of every detected outbreak.
	Delays                []int
	OpenDays, FalseAlarms int
}

// Add adds a whole series' scores.
func (t *Tally) Add(s Scores) {
	for _, o := range s.Outbreaks {
		t.AddOutbreak(o)
	}
	t.OpenDays += s.OpenDays
	t.FalseAlarms += s.FalseAlarms
}

// AddOutbreak adds one outbreak's score only, for strata such as outbreak
// size that have no non-outbreak days of their own.
func (t *Tally) AddOutbreak(o OutbreakScore) {
	t.Outbreaks++
	if o.Detected {
		t.Detected++
		t.Delays = append(t.Delays, o.Delay)
	}
}

// Sensitivity is the percentage of outbreaks detected; NaN without outbreaks.
func (t *Tally) Sensitivity() float64 {
	if t.Outbreaks == 0 {
		return math.NaN()
	}
	return 100 * float64(t.Detected) / float64(t.Outbreaks)
}

// FalseAlarmRate is the number of false alarms per 100 open non-outbreak
// days; NaN without such days.
func (t *Tally) FalseAlarmRate() float64 {
	if t.OpenDays == 0 {
		return math.NaN()
	}
	return 100 * float64(t.FalseAlarms) / float64(t.OpenDays)
}

// MedianDelay is the median delay of the detected outbreaks, in open days
// (the mean of the two middle values for an even count); NaN when none was
// detected.
func (t *Tally) MedianDelay() float64 { return median(t.Delays) }

// median is the median of v (the mean of the two middle values for an even
// count), NaN for none; v is left as it is.
func median(v []int) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	d := slices.Clone(v)
	slices.Sort(d)
	if n%2 == 1 {
		return float64(d[n/2])
	}
	return float64(d[n/2-1]+d[n/2]) / 2
}
