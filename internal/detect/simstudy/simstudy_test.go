package simstudy

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"epiguard/internal/detect"
)

func TestOpenDays(t *testing.T) {
	school := openDays(School)
	closed := map[time.Time]bool{}
	for _, d := range schoolHolidays {
		closed[d] = true
	}
	for _, d := range school {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("school open on %s, a %s", d.Format(time.DateOnly), wd)
		}
		if closed[d] {
			t.Errorf("school open on holiday %s", d.Format(time.DateOnly))
		}
		if !d.Before(breakStart) && !d.After(breakEnd) {
			t.Errorf("school open in the winter break on %s", d.Format(time.DateOnly))
		}
	}
	// 220 weekdays from 2 Sep 2024 to 4 Jul 2025, less 13 weekday holidays
	// and the 20 weekdays of the winter break.
	if got, want := len(school), 220-13-20; got != want {
		t.Errorf("school open days = %d, want %d", got, want)
	}
	if got, want := len(openDays(Community)), 306; got != want {
		t.Errorf("community open days = %d, want %d", got, want)
	}
}

func TestSimulateDeterministic(t *testing.T) {
	sc := Scenario{Kind: School, Mean: 2, Dispersion: 1.5}
	a, err := Simulate(sc, DefaultDesign(), 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Simulate(sc, DefaultDesign(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("two simulations with the same seed differ")
	}
	c, err := Simulate(sc, DefaultDesign(), 8)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Counts, c.Counts) {
		t.Error("simulations with different seeds give the same counts")
	}
}

func TestSimulateRejectsBadScenario(t *testing.T) {
	for _, sc := range []Scenario{
		{Kind: School, Mean: 0, Dispersion: 1},
		{Kind: School, Mean: 1, Dispersion: 0.5},
	} {
		if _, err := Simulate(sc, DefaultDesign(), 1); err == nil {
			t.Errorf("Simulate(%v) gave no error", sc)
		}
	}
	if _, err := Simulate(Scenario{Kind: School, Mean: 1, Dispersion: 1}, Design{EvalStart: 1000}, 1); err == nil {
		t.Error("Simulate with EvalStart beyond the series gave no error")
	}
}

// The baseline (counts without outbreak cases) averages the requested mean.
func TestSimulateMean(t *testing.T) {
	for _, sc := range []Scenario{
		{Kind: School, Mean: 0.5, Dispersion: 1},
		{Kind: School, Mean: 30, Dispersion: 3},
		{Kind: Community, Mean: 5, Dispersion: 1.5},
	} {
		var sum float64
		var n int
		for seed := range uint64(100) {
			s, err := Simulate(sc, DefaultDesign(), seed)
			if err != nil {
				t.Fatal(err)
			}
			var exp float64
			for i, c := range s.Counts {
				exp += s.Expected[i]
				sum += c - s.Extra[i]
				n++
			}
			if got := exp / float64(len(s.Expected)); math.Abs(got-sc.Mean) > 1e-9*sc.Mean {
				t.Fatalf("%v: mean of expected counts = %g", sc, got)
			}
		}
		// Four standard errors; the days are independent given their means.
		got := sum / float64(n)
		if tol := 4 * math.Sqrt(sc.Dispersion*sc.Mean/float64(n)); math.Abs(got-sc.Mean) > tol {
			t.Errorf("%v: baseline mean %.4f, want %g ± %.4f", sc, got, sc.Mean, tol)
		}
	}
}

func TestCountDraw(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ mu, phi float64 }{
		{0.5, 1}, {4, 3}, {75, 1}, {75, 1.5}, // 75 takes the chunked Poisson path
	} {
		const n = 50000
		var s, ss float64
		for range n {
			x := float64(countDraw(r, c.mu, c.phi))
			s += x
			ss += x * x
		}
		mean := s / n
		variance := ss/n - mean*mean
		if math.Abs(mean-c.mu) > 0.015*c.mu+0.01 {
			t.Errorf("mu %g phi %g: mean %.4f", c.mu, c.phi, mean)
		}
		if want := c.phi * c.mu; math.Abs(variance-want) > 0.04*want {
			t.Errorf("mu %g phi %g: variance %.4f, want %.4f", c.mu, c.phi, variance, want)
		}
	}
	if got := countDraw(r, 0, 1); got != 0 {
		t.Errorf("countDraw(0) = %d", got)
	}
}

