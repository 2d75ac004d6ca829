package detect

import (
	"fmt"
	"math"
)

// R's algo.cusum defaults, and ours for what R leaves to the caller.
const (
	DefaultCUSUMK     = 1.04
	DefaultCUSUMH     = 2.26
	DefaultCUSUMAlpha = 0.1
	// DefaultCUSUMBaseline is ours: algo.cusum has no default range. Seven
	// days makes cusum's monitored range start where C1's does.
	DefaultCUSUMBaseline = 7
)

// CUSUMParams are the arguments of R's algo.cusum. Zero values mean the
// defaults, so a k, h or alpha of exactly 0 cannot be asked for.
type CUSUMParams struct {
	// Baseline is the number of days before the monitored range: R's
	// control$range is Baseline+1 .. len(x) (1-based) and, when M is nil,
	// m is the mean of those first Baseline days (R's m = NULL). 0 means 7.
	Baseline int
	K        float64  // reference value k; 0 means 1.04
	H        float64  // decision boundary h; 0 means 2.26
	M        *float64 // expected count m for every monitored day; nil: the baseline mean
	// Trans is R's trans: "standard" (or ""), "rossi", "anscombe",
	// "anscombe2nd", "pearsonNegBin" or "none". R's "anscombeNegBin" (a
	// table look-up shipped with the package) and m = "glm" are not
	// provided.
	Trans string
	Alpha float64 // negative binomial dispersion for pearsonNegBin; 0 means 0.1
}

// The transformations of algo.cusum.
type transform int

const (
	transStandard transform = iota
	transRossi
	transAnscombe
	transAnscombe2nd
	transPearsonNegBin
	transNone
)

func parseTrans(s string) (transform, error) {
	switch s {
	case "", "standard":
		return transStandard, nil
	case "rossi":
		return transRossi, nil
	case "anscombe":
		return transAnscombe, nil
	case "anscombe2nd":
		return transAnscombe2nd, nil
	case "pearsonNegBin":
		return transPearsonNegBin, nil
	case "none":
		return transNone, nil
	}
	return 0, fmt.Errorf("cusum transformation %q is not supported (want standard, rossi, anscombe, anscombe2nd, pearsonNegBin or none)", s)
}

func (p CUSUMParams) check() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case p.Baseline < 0:
		return fmt.Errorf("baseline %d: must be at least 1", p.Baseline)
	case !finite(p.K) || !finite(p.H):
		return fmt.Errorf("cusum k %g and h %g must be finite", p.K, p.H)
	case !finite(p.Alpha) || p.Alpha < 0:
		return fmt.Errorf("cusum alpha %g: must be 0 or more", p.Alpha)
	case p.M != nil && (!finite(*p.M) || *p.M < 0):
		return fmt.Errorf("cusum m %g: must be 0 or more", *p.M)
	}
	_, err := parseTrans(p.Trans)
	return err
}

// CUSUM is R's algo.cusum with control$range = Baseline+1 .. len(x). With
// the transformed count s(t) it computes
//
//	C(t) = max(0, C(t−1) + (s(t) − k)), C(Baseline) = 0
//
// and alarms when C(t) >= h; it never resets after an alarm. The upper
// bound is the count that would have made C(t) reach h (for "standard",
// ceiling(sqrt(m)·(h + k − C(t−1)) + m)); R sets it to 0 where it is NA or
// negative, so UB is never NaN here. The alarm is NA once C is NaN, which
// happens with m = 0 (a baseline of zeros) and a zero count: 0/0 in the
// transformation. NaN then stays, as in R. It panics on parameters that
// CUSUMParams.check rejects.
func CUSUM(x []float64, p CUSUMParams) []Point {
	return cusum(make([]Point, len(x)), x, p)
}

// AppendCUSUM appends CUSUM(x, p) to dst, as AppendC1 does.
func AppendCUSUM(dst []Point, x []float64, p CUSUMParams) []Point {
	dst, pts := extend(dst, len(x))
	cusum(pts, x, p)
	return dst
}

func cusum(pts []Point, x []float64, p CUSUMParams) []Point {
	if err := p.check(); err != nil {
		panic(fmt.Sprintf("detect: %v", err))
	}
	trans, _ := parseTrans(p.Trans)
	b, k, h, alpha := p.Baseline, p.K, p.H, p.Alpha
	if b == 0 {
		b = DefaultCUSUMBaseline
	}
	if k == 0 {
		k = DefaultCUSUMK
	}
	if h == 0 {
		h = DefaultCUSUMH
	}
	if alpha == 0 {
		alpha = DefaultCUSUMAlpha
	}
	if b >= len(x) {
		unmonitored(pts)
		return pts
	}
	unmonitored(pts[:b])
	var m float64
	if p.M != nil {
		m = *p.M
	} else {
		m = rMean(x[:b], exactSums(x[:b], b))
	}
	model := newCUSUMModel(trans, m, k, h, alpha)

	// Days are done a block at a time: the transformation and the bounds in
	// loops of their own, so that only the recursion is serial.
	var s, prev, ub [block]float64
	c := 0.0 // C(t−1), then C(t)
	for t0 := b; t0 < len(x); t0 += block {
		n := min(block, len(x)-t0)
		model.standardize(x[t0:t0+n], s[:n])
		for i := range n {
			prev[i] = c
			// R: max(0, C(t−1) + (s(t) − k)), which is NaN for NaN. The
			// branch keeps the serial chain short; the built-in max is
			// slower here.
			c += s[i] - k
			if c <= 0 {
				c = 0
			}
			s[i] = c
		}
		model.bounds(prev[:n], s[:n], ub[:n])
		for i, cur := range s[:n] {
			alarm := NoAlarm
			switch {
			case cur >= h:
				alarm = Alarmed
			case math.IsNaN(cur): // R: NaN >= h is NA
				alarm = AlarmNA
			}
			pts[t0+i] = Point{UB: ub[i], Monitored: true, Alarm: alarm}
		}
	}
	return pts
}

