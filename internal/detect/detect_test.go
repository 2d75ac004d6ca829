package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDetectMethodAndParams(t *testing.T) {
	x := []float64{1, 2, 0, 3, 1, 2, 2, 1, 9, 0, 1, 2, 3, 1, 0, 2}
	for _, name := range []string{"c1", "c2", "c3", "cusum"} {
		f, err := Method(name)
		if err != nil {
			t.Fatalf("Method(%q): %v", name, err)
		}
		if got := f(x, Params{}); len(got) != len(x) {
			t.Errorf("%s: %d points for %d days", name, len(got), len(x))
		}
		if err := CheckParams(name, Params{}); err != nil {
			t.Errorf("CheckParams(%q, zero): %v", name, err)
		}
	}
	for _, name := range []string{"default", "C1", ""} {
		if _, err := Method(name); err == nil {
			t.Errorf("Method(%q) accepted", name)
		}
	}
	for _, c := range []struct {
		method string
		p      Params
	}{
		{"c1", Params{Baseline: 2}},
		{"c2", Params{Baseline: -1}},
		{"c3", Params{Alpha: 1}},
		{"c1", Params{Alpha: -0.1}},
		{"c1", Params{Alpha: math.NaN()}},
		{"c2", Params{MinSigma: -1}},
		{"cusum", Params{Baseline: -3}},
		{"cusum", Params{Alpha: 0.05}},
		{"cusum", Params{MinSigma: 1}},
		{"nope", Params{}},
	} {
		if err := CheckParams(c.method, c.p); err == nil {
			t.Errorf("CheckParams(%q, %+v) accepted", c.method, c.p)
		}
	}
	if err := (CUSUMParams{Trans: "anscombeNegBin"}).check(); err == nil {
		t.Error("anscombeNegBin accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("C1 with baseline 2 did not panic")
		}
	}()
	C1(x, Params{Baseline: 2})
}

// TestDetectRanges checks the monitored ranges, including series too short
// for any monitored day (R stops; we monitor nothing).
func TestDetectRanges(t *testing.T) {
	for _, c := range []struct {
		name  string
		run   func([]float64) []Point
		first int // 0-based first monitored day
	}{
		{"c1", func(x []float64) []Point { return C1(x, Params{}) }, 7},
		{"c1 b=3", func(x []float64) []Point { return C1(x, Params{Baseline: 3}) }, 3},
		{"c2", func(x []float64) []Point { return C2(x, Params{}) }, 9},
		{"c3", func(x []float64) []Point { return C3(x, Params{}) }, 11},
		{"c3 b=14", func(x []float64) []Point { return C3(x, Params{Baseline: 14}) }, 18},
		{"cusum", func(x []float64) []Point { return CUSUM(x, CUSUMParams{}) }, 7},
		{"cusum b=1", func(x []float64) []Point { return CUSUM(x, CUSUMParams{Baseline: 1}) }, 1},
	} {
		for n := 0; n <= 25; n++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(i % 4)
			}
			pts := c.run(x)
			if len(pts) != n {
				t.Fatalf("%s n=%d: %d points", c.name, n, len(pts))
			}
			for i, p := range pts {
				if p.Monitored != (i >= c.first) {
					t.Fatalf("%s n=%d: day %d monitored=%v", c.name, n, i, p.Monitored)
				}
				if !p.Monitored && (!math.IsNaN(p.UB) || p.Alarm != AlarmNA) {
					t.Fatalf("%s n=%d: unmonitored day %d is %+v", c.name, n, i, p)
				}
			}
		}
	}
}

// TestDetectC3Alarm pins the property of R's C3 code that surprises: the
// alarm does not depend on today's C2, only on the two lagged terms (and
// on today's count being above 0, through the clamp of ub at 0).
func TestDetectC3Alarm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 400)
	for i := range x {
		x[i] = float64(poissonTest(r, 3))
		if i%50 == 40 {
			x[i] += 15
		}
	}
	pts := C3(x, Params{})
	alarms := 0
	for t0 := 11; t0 < len(x); t0++ {
		p := pts[t0]
		y := append([]float64(nil), x[:t0+1]...)
		y[t0] += 100 // an enormous count today
		q := C3(y, Params{})[t0]
		if x[t0] > 0 && p.Alarm != q.Alarm {
			t.Fatalf("day %d: alarm %d with count %g but %d with %g", t0, p.Alarm, x[t0], q.Alarm, y[t0])
		}
		if p.Alarm == Alarmed {
			alarms++
		}
	}
	if alarms == 0 {
		t.Fatal("no C3 alarms at all: the test series is too quiet")
	}
}

