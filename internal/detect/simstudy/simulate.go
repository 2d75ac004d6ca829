package simstudy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Scenario fixes the baseline of a simulated series.
type Scenario struct {
	Kind Kind
	// Mean is the expected count per open day without outbreaks, averaged
	// over the whole series (weekday, seasonal and term effects average out
	// to 1).
	Mean float64
	// Dispersion is the variance-to-mean ratio φ of the daily count:
	// 1 is Poisson, above 1 negative binomial with variance φ·mean.
	Dispersion float64
}

func (s Scenario) String() string {
	return fmt.Sprintf("%s mean=%g φ=%g", s.Kind, s.Mean, s.Dispersion)
}

// Outbreak is one injected outbreak. Start and End index the open days of the
// series (End inclusive): Start is the first open day with an outbreak case,
// End the last one.
type Outbreak struct {
	Start, End int
	// Duration is the nominal length in open days the epidemic curve was
	// spread over; the realised span End-Start+1 is at most Duration.
	Duration int
	// K is the size multiplier: the total is Poisson with mean K times the
	// baseline standard deviation at the start.
	K int
	// Size is the number of injected cases.
	Size int
}

// Series is one simulated unit × syndrome daily series over open days.
type Series struct {
	Scenario Scenario
	Days     []time.Time // the open days, in order
	// Expected is the baseline mean of each day, without outbreaks.
	Expected []float64
	// Extra is the number of outbreak cases added on each day.
	Extra []float64
	// Counts is what a detector sees: baseline draw plus Extra.
	Counts    []float64
	Outbreaks []Outbreak
}

// Design holds the choices of the study that are not part of a scenario.
type Design struct {
	// EvalStart is the first open day on which outbreaks may start and
	// detectors are scored; the days before it are an outbreak-free
	// baseline that every method sees.
	EvalStart int
	// MinGap and MaxGap bound the number of open days between the end of
	// one outbreak and the start of the next.
	MinGap, MaxGap int
	// MaxDuration is the longest nominal outbreak, in open days; durations
	// are uniform on 1..MaxDuration.
	MaxDuration int
	// MaxK is the largest size multiplier; K is uniform on 1..MaxK.
	MaxK int
}

// DefaultDesign is the design of the study, as the package comment
// describes it.
func DefaultDesign() Design {
	return Design{EvalStart: 40, MinGap: 10, MaxGap: 40, MaxDuration: 10, MaxK: 10}
}

// Seasonal and term effects of the baseline.
const (
	// seasonAmplitude is the amplitude on the log scale of the annual cycle,
	// which peaks in mid-January as respiratory syndromes do in China:
	// peak/trough ratio e^(2·0.25) ≈ 1.65.
	seasonAmplitude = 0.25
	seasonPeakDay   = 15 // day of the year
	// termLevelSD is the standard deviation on the log scale of the level of
	// the spring term relative to the autumn term: a class's level after the
	// winter break is not the level before it.
	termLevelSD = 0.15
	// maxOutbreakGap is the longest step in calendar days between two
	// consecutive open days of one outbreak: Friday to Wednesday over a
	// long weekend is fine, a holiday week or the winter break ends any
	// outbreak.
	maxOutbreakGap = 5
	// minOutbreakSize: a cluster takes at least two linked cases.
	minOutbreakSize = 2
	// logSD is the shape of the lognormal epidemic curve, as in Noufaily et
	// al. (2013): lognormal(0, 0.5).
	logSD = 0.5
	// curveQuantile is the z of the lognormal quantile that is stretched to
	// the nominal duration: 95 % of the curve falls inside it and the
	// rest is redrawn.
	curveQuantile = 1.6448536269514722
)

// Simulate draws one series for scenario sc with outbreaks placed as design
// d says. The same scenario, design and seed give the same series.
func Simulate(sc Scenario, d Design, seed uint64) (Series, error) {
	if sc.Mean <= 0 || sc.Dispersion < 1 {
		return Series{}, fmt.Errorf("simulate %v: mean must be > 0 and dispersion ≥ 1", sc)
	}
	days := openDays(sc.Kind)
	if d.EvalStart >= len(days) {
		return Series{}, fmt.Errorf("simulate %v: evaluation starts at day %d of %d", sc, d.EvalStart, len(days))
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed_e919a7d))
	s := Series{
		Scenario: sc,
		Days:     days,
		Expected: expected(r, sc, days),
		Extra:    make([]float64, len(days)),
		Counts:   make([]float64, len(days)),
	}
	for i, mu := range s.Expected {
		s.Counts[i] = float64(countDraw(r, mu, sc.Dispersion))
	}
	s.Outbreaks = inject(r, &s, d)
	return s, nil
}

