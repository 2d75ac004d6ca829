package detect

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"testing"
)

// fixtureCase is one run of R in testdata/surveillance.csv (see gen.R): a
// series, a detector with its parameters, and R's output for every day.
type fixtureCase struct {
	name   string // series/method/params, for messages
	method string
	params Params
	cusum  CUSUMParams
	count  []float64
	ub     []string // "" outside the range, "NaN" for R's NA/NaN
	alarm  []string // "" outside the range, "0", "1" or "NA"
}

func readFixtures(t *testing.T) []*fixtureCase {
	t.Helper()
	f, err := os.Open("testdata/surveillance.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var cases []*fixtureCase
	var cur *fixtureCase
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		get := func(name string) string { return rec[col[name]] }
		key := fmt.Sprintf("%s/%s b=%s alpha=%s minSigma=%s k=%s h=%s m=%s trans=%s",
			get("series"), get("method"), get("baseline"), get("alpha"), get("min_sigma"),
			get("k"), get("h"), get("m"), get("trans"))
		if get("t") == "1" {
			cur = &fixtureCase{name: key, method: get("method")}
			num := func(name string) float64 {
				s := get(name)
				if s == "" {
					return 0
				}
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatalf("line %d: %s: %v", line, name, err)
				}
				return v
			}
			b := int(num("baseline"))
			cur.params = Params{Baseline: b, Alpha: num("alpha"), MinSigma: num("min_sigma")}
			cur.cusum = CUSUMParams{Baseline: b, K: num("k"), H: num("h"), Trans: get("trans"), Alpha: num("alpha")}
			if get("m") != "" {
				m := num("m")
				cur.cusum.M = &m
			}
			cases = append(cases, cur)
		} else if cur == nil || cur.name != key || strconv.Itoa(len(cur.count)+1) != get("t") {
			t.Fatalf("line %d: out of sequence", line)
		}
		c, err := strconv.ParseFloat(get("count"), 64)
		if err != nil {
			t.Fatalf("line %d: count: %v", line, err)
		}
		cur.count = append(cur.count, c)
		cur.ub = append(cur.ub, get("ub"))
		cur.alarm = append(cur.alarm, get("alarm"))
	}
	if len(cases) == 0 {
		t.Fatal("no fixtures")
	}
	return cases
}

func (c *fixtureCase) run() []Point {
	switch c.method {
	case "c1":
		return C1(c.count, c.params)
	case "c2":
		return C2(c.count, c.params)
	case "c3":
		return C3(c.count, c.params)
	case "cusum":
		return CUSUM(c.count, c.cusum)
	}
	panic("unknown method " + c.method)
}

// TestDetectMatchesR compares every detector with R's surveillance package:
// the same monitored range, upper bounds within 1e-9 (relative above 1),
// NaN exactly where R has NA or NaN, and the same alarms.
func TestDetectMatchesR(t *testing.T) {
	methods := map[string]int{}
	for _, c := range readFixtures(t) {
		methods[c.method]++
		got := c.run()
		if len(got) != len(c.count) {
			t.Fatalf("%s: %d points for %d days", c.name, len(got), len(c.count))
		}
		bad := 0
		for i, p := range got {
			if msg := comparePoint(p, c.ub[i], c.alarm[i]); msg != "" {
				t.Errorf("%s: day %d (count %g): %s", c.name, i+1, c.count[i], msg)
				if bad++; bad == 5 {
					break
				}
			}
		}
	}
	for _, m := range []string{"c1", "c2", "c3", "cusum"} {
		if methods[m] == 0 {
			t.Errorf("no fixtures for %s", m)
		}
	}
}

// comparePoint returns what is wrong with p against R's ub and alarm cells.
func comparePoint(p Point, ub, alarm string) string {
	if ub == "" {
		if p.Monitored || !math.IsNaN(p.UB) || p.Alarm != AlarmNA {
			return fmt.Sprintf("R does not monitor this day; got %+v", p)
		}
		return ""
	}
	if !p.Monitored {
		return "R monitors this day; got unmonitored"
	}
	want, err := strconv.ParseFloat(ub, 64)
	if err != nil {
		return fmt.Sprintf("bad fixture ub %q", ub)
	}
	switch {
	case math.IsNaN(want) != math.IsNaN(p.UB):
		return fmt.Sprintf("ub %v, R %v", p.UB, want)
	case !math.IsNaN(want) && math.Abs(p.UB-want) > 1e-9*max(1, math.Abs(want)):
		return fmt.Sprintf("ub %.17g, R %.17g (diff %g)", p.UB, want, p.UB-want)
	}
	wantAlarm := map[string]Alarm{"0": NoAlarm, "1": Alarmed, "NA": AlarmNA}[alarm]
	if p.Alarm != wantAlarm {
		return fmt.Sprintf("alarm %d, R %s", p.Alarm, alarm)
	}
	return ""
}

// TestQnorm checks the AS 241 port against values printed by R
// (sprintf("%.17g", qnorm(1 - alpha))).
func TestQnorm(t *testing.T) {
	for _, c := range []struct{ p, want float64 }{
		{1 - 0.001, 3.0902323061678132},
		{1 - 0.025, 1.9599639845400536},
		{1 - 0.05, 1.6448536269514715},
		{0.5, 0},
		{0.3, -0.52440051270804067},
		{1e-12, -7.0344838253011321},
		{1e-300, -37.047096299361201},
	} {
		if got := qnorm(c.p); math.Abs(got-c.want) > 1e-15*max(1, math.Abs(c.want)) {
			t.Errorf("qnorm(%g) = %.17g, R %.17g", c.p, got, c.want)
		}
	}
}
