package simstudy

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"epiguard/internal/detect"
)

// Method is a detector under study: it maps a simulated series to one Point
// per day. Detectors look at s.Counts only; the oracle also at the truth.
type Method struct {
	Name string
	Run  func(s Series) []detect.Point
}

// Methods are the methods the study compares:
//
//   - c1, c2, c3 and cusum: R's earsC and algo.cusum with their defaults
//     (cusum's expected count is the mean of the first 7 days, detect.CUSUM's
//     default range);
//   - default: the default policy, detect.Default;
//   - warm-up: the policy's warm-up detector alone (the policy with Baseline
//     7 and Alpha 0.001), which judges a unit's first weeks;
//   - oracle: the Oracle, for reference.
func Methods() []Method {
	var ms []Method
	for _, name := range []string{"c1", "c2", "c3", "cusum"} {
		run, err := detect.Method(name)
		if err != nil {
			panic(err) // the names above are detect's own
		}
		ms = append(ms, Method{Name: name, Run: func(s Series) []detect.Point { return run(s.Counts, detect.Params{}) }})
	}
	return append(ms,
		Method{Name: "default", Run: func(s Series) []detect.Point { return detect.Default(s.Counts, detect.Params{}) }},
		Method{Name: "warm-up", Run: func(s Series) []detect.Point {
			return detect.Default(s.Counts, detect.Params{Baseline: detect.DefaultBaseline, Alpha: detect.DefaultAlphaC12})
		}},
		Method{Name: "oracle", Run: Oracle},
	)
}

// Study is a set of scenarios, each simulated Replicates times.
type Study struct {
	Design     Design
	Scenarios  []Scenario
	Replicates int
	Seed       uint64
}

// DefaultStudy is the study of SPEC §5.5: school and community series with
// baseline means from 0.5 to 30 a day, Poisson (φ = 1), moderately (φ = 1.5)
// and strongly (φ = 3) over-dispersed — 42 scenarios — each simulated 200
// times.
func DefaultStudy() Study {
	st := Study{Design: DefaultDesign(), Replicates: 200, Seed: 20250301}
	for _, k := range []Kind{School, Community} {
		for _, m := range []float64{0.5, 1, 2, 5, 10, 20, 30} {
			for _, phi := range []float64{1, 1.5, 3} {
				st.Scenarios = append(st.Scenarios, Scenario{Kind: k, Mean: m, Dispersion: phi})
			}
		}
	}
	return st
}

// Stratum is one row of a breakdown: a value of one characteristic of the
// series (Group "mean", "dispersion", "kind") or of the outbreaks ("k",
// "duration"). Outbreak strata have no non-outbreak days, so no false-alarm
// rate.
type Stratum struct {
	Group, Label string
	Tallies      []Tally // one per method, in the order of Result.Methods
}

// Result is the outcome of a study.
type Result struct {
	Methods   []string
	Series    int
	Overall   []Tally // one per method
	Strata    []Stratum
	Scenarios []Stratum // one per scenario, Group "scenario"
	// Grid[k-1][d-1][j] holds method j's outbreaks of size multiplier k and
	// nominal duration d.
	Grid [][][]Tally
	// Reportable scores the same runs on the reportable outbreaks only (see
	// ReportableScores), one per method; ReportableByMean breaks them down
	// by baseline mean (Group "mean"), in the order of the "mean" strata.
	Reportable       []ReportableTally
	ReportableByMean []ReportableStratum
}

