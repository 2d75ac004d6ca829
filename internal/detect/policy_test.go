package detect

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// policySeries returns n copies of the pattern, then the tail.
func policySeries(n int, pattern []float64, tail ...float64) []float64 {
	x := make([]float64, 0, n+len(tail))
	for i := range n {
		x = append(x, pattern[i%len(pattern)])
	}
	return append(x, tail...)
}

// alarmDays lists the days Default alarms on.
func alarmDays(pts []Point) []int {
	var days []int
	for t, p := range pts {
		if p.Alarm == Alarmed {
			days = append(days, t)
		}
	}
	return days
}

func TestDefault(t *testing.T) {
	// A small unit: about one case every five school days.
	sparse := []float64{0, 0, 1, 0, 0, 0, 0, 1, 0, 0}
	// About one case a day.
	ones := []float64{1, 0, 2, 1, 0, 1, 2, 1, 1, 0}
	tests := []struct {
		name   string
		x      []float64
		p      Params
		alarms []int // expected alarm days
		first  int   // first monitored day, -1 for none
	}{
		{name: "all zeros", x: make([]float64, 60), first: 9},
		{name: "single case in a small unit", x: policySeries(40, sparse, 1, 0, 0), first: 9},
		{name: "two cases in a small unit", x: policySeries(40, sparse, 2, 0, 2), first: 9},
		{name: "clear cluster", x: policySeries(40, ones, 9, 2), alarms: []int{40}, first: 9},
		// mean 0.9, sd floored to 1: the bound is 3.23.
		{name: "3 cases twice over one a day", x: policySeries(40, ones, 3, 3), first: 9},
		{name: "4 cases over one a day", x: policySeries(40, ones, 2, 4), alarms: []int{41}, first: 9},
		{name: "zero run then 2 cases", x: policySeries(30, []float64{0}, 2), first: 9},
		{name: "zero run then 3 cases", x: policySeries(30, []float64{0}, 3), alarms: []int{30}, first: 9},
		// sd 0: the floor of one case makes the bound 5 + 2.33.
		{name: "constant run then 7", x: policySeries(30, []float64{5}, 7), first: 9},
		{name: "constant run then 8", x: policySeries(30, []float64{5}, 8), alarms: []int{30}, first: 9},
		{name: "empty", x: nil, first: -1},
		{name: "shorter than the warm-up", x: []float64{0, 0, 9, 9, 9, 9, 9, 9, 9}, first: -1},
		// The warm-up (7 days, z = 3.09) needs 4 cases over a zero baseline.
		{name: "short series, 3 cases", x: policySeries(11, []float64{0}, 3), first: 9},
		{name: "short series, 4 cases", x: policySeries(11, []float64{0}, 4), alarms: []int{11}, first: 9},
		// Overrides: a higher alpha still needs 3 cases.
		{name: "alpha 0.2, zeros then 2", x: policySeries(30, []float64{0}, 2), p: Params{Alpha: 0.2}, first: 9},
		{name: "baseline 7 has no warm-up", x: policySeries(30, []float64{0}, 3), p: Params{Baseline: 7, Alpha: 0.001}, first: 9},
		{name: "baseline 5", x: policySeries(30, []float64{0}, 4), p: Params{Baseline: 5}, alarms: []int{30}, first: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts := Default(tc.x, tc.p)
			if len(pts) != len(tc.x) {
				t.Fatalf("%d points for %d days", len(pts), len(tc.x))
			}
			if got := alarmDays(pts); !slices.Equal(got, tc.alarms) {
				t.Errorf("alarms on days %v, want %v", got, tc.alarms)
			}
			first := slices.IndexFunc(pts, func(p Point) bool { return p.Monitored })
			if first != tc.first {
				t.Errorf("first monitored day %d, want %d", first, tc.first)
			}
		})
	}
}

// On any series, Default is C2 with the policy's parameters (the warm-up
// before the main window is full) and a bound of at least 2, and it alarms
// exactly when the count is above its bound.
func TestDefaultIsFlooredC2(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{0, 5, 9, 10, 22, 23, 24, 60, 200} {
		for _, mean := range []float64{0.3, 2, 25} {
			x := make([]float64, n)
			for i := range x {
				// A binomial count with the given mean.
				for range int(2 * mean * 10) {
					if r.Float64() < 0.05 {
						x[i]++
					}
				}
			}
			pts := Default(x, Params{})
			primary := C2(x, Params{Baseline: PolicyBaseline, Alpha: PolicyAlpha, MinSigma: PolicyMinSigma})
			warm := C2(x, Params{Baseline: 7, Alpha: 0.001, MinSigma: PolicyMinSigma})
			for i, p := range pts {
				var want Point
				switch {
				case primary[i].Monitored:
					want = primary[i]
				case warm[i].Monitored:
					want = warm[i]
				default:
					if p.Monitored || !math.IsNaN(p.UB) || p.Alarm != AlarmNA {
						t.Errorf("n %d mean %g day %d: %+v, want unmonitored", n, mean, i, p)
					}
					continue
				}
				ub := max(want.UB, PolicyMinCount-1)
				if !p.Monitored || p.UB != ub {
					t.Errorf("n %d mean %g day %d: %+v, want monitored with UB %g", n, mean, i, p, ub)
				}
				if (p.Alarm == Alarmed) != (x[i] > p.UB) || p.Alarm == AlarmNA {
					t.Errorf("n %d mean %g day %d: count %g, UB %g, alarm %d", n, mean, i, x[i], p.UB, p.Alarm)
				}
			}
		}
	}
}

// A missing day (NaN) makes the days that use it NA instead of failing.
func TestDefaultNaN(t *testing.T) {
	x := policySeries(40, []float64{1, 0, 2})
	x[30] = math.NaN()
	pts := Default(x, Params{})
	for i, p := range pts {
		usesNaN := i == 30 || (i-PolicyBaseline-2 <= 30 && 30 <= i-3)
		if p.Monitored && usesNaN != (p.Alarm == AlarmNA) {
			t.Errorf("day %d: alarm %d, window holds the NaN: %v", i, p.Alarm, usesNaN)
		}
	}
}

func TestDefaultOverrides(t *testing.T) {
	x := policySeries(60, []float64{3, 1, 4, 1, 5, 9, 2, 6}, 12)
	for _, p := range []Params{
		{Baseline: 14},
		{Alpha: 0.05},
		{MinSigma: 0.5},
		{Baseline: 28, Alpha: 0.001, MinSigma: 2},
	} {
		want := Params{Baseline: PolicyBaseline, Alpha: PolicyAlpha, MinSigma: PolicyMinSigma}
		if p.Baseline != 0 {
			want.Baseline = p.Baseline
		}
		if p.Alpha != 0 {
			want.Alpha = p.Alpha
		}
		if p.MinSigma != 0 {
			want.MinSigma = p.MinSigma
		}
		c2 := C2(x, want)
		pts := Default(x, p)
		for i := want.Baseline + 2; i < len(x); i++ {
			if ub := max(c2[i].UB, PolicyMinCount-1); pts[i].UB != ub {
				t.Errorf("%+v day %d: UB %g, want %g", p, i, pts[i].UB, ub)
			}
		}
	}
}

func TestDefaultPanicsOnBadParams(t *testing.T) {
	for _, p := range []Params{{Baseline: 2}, {Alpha: 1.5}, {MinSigma: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Default with %+v did not panic", p)
				}
			}()
			Default(make([]float64, 30), p)
		}()
		if CheckParams("c2", p) == nil {
			t.Errorf("CheckParams accepts %+v", p)
		}
	}
}
