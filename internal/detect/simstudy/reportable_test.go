package simstudy

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"epiguard/internal/detect"
)

func TestFirstReportableDay(t *testing.T) {
	tests := []struct {
		name  string
		extra []float64
		want  int
	}{
		{"3 on one day", []float64{3}, 0},
		{"3 on a later day", []float64{1, 0, 3}, 2},
		{"2 then 2", []float64{2, 2}, -1},
		{"2, 2, 1 in 3 days", []float64{2, 2, 1}, 2},
		{"1, 2, 2 in 3 days", []float64{1, 2, 2}, 2},
		// 4 cases over 4 days: no day reaches 3, no 3-day window 5.
		{"1 a day for 4 days", []float64{1, 1, 1, 1}, -1},
		// 6 cases over 4 days, but the best 3-day window holds 4.
		{"2, 1, 1, 2", []float64{2, 1, 1, 2}, -1},
		// 5 cases in 4 days: the window is 3 days, not 4.
		{"2, 1, 0, 2", []float64{2, 1, 0, 2}, -1},
		{"5 in a window after a gap", []float64{2, 0, 0, 2, 2, 1}, 5},
		{"none", nil, -1},
	}
	for _, tc := range tests {
		if got := FirstReportableDay(tc.extra); got != tc.want {
			t.Errorf("%s: FirstReportableDay(%v) = %d, want %d", tc.name, tc.extra, got, tc.want)
		}
		if got := Reportable(tc.extra); got != (tc.want >= 0) {
			t.Errorf("%s: Reportable(%v) = %t", tc.name, tc.extra, got)
		}
	}
}

func TestReportableScoresTinyExample(t *testing.T) {
	const (
		N = detect.NoAlarm
		A = detect.Alarmed
	)
	s := Series{
		//               0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
		Extra: []float64{0, 0, 1, 2, 2, 0, 0, 2, 2, 0, 1, 3, 1, 0, 4, 0},
		Outbreaks: []Outbreak{
			{Start: 2, End: 4},   // 1, 2, 2: reportable on day 4 (5 in 3 days)
			{Start: 7, End: 8},   // 2, 2: never reportable
			{Start: 10, End: 12}, // 1, 3, 1: reportable on day 11 (3 in a day)
			{Start: 14, End: 14}, // 4: reportable on its only day
		},
	}
	s.Counts = s.Extra
	//                       0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
	alarms := []detect.Alarm{N, N, N, A, N, N, N, A, N, N, N, N, A, N, N, N}
	sc, err := Score(s, points(0, alarms), 0)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ReportableScores(s, sc)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReportableScore{
		{OutbreakScore: OutbreakScore{Outbreak: s.Outbreaks[0], Detected: true, Delay: 1}, ReportableAfter: 2},
		{OutbreakScore: OutbreakScore{Outbreak: s.Outbreaks[2], Detected: true, Delay: 2}, ReportableAfter: 1},
		{OutbreakScore: OutbreakScore{Outbreak: s.Outbreaks[3]}, ReportableAfter: 0},
	}
	if !reflect.DeepEqual(rs, want) {
		t.Fatalf("reportable scores %+v, want %+v", rs, want)
	}
	// The first outbreak was alarmed a day before it became reportable.
	if got := rs[0].ReportDelay(); got != -1 {
		t.Errorf("delay from reportable of the first outbreak = %d, want -1", got)
	}

	var tally ReportableTally
	for _, r := range rs {
		tally.Add(r)
	}
	if tally.Outbreaks != 3 || tally.Detected != 2 {
		t.Errorf("reportable outbreaks %d, detected %d; want 3, 2", tally.Outbreaks, tally.Detected)
	}
	if got := tally.Sensitivity(); math.Abs(got-100*2.0/3) > 1e-9 {
		t.Errorf("sensitivity %g", got)
	}
	if got := tally.MedianDelay(); got != 1.5 {
		t.Errorf("median delay from start %g, want 1.5", got)
	}
	if got := tally.MedianReportDelay(); got != 0 {
		t.Errorf("median delay from reportable %g, want 0 (of -1 and 1)", got)
	}
	if !math.IsNaN(tally.FalseAlarmRate()) {
		t.Error("a reportable tally has no open days of its own")
	}
	var empty ReportableTally
	if !math.IsNaN(empty.MedianReportDelay()) {
		t.Error("an empty tally should have no median delay from reportable")
	}
}

func TestReportableScoresErrors(t *testing.T) {
	s := Series{Extra: make([]float64, 5), Counts: make([]float64, 5), Outbreaks: []Outbreak{{Start: 1, End: 2}}}
	if _, err := ReportableScores(s, Scores{}); err == nil {
		t.Error("ReportableScores with a missing outbreak score gave no error")
	}
	other := Scores{Outbreaks: []OutbreakScore{{Outbreak: Outbreak{Start: 2, End: 3}}}}
	if _, err := ReportableScores(s, other); err == nil {
		t.Error("ReportableScores with another outbreak's score gave no error")
	}
	s.Outbreaks = []Outbreak{{Start: 3, End: 5}}
	past := Scores{Outbreaks: []OutbreakScore{{Outbreak: s.Outbreaks[0]}}}
	if _, err := ReportableScores(s, past); err == nil {
		t.Error("ReportableScores with an outbreak past the end gave no error")
	}
}

// The reportable table is a subset of the same runs: every method sees the
// same reportable outbreaks, no more than all outbreaks, and detects no more
// of them than of all.
func TestStudyReportable(t *testing.T) {
	st := Study{
		Design:     DefaultDesign(),
		Scenarios:  []Scenario{{Kind: School, Mean: 0.5, Dispersion: 1}, {Kind: Community, Mean: 20, Dispersion: 1.5}},
		Replicates: 4,
		Seed:       7,
	}
	res, err := st.Run(Methods())
	if err != nil {
		t.Fatal(err)
	}
	n := res.Reportable[0].Outbreaks
	if n == 0 || n > res.Overall[0].Outbreaks {
		t.Fatalf("%d reportable of %d outbreaks", n, res.Overall[0].Outbreaks)
	}
	for j, name := range res.Methods {
		r := res.Reportable[j]
		if r.Outbreaks != n {
			t.Errorf("%s: %d reportable outbreaks, others %d", name, r.Outbreaks, n)
		}
		if r.Detected > res.Overall[j].Detected || len(r.ReportDelays) != r.Detected {
			t.Errorf("%s: %d reportable detected, %d delays from reportable, %d detected in all",
				name, r.Detected, len(r.ReportDelays), res.Overall[j].Detected)
		}
		sum := 0
		for _, m := range res.ReportableByMean {
			sum += m.Tallies[j].Outbreaks
		}
		if sum != n {
			t.Errorf("%s: reportable outbreaks by mean add up to %d, not %d", name, sum, n)
		}
	}
	var b strings.Builder
	if err := res.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Reportable outbreaks only", "delay from reportable", "default by baseline mean"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
