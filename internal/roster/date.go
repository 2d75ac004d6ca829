package roster

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Birth dates before 1900 or after 2100 are typos; the bounds match those of
// domain.ValidIDNumber.
const minYear, maxYear = 1900, 2100

// parseDate reads a date as people and spreadsheets write it: 2010-03-05,
// 2010/3/5, 2010.3.5, 2010年3月5日, 20100305, any of them followed by a time,
// or an Excel serial day number such as 40242 (what a date-formatted XLSX
// cell holds). It returns the date as YYYY-MM-DD, or a reason it cannot.
func parseDate(s string, date1904 bool) (date, reason string) {
	orig := s
	// Database exports add a time: "2010-03-05 00:00:00", "2010-03-05T00:00:00Z".
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	if strings.Contains(s, "年") {
		s = strings.NewReplacer("年", "-", "月", "-", "日", "").Replace(s)
	}

	var y, m, d int
	switch {
	case len(s) == 8 && digits(s):
		y, _ = strconv.Atoi(s[:4])
		m, _ = strconv.Atoi(s[4:6])
		d, _ = strconv.Atoi(s[6:])
	case isSerial(s):
		t, ok := excelDate(s, date1904)
		if !ok {
			return "", fmt.Sprintf("invalid date %s", quote(orig))
		}
		y, m, d = t.Year(), int(t.Month()), t.Day()
	default:
		var ok bool
		if y, m, d, ok = splitDate(s); !ok {
			return "", fmt.Sprintf("unrecognised date %s: use YYYY-MM-DD", quote(orig))
		}
	}

	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return "", fmt.Sprintf("invalid date %s", quote(orig))
	}
	if y < minYear || y > maxYear {
		return "", fmt.Sprintf("date %s out of range: use %d to %d", quote(orig), minYear, maxYear)
	}
	// Formatted by hand: time.Format is a large part of a 100,000-row
	// import's time.
	b := make([]byte, 0, 10)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return string(b), ""
}

// daysIn returns the number of days in month m of year y.
func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// splitDate reads year, month and day separated by one of - / . with a
// four-digit year first. Day-first and month-first orders are refused: they
// are ambiguous.
func splitDate(s string) (y, m, d int, ok bool) {
	if len(s) < 8 || !digits(s[:4]) || !strings.ContainsRune("-/.", rune(s[4])) {
		return 0, 0, 0, false
	}
	sep := s[4]
	month, day, ok := strings.Cut(s[5:], string(sep))
	if !ok || len(month) > 2 || len(day) > 2 || !digits(month) || !digits(day) {
		return 0, 0, 0, false
	}
	y, _ = strconv.Atoi(s[:4])
	m, _ = strconv.Atoi(month)
	d, _ = strconv.Atoi(day)
	return y, m, d, true
}

// isSerial reports whether s looks like an Excel serial day number: up to
// five digits (73415 is 2100-12-31), optionally with a time fraction. A
// four-digit number from 1900 to 2100 is taken for a year typed alone, not
// for a day in 1905, and refused.
func isSerial(s string) bool {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if len(whole) == 0 || len(whole) > 5 || !digits(whole) || hasFrac && !digits(frac) {
		return false
	}
	if len(whole) == 4 {
		n, _ := strconv.Atoi(whole)
		return n < minYear || n > maxYear
	}
	return true
}

// excelDate converts a serial day number to a date. In the default 1900 date
// system day 1 is 1900-01-01 and day 60 is 1900-02-29, a day that never
// existed (kept from Lotus 1-2-3 for compatibility); the 1904 system counts
// from 1904-01-01 as day 0.
func excelDate(s string, date1904 bool) (time.Time, bool) {
	whole, _, _ := strings.Cut(s, ".")
	n, err := strconv.Atoi(whole)
	if err != nil {
		return time.Time{}, false
	}
	switch {
	case date1904:
		return time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), true
	case n == 60:
		return time.Time{}, false
	case n < 60:
		return time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), true
	default:
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), true
	}
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