// TestDetectWindowPaths checks that the running-sum path and the direct
// two-pass path give the same window statistics on integer counts.
func TestDetectWindowPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, lambda := range []float64{0.3, 2, 30, 5000} {
		x := make([]float64, 200)
		for i := range x {
			x[i] = float64(poissonTest(r, lambda))
		}
		for _, b := range []int{3, 7, 28} {
			fast, slow := newWindow(x, b), newWindow(x, b)
			if !fast.exact {
				t.Fatalf("lambda %g b %d: not exact", lambda, b)
			}
			slow.exact = false
			windows := len(x) - b + 1
			m1, s1 := make([]float64, windows), make([]float64, windows)
			m2, s2 := make([]float64, windows), make([]float64, windows)
			// Uneven steps, to cross the block boundaries of real use.
			for j := 0; j < windows; j += 13 {
				k := min(13, windows-j)
				fast.next(m1[j:j+k], s1[j:j+k])
				slow.next(m2[j:j+k], s2[j:j+k])
			}
			for j := range windows {
				if math.Abs(m1[j]-m2[j]) > 1e-12*max(1, m2[j]) || math.Abs(s1[j]-s2[j]) > 1e-12*max(1, s2[j]) {
					t.Fatalf("lambda %g b %d window %d: (%v, %v) vs (%v, %v)", lambda, b, j, m1[j], s1[j], m2[j], s2[j])
				}
			}
		}
	}
}

// poissonTest draws a Poisson variate by inversion (tests only).
func poissonTest(r *rand.Rand, lambda float64) int {
	u := r.Float64()
	p := math.Exp(-lambda)
	if p == 0 {
		// Normal approximation for large means.
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	k, cdf := 0, p
	for u > cdf {
		k++
		p *= lambda / float64(k)
		cdf += p
	}
	return k
}

// TestDetectAppend checks that the Append functions give the plain
// functions' points after whatever dst already holds.
func TestDetectAppend(t *testing.T) {
	x := []float64{3, 0, 1, 4, 2, 2, 0, 1, 3, 5, 0, 1, 2, 9, 1, 0, 2}
	head := []Point{{UB: 42, Monitored: true, Alarm: Alarmed}}
	for _, c := range []struct {
		name   string
		plain  []Point
		append func([]Point) []Point
	}{
		{"c1", C1(x, Params{}), func(d []Point) []Point { return AppendC1(d, x, Params{}) }},
		{"c2", C2(x, Params{Baseline: 3}), func(d []Point) []Point { return AppendC2(d, x, Params{Baseline: 3}) }},
		{"c3", C3(x, Params{MinSigma: 1}), func(d []Point) []Point { return AppendC3(d, x, Params{MinSigma: 1}) }},
		{"cusum", CUSUM(x, CUSUMParams{Trans: "rossi"}), func(d []Point) []Point { return AppendCUSUM(d, x, CUSUMParams{Trans: "rossi"}) }},
	} {
		// A dirty buffer with spare capacity: every point must be written.
		buf := make([]Point, 1, 64)
		for i := range buf[:cap(buf)] {
			buf[:cap(buf)][i] = Point{UB: -1, Monitored: true, Alarm: Alarmed}
		}
		copy(buf, head)
		got := c.append(buf)
		if len(got) != 1+len(x) || got[0] != head[0] {
			t.Fatalf("%s: bad head or length %d", c.name, len(got))
		}
		for i, p := range c.plain {
			q := got[1+i]
			if q.Monitored != p.Monitored || q.Alarm != p.Alarm || !(q.UB == p.UB || math.IsNaN(q.UB) && math.IsNaN(p.UB)) {
				t.Fatalf("%s day %d: %+v, plain %+v", c.name, i, q, p)
			}
		}
	}
}

// TestDetectMixedInput runs C1 over integer counts with one fractional and
// one huge value in the middle, where the window switches from running sums
// to direct sums, against a direct per-day computation.
func TestDetectMixedInput(t *testing.T) {
	x := make([]float64, 60)
	for i := range x {
		x[i] = float64((i * 7) % 5)
	}
	x[20] = 2.5
	x[40] = 3e9
	z := qnorm(1 - DefaultAlphaC12)
	got := C1(x, Params{})
	for t0 := 7; t0 < len(x); t0++ {
		ref := x[t0-7 : t0]
		want := rMean(ref, false) + z*rSD(ref)
		if math.Abs(got[t0].UB-want) > 1e-9*max(1, want) {
			t.Errorf("day %d: ub %v, want %v", t0, got[t0].UB, want)
		}
	}
}
