package simstudy

import (
	"math"

	"epiguard/internal/detect"
)

// OracleAlpha is the oracle's upper tail probability: the false-alarm budget
// of SPEC §5.5, 2.5 per 100 days.
const OracleAlpha = 0.025

// Oracle is not a detector: it knows each day's true expected count and the
// count distribution of the series and alarms when the probability of a
// count at least as high as the day's is at most OracleAlpha. No method
// that has to estimate its baseline from the counts does better day by day
// at the same false-alarm budget, so its sensitivity shows how much of the
// §5.5 target this outbreak model allows at all.
func Oracle(s Series) []detect.Point {
	pts := make([]detect.Point, len(s.Counts))
	for t, mu := range s.Expected {
		ub := float64(upperQuantile(mu, s.Scenario.Dispersion, OracleAlpha) - 1)
		alarm := detect.NoAlarm
		if s.Counts[t] > ub {
			alarm = detect.Alarmed
		}
		pts[t] = detect.Point{UB: ub, Monitored: true, Alarm: alarm}
	}
	return pts
}

// upperQuantile returns the smallest count c with P(X >= c) <= alpha, for X
// Poisson with mean mu (phi <= 1) or negative binomial with mean mu and
// variance phi·mu.
func upperQuantile(mu, phi, alpha float64) int {
	if mu <= 0 {
		return 1
	}
	// pmf(0) and the ratio pmf(c+1)/pmf(c) of either distribution.
	var p float64
	var ratio func(c int) float64
	if phi <= 1 {
		p = math.Exp(-mu)
		ratio = func(c int) float64 { return mu / float64(c+1) }
	} else {
		size := mu / (phi - 1)
		q := 1 - 1/phi // probability of a "failure" per trial
		p = math.Exp(size * math.Log(1/phi))
		ratio = func(c int) float64 { return (float64(c) + size) / float64(c+1) * q }
	}
	cdf := 0.0 // P(X < c)
	for c := 0; ; c++ {
		if 1-cdf <= alpha {
			return c
		}
		cdf += p
		p *= ratio(c)
	}
}