// Every injected case is in exactly one outbreak, and the outbreaks respect
// the design.
func TestOutbreakInjection(t *testing.T) {
	d := DefaultDesign()
	var outbreaks int
	for _, sc := range []Scenario{
		{Kind: School, Mean: 0.5, Dispersion: 3},
		{Kind: School, Mean: 10, Dispersion: 1},
		{Kind: Community, Mean: 30, Dispersion: 1.5},
	} {
		for seed := range uint64(50) {
			s, err := Simulate(sc, d, seed)
			if err != nil {
				t.Fatal(err)
			}
			inside := make([]bool, len(s.Counts))
			var injected int
			prevEnd := -1
			for _, o := range s.Outbreaks {
				outbreaks++
				switch {
				case o.Start < d.EvalStart:
					t.Errorf("%v seed %d: outbreak starts at %d, before %d", sc, seed, o.Start, d.EvalStart)
				case prevEnd >= 0 && o.Start-prevEnd-1 < d.MinGap:
					t.Errorf("%v seed %d: outbreak at %d only %d days after the last", sc, seed, o.Start, o.Start-prevEnd-1)
				case o.End-o.Start+1 > o.Duration:
					t.Errorf("%v seed %d: outbreak spans %d days, nominal %d", sc, seed, o.End-o.Start+1, o.Duration)
				case o.K < 1 || o.K > d.MaxK || o.Duration < 1 || o.Duration > d.MaxDuration:
					t.Errorf("%v seed %d: k %d, duration %d out of range", sc, seed, o.K, o.Duration)
				case o.Size < minOutbreakSize:
					t.Errorf("%v seed %d: outbreak of %d cases", sc, seed, o.Size)
				case s.Extra[o.Start] == 0 || s.Extra[o.End] == 0:
					t.Errorf("%v seed %d: outbreak %d..%d does not start and end with a case", sc, seed, o.Start, o.End)
				case closure(s.Days, o.Start, o.End-o.Start+1) >= 0:
					t.Errorf("%v seed %d: outbreak %d..%d runs across a closure", sc, seed, o.Start, o.End)
				}
				var cases float64
				for i := o.Start; i <= o.End; i++ {
					inside[i] = true
					cases += s.Extra[i]
				}
				if int(cases) != o.Size {
					t.Errorf("%v seed %d: outbreak %d..%d has %g cases, size %d", sc, seed, o.Start, o.End, cases, o.Size)
				}
				injected += o.Size
				prevEnd = o.End
			}
			var extra float64
			for i, e := range s.Extra {
				extra += e
				if e != 0 && !inside[i] {
					t.Errorf("%v seed %d: %g outbreak cases on day %d outside any outbreak", sc, seed, e, i)
				}
				if base := s.Counts[i] - e; base < 0 || base != math.Trunc(base) {
					t.Errorf("%v seed %d: day %d baseline count %g", sc, seed, i, base)
				}
			}
			if int(extra) != injected {
				t.Errorf("%v seed %d: %g extra cases, outbreaks sum to %d", sc, seed, extra, injected)
			}
		}
	}
	if outbreaks < 300 {
		t.Errorf("only %d outbreaks in 150 series", outbreaks)
	}
}

func TestCurve(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, dur := range []int{1, 2, 5, 10} {
		for range 100 {
			size := 2 + r.IntN(40)
			offsets := curve(r, size, dur)
			if len(offsets) != size || offsets[0] != 0 || offsets[len(offsets)-1] >= dur {
				t.Fatalf("curve(%d, %d) = %v", size, dur, offsets)
			}
			for i := 1; i < len(offsets); i++ {
				if offsets[i] < offsets[i-1] {
					t.Fatalf("curve(%d, %d) = %v: not sorted", size, dur, offsets)
				}
			}
		}
	}
}

// points builds detector output from a monitored flag and alarm codes.
func points(monitoredFrom int, alarms []detect.Alarm) []detect.Point {
	pts := make([]detect.Point, len(alarms))
	for i, a := range alarms {
		if i < monitoredFrom {
			pts[i] = detect.Point{UB: math.NaN(), Alarm: detect.AlarmNA}
			continue
		}
		pts[i] = detect.Point{UB: 1, Monitored: true, Alarm: a}
	}
	return pts
}

