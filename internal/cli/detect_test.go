package cli_test

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"epiguard/internal/detect"
)

// detectFixture returns one series of the detect package's R fixtures
// (default parameters) with R's ub and alarm cells for the method.
func detectFixture(t *testing.T, series, method string) (counts []string, ub, alarm []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "detect", "testdata", "surveillance.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		// series,method,baseline,alpha,min_sigma,k,h,m,trans,t,count,ub,alarm
		if r[0] != series || r[1] != method || strings.Join(r[2:9], "") != "" {
			continue
		}
		counts, ub, alarm = append(counts, r[10]), append(ub, r[11]), append(alarm, r[12])
	}
	if len(counts) == 0 {
		t.Fatalf("no fixture for %s %s", series, method)
	}
	return counts, ub, alarm
}

// seriesCSV writes counts as date,count rows from 2024-09-02 on.
func seriesCSV(header bool, counts []string) string {
	var b strings.Builder
	if header {
		b.WriteString("date,count\n")
	}
	day := time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC)
	for i, c := range counts {
		fmt.Fprintf(&b, "%s,%s\n", day.AddDate(0, 0, i).Format(time.DateOnly), c)
	}
	return b.String()
}

// parseDetections splits the CLI's output into rows after checking the header.
func parseDetections(t *testing.T, out string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "date,count,ub,alarm" {
		t.Fatalf("bad header in\n%s", out)
	}
	return recs[1:]
}

func TestDetectCLIMatchesR(t *testing.T) {
	for _, series := range []string{"spike", "const3", "zeros_then"} {
		for _, method := range []string{"c1", "c2", "c3", "cusum"} {
			counts, ub, alarm := detectFixture(t, series, method)
			r := run(t, seriesCSV(series == "spike", counts), "detect", "--method", method)
			if r.code != 0 {
				t.Fatalf("%s %s: %+v", series, method, r)
			}
			rows := parseDetections(t, r.stdout)
			if len(rows) != len(counts) {
				t.Fatalf("%s %s: %d rows for %d days", series, method, len(rows), len(counts))
			}
			for i, row := range rows {
				if row[1] != counts[i] {
					t.Fatalf("%s %s day %d: count %q, want %q", series, method, i+1, row[1], counts[i])
				}
				if row[3] != alarm[i] {
					t.Errorf("%s %s day %d: alarm %q, R %q", series, method, i+1, row[3], alarm[i])
				}
				if ub[i] == "" || ub[i] == "NaN" {
					if row[2] != ub[i] {
						t.Errorf("%s %s day %d: ub %q, R %q", series, method, i+1, row[2], ub[i])
					}
					continue
				}
				got, err1 := strconv.ParseFloat(row[2], 64)
				want, err2 := strconv.ParseFloat(ub[i], 64)
				if err1 != nil || err2 != nil || math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
					t.Errorf("%s %s day %d: ub %q, R %q", series, method, i+1, row[2], ub[i])
				}
			}
		}
	}
}

func TestDetectCLIDefault(t *testing.T) {
	counts, _, _ := detectFixture(t, "spike", "c2")
	x := make([]float64, len(counts))
	for i, c := range counts {
		x[i], _ = strconv.ParseFloat(c, 64)
	}
	want := detect.Default(x, detect.Params{})
	r := run(t, seriesCSV(true, counts), "detect", "--method", "default")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	rows := parseDetections(t, r.stdout)
	for i, p := range want {
		row := rows[i]
		switch {
		case !p.Monitored:
			if row[2] != "" || row[3] != "" {
				t.Errorf("day %d: %v outside the range", i+1, row)
			}
		case row[2] != strconv.FormatFloat(p.UB, 'f', -1, 64) || row[3] != strconv.Itoa(int(p.Alarm)):
			t.Errorf("day %d: %v, want ub %v alarm %d", i+1, row, p.UB, p.Alarm)
		}
	}
}

