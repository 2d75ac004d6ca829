package detect

import (
	"fmt"
	"math"
	"slices"
)

// R's earsC defaults.
const (
	DefaultBaseline = 7
	DefaultAlphaC12 = 0.001 // C1 and C2
	DefaultAlphaC3  = 0.025 // C3: earsC switches to it when alpha is not given
)

// C1 is earsC(method = "C1"): the reference window is the Baseline days
// before t, ub = mean + z·max(sd, MinSigma), z = qnorm(1 − Alpha). Days
// Baseline+1.. (1-based) are monitored. It panics if CheckParams("c1", p)
// fails.
func C1(x []float64, p Params) []Point {
	return earsShewhart(make([]Point, len(x)), x, p, 0, DefaultAlphaC12)
}

// C2 is earsC(method = "C2"): C1 with the window moved two days back
// (t−Baseline−2 .. t−3). Days Baseline+3.. are monitored.
func C2(x []float64, p Params) []Point {
	return earsShewhart(make([]Point, len(x)), x, p, 2, DefaultAlphaC12)
}

// AppendC1 appends C1(x, p) to dst and returns the extended slice. Callers
// that run many series reuse one buffer this way (dst[:0]) instead of
// allocating a result per series.
func AppendC1(dst []Point, x []float64, p Params) []Point {
	dst, pts := extend(dst, len(x))
	earsShewhart(pts, x, p, 0, DefaultAlphaC12)
	return dst
}

// AppendC2 appends C2(x, p) to dst, as AppendC1 does.
func AppendC2(dst []Point, x []float64, p Params) []Point {
	dst, pts := extend(dst, len(x))
	earsShewhart(pts, x, p, 2, DefaultAlphaC12)
	return dst
}

// AppendC3 appends C3(x, p) to dst, as AppendC1 does.
func AppendC3(dst []Point, x []float64, p Params) []Point {
	dst, pts := extend(dst, len(x))
	c3(pts, x, p)
	return dst
}

// extend grows dst by n points and returns it with the new part. Every
// detector writes all of its points, so the new part needs no clearing.
func extend(dst []Point, n int) (all, added []Point) {
	dst = slices.Grow(dst, n)
	all = dst[:len(dst)+n]
	return all, all[len(dst):]
}

// earsShewhart fills pts with C1 (lag 0) or C2 (lag 2): for each monitored
// day t the reference window is x[t−b−lag : t−lag].
func earsShewhart(pts []Point, x []float64, p Params, lag int, defaultAlpha float64) []Point {
	b, z := earsSetup(p, defaultAlpha)
	first := b + lag // 0-based first monitored day
	if first >= len(x) {
		// R stops here ("wrong sign in 'by' argument"); nothing is monitored.
		unmonitored(pts)
		return pts
	}
	unmonitored(pts[:first])
	w := newWindow(x, b)
	var mean, sd [block]float64
	for t0 := first; t0 < len(x); t0 += block {
		k := min(block, len(x)-t0)
		w.next(mean[:k], sd[:k])
		for i, v := range x[t0 : t0+k] {
			// R: mean + zAlpha * pmax(sd, minSigma). The built-in max
			// propagates NaN as pmax does; the conversion rounds the
			// product on its own as R does (Go may otherwise fuse it into
			// the addition).
			ub := mean[i] + float64(z*max(sd[i], p.MinSigma))
			// R: observed > upperbound, strictly; the documentation's
			// "C(t) >= z" is not what the code does.
			pts[t0+i] = Point{UB: ub, Monitored: true, Alarm: alarmAbove(v, ub)}
		}
	}
	return pts
}

// C3 is earsC(method = "C3"). Days Baseline+5.. are monitored. With C2(u) =
// (x[u] − mean(u)) / max(sd(u), MinSigma) over C2's window, R computes
//
//	ub(t) = max(0, x[t] + max(sd(t), MinSigma)·(z − (max(0, C2(t−2)−1) + max(0, C2(t−1)−1))))
//
// and alarms when x[t] > ub(t). The documentation gives mean + sd·(…) for
// the bound; the code adds today's count instead, so today's C2 never
// enters: the alarm is raised exactly when the two lagged terms exceed z,
// today's count is above 0 and the standard deviation is not 0 (up to
// rounding). We follow the code. MinSigma applies here too, although the
// documentation mentions it for C1 and C2 only.
//
// earsC fails when exactly one day is monitored (apply over a one-row
// matrix); C3 then gives that day the value R gives it in any longer series.
func C3(x []float64, p Params) []Point {
	return c3(make([]Point, len(x)), x, p)
}

func c3(pts []Point, x []float64, p Params) []Point {
	b, z := earsSetup(p, DefaultAlphaC3)
	first := b + 4 // 0-based first monitored day
	if first >= len(x) {
		unmonitored(pts)
		return pts
	}
	unmonitored(pts[:first])
	w := newWindow(x, b)
	var mean, sd [block]float64
	// C2 statistics of the two previous days.
	var c2lag2, c2lag1 float64
	for u0 := b + 2; u0 < len(x); u0 += block {
		k := min(block, len(x)-u0)
		w.next(mean[:k], sd[:k])
		for i, v := range x[u0 : u0+k] {
			s := max(sd[i], p.MinSigma)
			c2 := (v - mean[i]) / s
			if u := u0 + i; u >= first {
				// Same operation order as R, so rounding matches too.
				part := max(0, c2lag2-1) + max(0, c2lag1-1)
				ub := max(0, v+float64(s*(z-part)))
				pts[u] = Point{UB: ub, Monitored: true, Alarm: alarmAbove(v, ub)}
			}
			c2lag2, c2lag1 = c2lag1, c2
		}
	}
	return pts
}