// Run simulates every scenario Replicates times and scores every method on
// every series. The result depends only on the study, never on timing.
func (st Study) Run(methods []Method) (Result, error) {
	res := Result{
		Overall:    make([]Tally, len(methods)),
		Grid:       make([][][]Tally, st.Design.MaxK),
		Reportable: make([]ReportableTally, len(methods)),
	}
	for k := range res.Grid {
		res.Grid[k] = make([][]Tally, st.Design.MaxDuration)
		for d := range res.Grid[k] {
			res.Grid[k][d] = make([]Tally, len(methods))
		}
	}
	for _, m := range methods {
		res.Methods = append(res.Methods, m.Name)
	}
	strata := map[string]*Stratum{}
	var order []string
	stratum := func(group, label string) *Stratum {
		key := group + "\x00" + label
		s, ok := strata[key]
		if !ok {
			s = &Stratum{Group: group, Label: label, Tallies: make([]Tally, len(methods))}
			strata[key] = s
			order = append(order, key)
		}
		return s
	}
	// Fix the order of the strata rows, whatever the simulation draws.
	var means, dispersions []float64
	var kinds []Kind
	for _, sc := range st.Scenarios {
		means = append(means, sc.Mean)
		dispersions = append(dispersions, sc.Dispersion)
		kinds = append(kinds, sc.Kind)
	}
	reportableByMean := map[float64]int{}
	for _, m := range sortedSet(means) {
		stratum("mean", fmtFloat(m))
		reportableByMean[m] = len(res.ReportableByMean)
		res.ReportableByMean = append(res.ReportableByMean,
			ReportableStratum{Group: "mean", Label: fmtFloat(m), Tallies: make([]ReportableTally, len(methods))})
	}
	for _, phi := range sortedSet(dispersions) {
		stratum("dispersion", fmtFloat(phi))
	}
	for _, k := range sortedSet(kinds) {
		stratum("kind", k.String())
	}
	for k := 1; k <= st.Design.MaxK; k++ {
		stratum("k", strconv.Itoa(k))
	}
	for d := 1; d <= st.Design.MaxDuration; d++ {
		stratum("duration", strconv.Itoa(d))
	}

	for i, sc := range st.Scenarios {
		byScenario := Stratum{Group: "scenario", Label: sc.String(), Tallies: make([]Tally, len(methods))}
		for rep := range st.Replicates {
			// Each series has its own seed, so any one can be re-run alone.
			seed := st.Seed + uint64(i)<<32 + uint64(rep)
			s, err := Simulate(sc, st.Design, seed)
			if err != nil {
				return Result{}, fmt.Errorf("study: %w", err)
			}
			res.Series++
			for j, m := range methods {
				scores, err := Score(s, m.Run(s), st.Design.EvalStart)
				if err != nil {
					return Result{}, fmt.Errorf("study, method %s: %w", m.Name, err)
				}
				res.Overall[j].Add(scores)
				byScenario.Tallies[j].Add(scores)
				stratum("mean", fmtFloat(sc.Mean)).Tallies[j].Add(scores)
				stratum("dispersion", fmtFloat(sc.Dispersion)).Tallies[j].Add(scores)
				stratum("kind", sc.Kind.String()).Tallies[j].Add(scores)
				for _, o := range scores.Outbreaks {
					stratum("k", strconv.Itoa(o.Outbreak.K)).Tallies[j].AddOutbreak(o)
					stratum("duration", strconv.Itoa(o.Outbreak.Duration)).Tallies[j].AddOutbreak(o)
					res.Grid[o.Outbreak.K-1][o.Outbreak.Duration-1][j].AddOutbreak(o)
				}
				reportable, err := ReportableScores(s, scores)
				if err != nil {
					return Result{}, fmt.Errorf("study, method %s: %w", m.Name, err)
				}
				for _, r := range reportable {
					res.Reportable[j].Add(r)
					res.ReportableByMean[reportableByMean[sc.Mean]].Tallies[j].Add(r)
				}
			}
		}
		res.Scenarios = append(res.Scenarios, byScenario)
	}
	for _, key := range order {
		res.Strata = append(res.Strata, *strata[key])
	}
	return res, nil
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// sortedSet returns the distinct values of v in increasing order.
func sortedSet[T cmp.Ordered](v []T) []T {
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v)
}

// SPEC §5.5 targets for the default policy.
const (
	TargetSensitivity = 85.0 // % of outbreaks detected, at least
	TargetFalseAlarms = 2.5  // per 100 open non-outbreak days, at most
	TargetDelay       = 1.0  // median open days to detection, at most
)

