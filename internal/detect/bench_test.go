package detect

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// BenchmarkAllSeries is SPEC §7.1's detector target: 10,000 units × 8
// syndromes = 80,000 series of 365 days, each run through C1, C2, C3 and
// CUSUM with default parameters, spread over GOMAXPROCS goroutines as a
// daily job would. One op is the whole batch (target: ≤ 1 s), with the
// plain API (new) and with the Append functions and a reused buffer
// (append). Mdays/s counts series-days, each through all four. The series
// come from a pool of 1,000 distinct synthetic ones (school calendars with
// closed weekends, Poisson means 0.5–30) so that the input stays a few
// megabytes rather than 230.
func BenchmarkAllSeries(b *testing.B) {
	const (
		series = 80_000
		days   = 365
		pool   = 1_000
	)
	r := rand.New(rand.NewPCG(7, 11))
	xs := make([][]float64, pool)
	for i := range xs {
		lambda := 0.5 + 29.5*r.Float64()
		school := i%2 == 0
		x := make([]float64, days)
		for d := range x {
			if school && d%7 >= 5 {
				continue
			}
			x[d] = float64(poissonTest(r, lambda))
		}
		xs[i] = x
	}
	workers := runtime.GOMAXPROCS(0)
	// batch runs one op: every series through the four detectors, split
	// over the workers. perSeries runs the four on one series.
	batch := func(b *testing.B, perSeries func(x []float64, buf []Point) []Point) {
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					var buf []Point
					for s := w; s < series; s += workers {
						buf = perSeries(xs[s%pool], buf[:0])
					}
				})
			}
			wg.Wait()
		}
		b.ReportMetric(float64(b.N)*series*days/b.Elapsed().Seconds()/1e6, "Mdays/s")
	}
	// new: the plain API, a fresh result slice per detector and series.
	b.Run("new", func(b *testing.B) {
		batch(b, func(x []float64, buf []Point) []Point {
			_ = C1(x, Params{})
			_ = C2(x, Params{})
			_ = C3(x, Params{})
			_ = CUSUM(x, CUSUMParams{})
			return buf
		})
	})
	// append: one reused buffer per worker, as a daily job would do.
	b.Run("append", func(b *testing.B) {
		batch(b, func(x []float64, buf []Point) []Point {
			buf = AppendC1(buf, x, Params{})
			buf = AppendC2(buf, x, Params{})
			buf = AppendC3(buf, x, Params{})
			return AppendCUSUM(buf, x, CUSUMParams{})
		})
	})
	// default: the policy the alerting runs, alone.
	b.Run("default", func(b *testing.B) {
		batch(b, func(x []float64, buf []Point) []Point {
			return AppendDefault(buf, x, Params{})
		})
	})
}