// earsSetup applies R's defaults and returns the baseline and z.
func earsSetup(p Params, defaultAlpha float64) (int, float64) {
	if err := checkEARS(p); err != nil {
		panic(fmt.Sprintf("detect: %v", err))
	}
	b := p.Baseline
	if b == 0 {
		b = DefaultBaseline
	}
	alpha := p.Alpha
	if alpha == 0 {
		alpha = defaultAlpha
	}
	// R: qnorm(1 - alpha), with 1 − alpha rounded first as R does.
	return b, qnorm(1 - alpha)
}

// block is how many days of window statistics are computed at a time, into
// arrays on the stack: the detector loops stay tight without allocating.
const block = 64

// window walks a window of b consecutive days along x, starting at x[0:b],
// and gives its mean and standard deviation as R's mean() and sd() would.
// For integer counts it keeps running sums of x and x², which are exact, so
// each step is O(1) and the results are the correctly rounded mean and
// variance, which is also what R's two-pass long-double sums give. From the
// first value that is not a small integer on (see exactInt), it sums each
// window directly instead, in R's two passes.
type window struct {
	x       []float64
	b       int
	start   int // first day of the next window
	exact   bool
	sum, sq float64 // of x[start : start+b], while exact
	limit   float64 // exactInt's bound for this b
}

func newWindow(x []float64, b int) window {
	w := window{x: x, b: b, exact: true, limit: exactLimit / float64(b)}
	for _, v := range x[:b] {
		w.exact = w.exact && exactInt(v, w.limit)
		w.sum += v
		w.sq += v * v
	}
	return w
}

// next fills mean[i] and sd[i] with the statistics of the next len(mean)
// windows and moves on past them.
func (w *window) next(mean, sd []float64) {
	sd = sd[:len(mean)]
	x, b, limit := w.x, w.b, w.limit
	n := float64(b)
	den := n * (n - 1)
	sum, sq, exact := w.sum, w.sq, w.exact
	for i := range mean {
		j := w.start + i
		if exact {
			mean[i] = sum / n
			// n·Σx² − (Σx)² is an exact integer, so one division rounds
			// the variance correctly.
			sd[i] = math.Sqrt((n*sq - sum*sum) / den)
		} else {
			ref := x[j : j+b]
			mean[i], sd[i] = rMean(ref, false), rSD(ref)
		}
		if j+b < len(x) {
			in, out := x[j+b], x[j]
			exact = exact && exactInt(in, limit)
			sum += in - out
			sq += in*in - out*out
		}
	}
	w.sum, w.sq, w.exact = sum, sq, exact
	w.start += len(mean)
}

// qnorm is the standard normal quantile function by Wichura's algorithm
// AS 241 (Applied Statistics 37, 1988), the algorithm R's qnorm uses; it is
// accurate to about 1 part in 10^16.
func qnorm(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	}
	q := p - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * (((((((r*2509.0809287301226727+33430.575583588128105)*r+67265.770927008700853)*r+
			45921.953931549871457)*r+13731.693765509461125)*r+1971.5909503065514427)*r+
			133.14166789178437745)*r + 3.387132872796366608) /
			(((((((r*5226.495278852854561+28729.085735721942674)*r+39307.89580009271061)*r+
				21213.794301586595867)*r+5394.1960214247511077)*r+687.1870074920579083)*r+
				42.313330701600911252)*r + 1)
	}
	r := p
	if q > 0 {
		r = 1 - p
	}
	r = math.Sqrt(-math.Log(r))
	var val float64
	if r <= 5 {
		r -= 1.6
		val = (((((((r*7.7454501427834140764e-4+0.0227238449892691845833)*r+0.24178072517745061177)*r+
			1.27045825245236838258)*r+3.64784832476320460504)*r+5.7694972214606914055)*r+
			4.6303378461565452959)*r + 1.42343711074968357734) /
			(((((((r*1.05075007164441684324e-9+5.475938084995344946e-4)*r+0.0151986665636164571966)*r+
				0.14810397642748007459)*r+0.68976733498510000455)*r+1.6763848301838038494)*r+
				2.05319162663775882187)*r + 1)
	} else {
		r -= 5
		val = (((((((r*2.01033439929228813265e-7+2.71155556874348757815e-5)*r+0.0012426609473880784386)*r+
			0.026532189526576123093)*r+0.29656057182850489123)*r+1.7848265399172913358)*r+
			5.4637849111641143699)*r + 6.6579046435011037772) /
			(((((((r*2.04426310338993978564e-15+1.4215117583164458887e-7)*r+1.8463183175100546818e-5)*r+
				7.868691311456132591e-4)*r+0.0148753612908506148525)*r+0.13692988092273580531)*r+
				0.59983220655588793769)*r + 1)
	}
	if q < 0 {
		val = -val
	}
	return val
}