// WriteTable writes the overall figures of every method, the same on the
// reportable outbreaks only, then the breakdowns, as plain text.
func (r Result) WriteTable(w io.Writer) error {
	var b strings.Builder
	tot := r.Overall[0]
	fmt.Fprintf(&b, "Simulation study (SPEC §5.5): %d series, %d outbreaks, %d open non-outbreak days scored\n",
		r.Series, tot.Outbreaks, tot.OpenDays)
	fmt.Fprintf(&b, "targets for default: sensitivity ≥ %g %%, false alarms ≤ %g per 100 days, median delay ≤ %g day\n\n",
		TargetSensitivity, TargetFalseAlarms, TargetDelay)
	fmt.Fprintf(&b, "%-9s %14s %22s %19s\n", "method", "sensitivity %", "false alarms/100 days", "median delay, days")
	for i, name := range r.Methods {
		t := r.Overall[i]
		fmt.Fprintf(&b, "%-9s %14s %22s %19s\n", name, fmtNum(t.Sensitivity(), 1), fmtNum(t.FalseAlarmRate(), 2), fmtNum(t.MedianDelay(), 1))
	}
	r.writeReportable(&b)

	fmt.Fprintf(&b, "\nBy stratum: sensitivity %% / false alarms per 100 days / median delay (\"-\": not defined)\n")
	header := func(title string) {
		fmt.Fprintf(&b, "\n%-24s %8s", title, "outbreaks")
		for _, name := range r.Methods {
			fmt.Fprintf(&b, " %17s", name)
		}
		b.WriteString("\n")
	}
	group := ""
	rows := append(append([]Stratum(nil), r.Strata...), r.Scenarios...)
	for _, s := range rows {
		if s.Group != group {
			group = s.Group
			header(group)
		}
		fmt.Fprintf(&b, "%-24s %8d", s.Label, s.Tallies[0].Outbreaks)
		for _, t := range s.Tallies {
			fmt.Fprintf(&b, " %5s %5s %5s", fmtNum(t.Sensitivity(), 1), fmtNum(t.FalseAlarmRate(), 2), fmtNum(t.MedianDelay(), 1))
		}
		b.WriteString("\n")
	}
	for j, name := range r.Methods {
		if name != "default" {
			continue
		}
		fmt.Fprintf(&b, "\ndefault: sensitivity %% by size multiplier k (rows) and nominal duration in open days (columns)\n%-6s", "k \\ d")
		for d := range r.Grid[0] {
			fmt.Fprintf(&b, " %5d", d+1)
		}
		b.WriteString("\n")
		for k, row := range r.Grid {
			fmt.Fprintf(&b, "%-6d", k+1)
			for _, cell := range row {
				fmt.Fprintf(&b, " %5s", fmtNum(cell[j].Sensitivity(), 1))
			}
			b.WriteString("\n")
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write study table: %w", err)
	}
	return nil
}

// writeReportable writes the scores on the reportable outbreaks next to the
// all-outbreaks table, then default's by baseline mean.
func (r Result) writeReportable(b *strings.Builder) {
	if len(r.Reportable) == 0 {
		return
	}
	all, rep := r.Overall[0].Outbreaks, r.Reportable[0].Outbreaks
	fmt.Fprintf(b, "\nReportable outbreaks only: %d of %d outbreaks (%s %%) whose injected cases alone meet the similar-symptoms rule\n",
		rep, all, fmtNum(percent(rep, all), 1))
	fmt.Fprintf(b, "of SPEC §5.2 (≥ %d on one open day, or ≥ %d within %d consecutive open days). Same runs and alarms as above;\n",
		ReportDayCases, ReportWindowCases, ReportWindowDays)
	b.WriteString("false alarms are the study-wide rate. Median delays, in open days: \"from start\" counts from the\n")
	b.WriteString("outbreak's first day, as above; \"from reportable\" from the first day its injected cases met the rule\n")
	b.WriteString("(negative: the method alarmed before that day).\n\n")
	fmt.Fprintf(b, "%-9s %10s %14s %22s %17s %22s\n",
		"method", "reportable", "sensitivity %", "false alarms/100 days", "delay from start", "delay from reportable")
	for i, name := range r.Methods {
		t := r.Reportable[i]
		fmt.Fprintf(b, "%-9s %10d %14s %22s %17s %22s\n", name, t.Outbreaks, fmtNum(t.Sensitivity(), 1),
			fmtNum(r.Overall[i].FalseAlarmRate(), 2), fmtNum(t.MedianDelay(), 1), fmtNum(t.MedianReportDelay(), 1))
	}

	j := slices.Index(r.Methods, "default")
	if j < 0 {
		return
	}
	// The all-outbreaks figures of default by mean, to set beside the
	// reportable ones.
	byMean := map[string]Tally{}
	for _, s := range r.Strata {
		if s.Group == "mean" {
			byMean[s.Label] = s.Tallies[j]
		}
	}
	b.WriteString("\ndefault by baseline mean (median delays in open days)\n\n")
	fmt.Fprintf(b, "%-6s | %-55s | %s\n", "", "all outbreaks", "reportable outbreaks")
	fmt.Fprintf(b, "%-6s | %9s %7s %22s %14s | %10s %7s %7s %17s %22s\n", "mean", "outbreaks", "sens %", "false alarms/100 days",
		"delay", "reportable", "share %", "sens %", "delay from start", "delay from reportable")
	for _, s := range r.ReportableByMean {
		a, t := byMean[s.Label], s.Tallies[j]
		fmt.Fprintf(b, "%-6s | %9d %7s %22s %14s | %10d %7s %7s %17s %22s\n", s.Label,
			a.Outbreaks, fmtNum(a.Sensitivity(), 1), fmtNum(a.FalseAlarmRate(), 2), fmtNum(a.MedianDelay(), 1),
			t.Outbreaks, fmtNum(percent(t.Outbreaks, a.Outbreaks), 1), fmtNum(t.Sensitivity(), 1),
			fmtNum(t.MedianDelay(), 1), fmtNum(t.MedianReportDelay(), 1))
	}
}

// percent is 100·n/of, NaN when of is 0.
func percent(n, of int) float64 {
	if of == 0 {
		return math.NaN()
	}
	return 100 * float64(n) / float64(of)
}

// fmtNum formats v with prec decimals, "-" for NaN.
func fmtNum(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}