// cusumModel holds algo.cusum's parameters and the parts of its formulas
// that depend on m only, computed once (R computes the same values
// elementwise). R's x^y is pow (x^2 is x*x); Go's Pow(x, 0.5) is Sqrt, which
// agrees with pow's correctly rounded result.
type cusumModel struct {
	trans      transform
	m, k, h    float64
	hk         float64 // R: h + k - Ctm1 is (h + k) - Ctm1
	sqrtM      float64
	m23, m16   float64 // m^(2/3), m^(1/6)
	m15        float64 // m^(3/2)
	nbSD       float64 // sqrt(m + alpha·m²)
	centre2nd  float64 // anscombe2nd's m^(2/3) − m^(−1/3)/9
	bound2nd   float64 // and the m^(2/3) − m^(1/3)/9 of its bound
	twoThirdsM float64 // 2/3·m^(1/6)
}

func newCUSUMModel(trans transform, m, k, h, alpha float64) cusumModel {
	m16 := math.Pow(m, 1.0/6)
	m23 := math.Pow(m, 2.0/3)
	return cusumModel{
		trans: trans, m: m, k: k, h: h,
		hk:    h + k,
		sqrtM: math.Sqrt(m),
		m23:   m23, m16: m16,
		m15:  math.Pow(m, 1.5),
		nbSD: math.Sqrt(m + float64(alpha*(m*m))),
		// anscombe2nd: the transformation centres on m^(2/3) − m^(−1/3)/9
		// but R's upper bound uses m^(2/3) − m^(1/3)/9. We follow the code.
		centre2nd:  m23 - math.Pow(m, -1.0/3)/9,
		bound2nd:   m23 - math.Pow(m, 1.0/3)/9,
		twoThirdsM: 2.0 / 3 * m16,
	}
}

// standardize writes R's standObs for the counts x into s.
func (c *cusumModel) standardize(x, s []float64) {
	s = s[:len(x)]
	m := c.m
	switch c.trans {
	case transStandard:
		for i, v := range x {
			s[i] = (v - m) / c.sqrtM
		}
	case transRossi:
		for i, v := range x {
			s[i] = (v - float64(3*m) + float64(2*math.Sqrt(v*m))) / (2 * c.sqrtM)
		}
	case transAnscombe:
		for i, v := range x {
			s[i] = 1.5 * (math.Pow(v, 2.0/3) - c.m23) / c.m16
		}
	case transAnscombe2nd:
		for i, v := range x {
			s[i] = (math.Pow(v, 2.0/3) - c.centre2nd) / c.twoThirdsM
		}
	case transPearsonNegBin:
		for i, v := range x {
			s[i] = (v - m) / c.nbSD
		}
	case transNone:
		copy(s, x)
	}
}

// bounds writes R's upperbound into ub from C(t−1) (prev) and C(t) (cur),
// with R's final clean-up: NA and negative bounds become 0. The explicit
// float64 conversions keep Go from fusing a multiplication into the
// following addition, which R does not do.
func (c *cusumModel) bounds(prev, cur, ub []float64) {
	ub = ub[:len(prev)]
	m, k, h, hk := c.m, c.k, c.h, c.hk
	switch c.trans {
	case transStandard:
		for i, p := range prev {
			ub[i] = math.Ceil(float64(c.sqrtM*(hk-p)) + m)
		}
	case transRossi:
		sm, m15 := c.sqrtM, c.m15
		for i, p := range prev {
			inner := float64(4*(m*m)) + float64(2*m15*h) + float64(2*m15*k) - float64(2*m15*p)
			ub[i] = float64(2*h*sm) + float64(2*k*sm) - float64(2*p*sm) + float64(5*m) - float64(2*math.Sqrt(inner))
		}
	case transAnscombe:
		for i, p := range prev {
			ub[i] = anscombeBound(float64(c.twoThirdsM*(hk-p)) + c.m23)
		}
	case transAnscombe2nd:
		for i, p := range prev {
			ub[i] = anscombeBound(float64(c.twoThirdsM*(hk-p)) + c.bound2nd)
		}
	case transPearsonNegBin:
		for i, p := range prev {
			ub[i] = float64(c.nbSD*(hk-p)) + m
		}
	case transNone:
		// R: h - cusum[-1], today's sum rather than yesterday's.
		for i, v := range cur {
			ub[i] = h - v
		}
	}
	// R: upperbound[is.na(upperbound)] <- 0; upperbound[upperbound < 0] <- 0
	for i, v := range ub {
		if !(v >= 0) {
			ub[i] = 0
		}
	}
}

// anscombeBound is R's ifelse(a < 0, 0, a^(3/2)); NaN stays NaN (R's NA).
func anscombeBound(a float64) float64 {
	if a < 0 {
		return 0
	}
	return math.Pow(a, 1.5)
}