func TestDetectCLIOpenOnlyAndFiles(t *testing.T) {
	// Two school weeks and a bit: weekends closed, with zero counts.
	var all, open strings.Builder
	all.WriteString("date,count,open\n")
	open.WriteString("date,count\n")
	day := time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		d := day.AddDate(0, 0, i)
		isOpen := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		c := 0
		if isOpen {
			c = 1 + i%4
			if i == 25 {
				c = 12
			}
			fmt.Fprintf(&open, "%s,%d\n", d.Format(time.DateOnly), c)
		}
		fmt.Fprintf(&all, "%s,%d,%d\n", d.Format(time.DateOnly), c, map[bool]int{true: 1}[isOpen])
	}

	skipped := run(t, all.String(), "detect", "--method", "c1", "--open-only")
	direct := run(t, open.String(), "detect", "--method", "c1")
	if skipped.code != 0 || direct.code != 0 {
		t.Fatalf("%+v\n%+v", skipped, direct)
	}
	if skipped.stdout != direct.stdout {
		t.Fatalf("--open-only differs from the open days alone:\n%s\nvs\n%s", skipped.stdout, direct.stdout)
	}
	rows := parseDetections(t, skipped.stdout)
	if len(rows) != 22 {
		t.Fatalf("want the 22 open days:\n%s", skipped.stdout)
	}
	for _, row := range rows {
		if (row[0] == "2024-09-27") != (row[3] == "1") {
			t.Fatalf("want one alarm, on 2024-09-27 (12 cases):\n%s", skipped.stdout)
		}
	}
	// Without --open-only every row counts, closed days included.
	if r := run(t, all.String(), "detect", "--method", "c1"); r.code != 0 || len(parseDetections(t, r.stdout)) != 30 {
		t.Fatalf("all rows: %+v", r)
	}

	// -i and -o: the same bytes as stdin and stdout; no header is needed.
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
	if err := os.WriteFile(in, []byte("\ufeff"+strings.TrimPrefix(open.String(), "date,count\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "detect", "--method", "c1", "-i", in, "-o", out)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("files: %+v", r)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != direct.stdout {
		t.Fatalf("-o file differs from stdout:\n%s\nvs\n%s", got, direct.stdout)
	}
	// Bad input leaves an existing output file alone.
	if r := run(t, "", "detect", "--method", "c1", "-i", filepath.Join(dir, "missing.csv"), "-o", out); r.code != 2 {
		t.Fatalf("missing input: %+v", r)
	}
	if again, _ := os.ReadFile(out); string(again) != direct.stdout {
		t.Fatal("output file changed after bad input")
	}
}

func TestDetectCLIBadInput(t *testing.T) {
	good := "date,count\n2024-09-02,1\n2024-09-03,2\n"
	for _, c := range []struct {
		name, stdin string
		args        []string
		stderr      string // a part of the message
	}{
		{"no method", good, []string{"--baseline", "7"}, "--method"},
		{"unknown method", good, []string{"--method", "c4"}, "c4"},
		{"argument", good, []string{"--method", "c1", "in.csv"}, "-i FILE"},
		{"baseline too small", good, []string{"--method", "c1", "--baseline", "2"}, "baseline"},
		{"baseline not a number", good, []string{"--method", "c1", "--baseline", "seven"}, "baseline"},
		{"alpha out of range", good, []string{"--method", "c3", "--alpha", "1.5"}, "alpha"},
		{"negative min sigma", good, []string{"--method", "default", "--min-sigma", "-1"}, "sigma"},
		{"alpha for cusum", good, []string{"--method", "cusum", "--alpha", "0.05"}, "cusum"},
		{"bad date", "date,count\n2024-09-02,1\n2024-09-31,2\n", nil, "line 3: date"},
		{"date format", "2024/09/02,1\n", nil, "line 1: date"},
		{"same date", "2024-09-02,1\n2024-09-03,1\n2024-09-03,2\n", nil, "line 3: date 2024-09-03 is not after"},
		{"earlier date", "date,count\n2024-09-03,1\n2024-09-02,2\n", nil, "line 3"},
		{"negative count", "date,count\n2024-09-02,-1\n", nil, "line 2: count \"-1\" is negative"},
		{"text count", "date,count\n2024-09-02,1\n2024-09-03,many\n", nil, "line 3: count \"many\" is not a number"},
		{"NaN count", "2024-09-02,NaN\n", nil, "line 1: count"},
		{"open not 0/1", "date,count,open\n2024-09-02,1,1\n2024-09-03,1,yes\n", nil, "line 3: open \"yes\""},
		{"missing field", "date,count,open\n2024-09-02,1,1\n2024-09-03,1\n", nil, "line 3"},
		{"one column", "2024-09-02\n", nil, "line 1"},
		{"bad header", "day,count\n2024-09-02,1\n", nil, "line 1"},
		{"bad quoting", "date,count\n2024-09-02,\"1\n", nil, "line"},
	} {
		args := c.args
		if args == nil {
			args = []string{"--method", "c1"}
		}
		r := run(t, c.stdin, append([]string{"detect"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.stderr) || r.stdout != "" {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 2 and %q", c.name, r.code, r.stderr, r.stdout, c.stderr)
		}
	}
	if r := run(t, "", "detect", "-h"); r.code != 0 || !strings.Contains(r.stderr, "--open-only") {
		t.Errorf("-h: %+v", r)
	}
	// Empty input is an empty series.
	if r := run(t, "", "detect", "--method", "c2"); r.code != 0 || r.stdout != "date,count,ub,alarm\n" {
		t.Errorf("empty input: %+v", r)
	}
}
