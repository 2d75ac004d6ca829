package cli

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/detect"
)

const detectUsage = `Usage: epiguard detect --method c1|c2|c3|cusum|default [--baseline B] [--alpha A]
                       [--min-sigma S] [--open-only] [-i FILE] [-o FILE]

Runs one detector (SPEC §5.5) over a daily series. c1, c2 and c3 are R's
surveillance::earsC, cusum is its algo.cusum (standard transformation,
k 1.04, h 2.26), default is the policy that raises real alerts.

Input (FILE, or stdin): CSV rows date,count[,open] with dates YYYY-MM-DD in
increasing order, counts 0 or more, open 1 or 0; an optional header line
date,count[,open]. Every row is a day of the series, unless --open-only:
then rows with open=0 are left out of the series and of the output.

Output (FILE, or stdout): CSV date,count,ub,alarm. ub and alarm are empty
before the method's monitored range starts; ub is NaN and alarm NA where
the method leaves them undefined (e.g. c3 over identical counts);
otherwise alarm is 1 or 0.

Parameters (0 or absent: the method's default):
  c1, c2, c3  --baseline days in the reference window (default 7, at least 3;
              monitoring starts on day B+1, B+3, B+5), --alpha the upper tail
              probability (default 0.001 for c1, c2 and 0.025 for c3),
              --min-sigma the least standard deviation used (default 0)
  cusum       --baseline the days before the monitored range, whose mean is
              the expected count m (default 7; monitoring starts on day B+1);
              --alpha and --min-sigma do not apply: algo.cusum has
              no significance level and no sigma floor
  default     the three flags override those of its main detector (see
              detect.Default)

Bad input or bad flags: a message naming the line and exit code 2.

Flags:
`

// detectInput is a parsed series: the kept rows' dates (as written) and counts.
type detectInput struct {
	dates  []string
	counts []float64
}

// detect is `epiguard detect` (SPEC §4.1, §5.5).
func (e *env) detect(args []string) error {
	fs := e.flagSet("detect")
	// Every command accepts --db (SPEC §4.1); detect never opens the database.
	e.dbFlag(fs)
	method := fs.String("method", "", "c1, c2, c3, cusum or default (required)")
	baseline := fs.Int("baseline", 0, "reference window (c1, c2, c3) or days before monitoring (cusum); 0: default")
	alpha := fs.Float64("alpha", 0, "upper tail probability (c1, c2, c3, default); 0: default")
	minSigma := fs.Float64("min-sigma", 0, "least standard deviation (c1, c2, c3, default)")
	openOnly := fs.Bool("open-only", false, "leave rows with open=0 out of the series and the output")
	inFile := fs.String("i", "", "input CSV `FILE` (default stdin)")
	outFile := fs.String("o", "", "output CSV `FILE` (default stdout)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), detectUsage)
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("detect takes no arguments (got %q): read a file with -i FILE", pos[0])
	}
	p := detect.Params{Baseline: *baseline, Alpha: *alpha, MinSigma: *minSigma}
	var run func([]float64, detect.Params) []detect.Point
	switch *method {
	case "":
		return usagef("detect needs --method c1|c2|c3|cusum|default")
	case "default":
		// Default's parameters are valid exactly when C2's are.
		if err := detect.CheckParams("c2", p); err != nil {
			return usagef("detect: %v", err)
		}
		run = detect.Default
	default:
		if run, err = detect.Method(*method); err != nil {
			return usagef("--method %q: want c1, c2, c3, cusum or default", *method)
		}
		if err := detect.CheckParams(*method, p); err != nil {
			return usagef("detect: %v", err)
		}
	}

	in, name := e.stdin, "stdin"
	if *inFile != "" {
		f, err := os.Open(*inFile)
		if err != nil {
			return usagef("%v", err)
		}
		defer f.Close()
		in, name = f, *inFile
	}
	series, err := readSeries(in, *openOnly)
	if err != nil {
		return usagef("%s: %v", name, err)
	}
	pts := run(series.counts, p)

	if *outFile == "" {
		return writeDetections(e.stdout, series, pts)
	}
	// The output file is created only now, so bad input leaves it alone.
	f, err := os.Create(*outFile)
	if err != nil {
		return err
	}
	if err := writeDetections(f, series, pts); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", *outFile, err)
	}
	return nil
}

// readSeries parses date,count[,open] rows. Every row must have as many
// fields as the first; a first row starting with "date" is the header.
func readSeries(r io.Reader, openOnly bool) (*detectInput, error) {
	br := bufio.NewReader(r)
	// Spreadsheets often save CSV with a UTF-8 byte order mark.
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked here, with a clearer message
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	s := &detectInput{}
	fields := 0
	var last time.Time
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			// csv.ParseError already names the line.
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if first {
			fields = len(rec)
			if fields != 2 && fields != 3 {
				return nil, fmt.Errorf("line %d: want the columns date,count or date,count,open, got %d fields", line, fields)
			}
			if strings.EqualFold(rec[0], "date") {
				if !strings.EqualFold(rec[1], "count") || (fields == 3 && !strings.EqualFold(rec[2], "open")) {
					return nil, fmt.Errorf("line %d: header %q: want date,count or date,count,open", line, strings.Join(rec, ","))
				}
				continue
			}
		}
		if len(rec) != fields {
			return nil, fmt.Errorf("line %d: %d fields, but the first line has %d", line, len(rec), fields)
		}
		day, err := time.Parse(time.DateOnly, rec[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: date %q is not a date YYYY-MM-DD", line, rec[0])
		}
		if !last.IsZero() && !day.After(last) {
			return nil, fmt.Errorf("line %d: date %s is not after the previous row's %s (dates must increase)", line, rec[0], last.Format(time.DateOnly))
		}
		last = day
		count, err := strconv.ParseFloat(rec[1], 64)
		switch {
		case err != nil || math.IsNaN(count) || math.IsInf(count, 0):
			return nil, fmt.Errorf("line %d: count %q is not a number", line, rec[1])
		case count < 0:
			return nil, fmt.Errorf("line %d: count %q is negative", line, rec[1])
		}
		if fields == 3 {
			switch rec[2] {
			case "1":
			case "0":
				if openOnly {
					continue
				}
			default:
				return nil, fmt.Errorf("line %d: open %q must be 1 or 0", line, rec[2])
			}
		}
		s.dates = append(s.dates, rec[0])
		s.counts = append(s.counts, count)
	}
}

// writeDetections writes the date,count,ub,alarm CSV.
func writeDetections(out io.Writer, s *detectInput, pts []detect.Point) error {
	w := bufio.NewWriter(out)
	w.WriteString("date,count,ub,alarm\n")
	var buf []byte
	for i, p := range pts {
		buf = append(buf[:0], s.dates[i]...)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, s.counts[i], 'f', -1, 64)
		buf = append(buf, ',')
		if p.Monitored {
			buf = appendNumber(buf, p.UB)
			buf = append(buf, ',')
			switch p.Alarm {
			case detect.Alarmed:
				buf = append(buf, '1')
			case detect.NoAlarm:
				buf = append(buf, '0')
			default:
				buf = append(buf, "NA"...)
			}
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write detections: %w", err)
	}
	return nil
}

// appendNumber writes v in full precision without an exponent, and NaN and
// infinities as R writes them.
func appendNumber(buf []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(buf, "NaN"...)
	case math.IsInf(v, 1):
		return append(buf, "Inf"...)
	case math.IsInf(v, -1):
		return append(buf, "-Inf"...)
	}
	return strconv.AppendFloat(buf, v, 'f', -1, 64)
}