// expected returns the baseline mean of every open day: the scenario mean
// times weekday, seasonal and term factors, rescaled so that their average is
// exactly sc.Mean.
func expected(r *rand.Rand, sc Scenario, days []time.Time) []float64 {
	spring := 1.0
	if sc.Kind == School {
		spring = math.Exp(termLevelSD * r.NormFloat64())
	}
	mu := make([]float64, len(days))
	sum := 0.0
	for i, day := range days {
		season := math.Exp(seasonAmplitude * math.Cos(2*math.Pi*float64(day.YearDay()-seasonPeakDay)/365.25))
		m := weekdayFactor(sc.Kind, day.Weekday()) * season
		if day.After(breakEnd) {
			m *= spring
		}
		mu[i] = m
		sum += m
	}
	scale := sc.Mean * float64(len(days)) / sum
	for i := range mu {
		mu[i] *= scale
	}
	return mu
}

// inject places outbreaks one after the other from d.EvalStart on, adds their
// cases to s.Extra and s.Counts, and returns them.
//
// Size and shape follow Noufaily et al. (2013, Stat Med 32:1206–1222): the
// total is Poisson with mean K times the baseline standard deviation
// sqrt(φ·μ) on the first day, and each case's day is drawn from a
// lognormal(0, 0.5) epidemic curve. Their curve is in weeks; here its 95th
// percentile is stretched to the nominal duration in open days.
func inject(r *rand.Rand, s *Series, d Design) []Outbreak {
	var obs []Outbreak
	pos := d.EvalStart + r.IntN(d.MinGap+1)
	for {
		dur := 1 + r.IntN(d.MaxDuration)
		k := 1 + r.IntN(d.MaxK)
		if pos >= len(s.Counts) {
			return obs
		}
		sd := math.Sqrt(s.Scenario.Dispersion * s.Expected[pos])
		size := 0
		for size < minOutbreakSize {
			size = poisson(r, float64(k)*sd)
		}
		offsets := curve(r, size, dur)
		span := offsets[len(offsets)-1] + 1
		if pos+span > len(s.Counts) {
			return obs
		}
		if gap := closure(s.Days, pos, span); gap >= 0 {
			// The outbreak would run across a holiday week or the winter
			// break; start again after it.
			pos = gap + 1 + r.IntN(d.MinGap+1)
			continue
		}
		for _, o := range offsets {
			s.Extra[pos+o]++
			s.Counts[pos+o]++
		}
		obs = append(obs, Outbreak{Start: pos, End: pos + span - 1, Duration: dur, K: k, Size: size})
		pos += span + d.MinGap + r.IntN(d.MaxGap-d.MinGap+1)
	}
}

// curve spreads size cases over dur days along a lognormal(0, logSD) curve
// whose 95th percentile is stretched to dur days, and returns the sorted day
// offsets shifted so that the first case falls on offset 0: an outbreak
// starts with its first case, not with the empty early tail of the curve.
func curve(r *rand.Rand, size, dur int) []int {
	q := math.Exp(logSD * curveQuantile)
	offsets := make([]int, size)
	for i := range offsets {
		for {
			t := math.Exp(logSD * r.NormFloat64())
			if t < q {
				offsets[i] = int(float64(dur) * t / q)
				break
			}
		}
	}
	first, last := offsets[0], offsets[0]
	for _, o := range offsets {
		first = min(first, o)
		last = max(last, o)
	}
	// Counting sort: offsets are small.
	hist := make([]int, last-first+1)
	for _, o := range offsets {
		hist[o-first]++
	}
	offsets = offsets[:0]
	for o, n := range hist {
		for range n {
			offsets = append(offsets, o)
		}
	}
	return offsets
}

// closure returns the index of the open day before the first step longer
// than maxOutbreakGap calendar days within days[pos:pos+span], or -1.
func closure(days []time.Time, pos, span int) int {
	for i := pos; i+1 < pos+span; i++ {
		if days[i+1].Sub(days[i]) > maxOutbreakGap*24*time.Hour {
			return i
		}
	}
	return -1
}