func TestScoreTinyExample(t *testing.T) {
	const (
		N = detect.NoAlarm
		A = detect.Alarmed
		X = detect.AlarmNA
	)
	s := Series{
		Counts:    make([]float64, 12),
		Outbreaks: []Outbreak{{Start: 3, End: 4}, {Start: 8, End: 8}, {Start: 10, End: 11}},
	}
	//               0  1  2  3  4  5  6  7  8  9 10 11
	alarms := []detect.Alarm{A, A, A, N, A, N, A, N, N, X, N, A}
	sc, err := Score(s, points(1, alarms), 2)
	if err != nil {
		t.Fatal(err)
	}
	// Day 0 is not monitored and day 1 is before evalStart: neither counts.
	// Scored non-outbreak days: 2, 5, 6, 7, 9; alarms on 2 and 6 (9 is NA).
	if sc.OpenDays != 5 || sc.FalseAlarms != 2 {
		t.Errorf("open days %d, false alarms %d; want 5, 2", sc.OpenDays, sc.FalseAlarms)
	}
	want := []OutbreakScore{
		{Outbreak: s.Outbreaks[0], Detected: true, Delay: 1},
		{Outbreak: s.Outbreaks[1]},
		{Outbreak: s.Outbreaks[2], Detected: true, Delay: 1},
	}
	if !reflect.DeepEqual(sc.Outbreaks, want) {
		t.Errorf("outbreak scores %+v, want %+v", sc.Outbreaks, want)
	}

	var tally Tally
	tally.Add(sc)
	tally.Add(sc)
	if got := tally.Sensitivity(); math.Abs(got-100*4.0/6) > 1e-9 {
		t.Errorf("sensitivity %g", got)
	}
	if got := tally.FalseAlarmRate(); got != 40 {
		t.Errorf("false alarms per 100 days %g, want 40", got)
	}
	if got := tally.MedianDelay(); got != 1 {
		t.Errorf("median delay %g, want 1", got)
	}
}

func TestScoreErrors(t *testing.T) {
	s := Series{Counts: make([]float64, 5)}
	if _, err := Score(s, make([]detect.Point, 4), 0); err == nil {
		t.Error("Score with too few points gave no error")
	}
	s.Outbreaks = []Outbreak{{Start: 3, End: 5}}
	if _, err := Score(s, make([]detect.Point, 5), 0); err == nil {
		t.Error("Score with an outbreak past the end gave no error")
	}
}

func TestTallyEmptyAndMedian(t *testing.T) {
	var empty Tally
	if !math.IsNaN(empty.Sensitivity()) || !math.IsNaN(empty.FalseAlarmRate()) || !math.IsNaN(empty.MedianDelay()) {
		t.Error("an empty tally should give NaN figures")
	}
	even := Tally{Delays: []int{3, 0, 2, 0}}
	if got := even.MedianDelay(); got != 1 {
		t.Errorf("median of 0, 0, 2, 3 = %g, want 1", got)
	}
	if !reflect.DeepEqual(even.Delays, []int{3, 0, 2, 0}) {
		t.Error("MedianDelay reordered the delays")
	}
}

func TestStudyDeterministic(t *testing.T) {
	st := Study{
		Design:     DefaultDesign(),
		Scenarios:  []Scenario{{Kind: School, Mean: 1, Dispersion: 1}, {Kind: Community, Mean: 10, Dispersion: 3}},
		Replicates: 3,
		Seed:       42,
	}
	table := func() string {
		res, err := st.Run(Methods())
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := res.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	a := table()
	if a != table() {
		t.Error("two runs of the same study print different tables")
	}
	for _, want := range []string{"c1", "c2", "c3", "cusum", "default", "warm-up", "oracle", "school mean=1 φ=1"} {
		if !strings.Contains(a, want) {
			t.Errorf("table lacks %q:\n%s", want, a)
		}
	}
}

func TestUpperQuantile(t *testing.T) {
	tests := []struct {
		mu, phi, alpha float64
		want           int
	}{
		// Poisson(1): P(X >= 4) = 0.0190, P(X >= 3) = 0.0803.
		{1, 1, 0.025, 4},
		// Poisson(0.5): P(X >= 3) = 0.0144, P(X >= 2) = 0.0902.
		{0.5, 1, 0.025, 3},
		// NB mean 1, variance 3 (size 0.5, p = 1/3): P(X >= 7) = 0.0192,
		// P(X >= 6) = 0.0306.
		{1, 3, 0.025, 7},
		{0, 1, 0.025, 1},
	}
	for _, tc := range tests {
		if got := upperQuantile(tc.mu, tc.phi, tc.alpha); got != tc.want {
			t.Errorf("upperQuantile(%g, %g, %g) = %d, want %d", tc.mu, tc.phi, tc.alpha, got, tc.want)
		}
	}
}
