package detect

import (
	"errors"
	"fmt"
	"math"
)

// Alarm is a detector's verdict for one day. AlarmNA is R's NA: the
// statistic is undefined that day (e.g. C3 on a run of identical counts).
type Alarm int8

const (
	AlarmNA Alarm = -1
	NoAlarm Alarm = 0
	Alarmed Alarm = 1
)

// Point is one day's detector output.
//
// UB comes first so that a Point packs into 16 bytes: detectors run over
// millions of unit-days and the slices they return are the main allocation.
type Point struct {
	UB        float64 // upper bound; math.NaN() where undefined (and outside the monitored range)
	Monitored bool    // inside the method's monitored range (false: ub empty, alarm empty in CLI output)
	Alarm     Alarm   // AlarmNA outside the monitored range
}

// Params are the arguments of R's earsC. Zero values mean R's defaults.
type Params struct {
	Baseline int     // days in the reference window; 0 means 7; at least 3
	Alpha    float64 // upper tail probability; 0 means 0.001 (C1, C2) or 0.025 (C3)
	MinSigma float64 // lower limit of the standard deviation; R's default 0
}

// Method returns the detector called name: "c1", "c2", "c3" or "cusum".
// For "cusum", Params.Baseline is CUSUMParams.Baseline (the days before the
// monitored range whose mean is m) and Alpha and MinSigma are not used:
// algo.cusum has no significance level (its alpha is the negative binomial
// dispersion, which the standard transformation does not use) and no
// minimum sigma. "default" is not a method here: it is Default, the policy.
func Method(name string) (func(x []float64, p Params) []Point, error) {
	switch name {
	case "c1":
		return C1, nil
	case "c2":
		return C2, nil
	case "c3":
		return C3, nil
	case "cusum":
		return func(x []float64, p Params) []Point {
			return CUSUM(x, CUSUMParams{Baseline: p.Baseline})
		}, nil
	}
	return nil, fmt.Errorf("unknown detector %q (want c1, c2, c3 or cusum)", name)
}

// CheckParams says whether p is valid for the method called name, with the
// limits R enforces (earsC stops for baseline < 3 or minSigma < 0) and those
// without which the output is meaningless (alpha outside (0, 1)). The
// detectors panic on parameters CheckParams rejects.
func CheckParams(name string, p Params) error {
	switch name {
	case "c1", "c2", "c3":
		return checkEARS(p)
	case "cusum":
		if p.Alpha != 0 || p.MinSigma != 0 {
			return errors.New("cusum takes no alpha and no minimum sigma: algo.cusum has no significance level and no sigma floor")
		}
		return CUSUMParams{Baseline: p.Baseline}.check()
	}
	return fmt.Errorf("unknown detector %q (want c1, c2, c3 or cusum)", name)
}

func checkEARS(p Params) error {
	switch {
	case p.Baseline != 0 && p.Baseline < 3:
		return fmt.Errorf("baseline %d: earsC needs at least 3 days", p.Baseline)
	case p.Alpha < 0 || p.Alpha >= 1 || math.IsNaN(p.Alpha):
		return fmt.Errorf("alpha %g: must be between 0 and 1", p.Alpha)
	case p.MinSigma < 0 || math.IsNaN(p.MinSigma) || math.IsInf(p.MinSigma, 0):
		return fmt.Errorf("minimum sigma %g: must be 0 or more", p.MinSigma)
	}
	return nil
}

// unmonitored fills pts with days outside the monitored range.
func unmonitored(pts []Point) {
	for i := range pts {
		pts[i] = Point{UB: math.NaN(), Alarm: AlarmNA}
	}
}

// alarmAbove is R's `x > ub` (earsC): NA when either side is NaN.
func alarmAbove(x, ub float64) Alarm {
	switch {
	case x > ub:
		return Alarmed
	case x <= ub:
		return NoAlarm
	}
	return AlarmNA // one of them is NaN
}

// exactLimit bounds b·max|x| so that the window sums of x and x², and
// b·Σx² − (Σx)², are integers below 2^53: exact in float64.
const exactLimit = 1 << 26

// exactInt reports whether v is an integer of at most limit = exactLimit/b
// in magnitude, so that running sums over windows of b such values stay
// exact. Counts always are; anything else takes the slower direct path so
// the results still match R.
func exactInt(v, limit float64) bool {
	// The conversion truncates; within the limit it is exact, and it is
	// much cheaper than math.Trunc. NaN fails the first test.
	return math.Abs(v) <= limit && float64(int64(v)) == v
}

// exactSums reports whether exactInt holds for every x, with windows of b.
func exactSums(x []float64, b int) bool {
	limit := exactLimit / float64(b)
	for _, v := range x {
		if !exactInt(v, limit) {
			return false
		}
	}
	return true
}

// rMean is R's mean() of a double vector: the sum divided by n, then
// corrected by the mean of the residuals (R accumulates in long double; the
// correction brings float64 to the same correctly rounded value for the
// inputs we see). With exact set, the sum is exact and one division is
// already correctly rounded.
func rMean(x []float64, exact bool) float64 {
	n := float64(len(x))
	var s float64
	for _, v := range x {
		s += v
	}
	m := s / n
	if exact || math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	var t float64
	for _, v := range x {
		t += v - m
	}
	return m + t/n
}

// rSD is R's sd(): the square root of var(), which sums squared deviations
// from rMean and divides by n−1.
func rSD(x []float64) float64 {
	m := rMean(x, false)
	var ss float64
	for _, v := range x {
		d := v - m
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(x)-1))
}
