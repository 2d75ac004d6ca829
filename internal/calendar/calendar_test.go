package calendar

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"epiguard/internal/domain"
)

func TestIsSchoolDay(t *testing.T) {
	cal := Default(2026, 2026)
	tests := []struct {
		date   string
		school bool
		kind   DayKind
		name   string
	}{
		{"2026-09-01", true, KindSchool, "2026秋季学期"},   // first day of the autumn term, a Tuesday
		{"2026-09-04", true, KindSchool, "2026秋季学期"},   // Friday
		{"2026-09-05", false, KindWeekend, "2026秋季学期"}, // Saturday
		{"2026-09-06", false, KindWeekend, "2026秋季学期"}, // Sunday
		{"2026-09-20", true, KindMakeup, "国庆节调休上课"},    // make-up Sunday
		{"2026-09-25", false, KindHoliday, "中秋节"},      // a Friday in the Mid-Autumn holiday
		{"2026-10-01", false, KindHoliday, "国庆节"},
		{"2026-10-07", false, KindHoliday, "国庆节"}, // Wednesday, last day of the break
		{"2026-10-08", true, KindSchool, "2026秋季学期"},
		{"2026-10-10", true, KindMakeup, "国庆节调休上课"}, // make-up Saturday
		{"2026-10-11", false, KindWeekend, "2026秋季学期"},
		{"2026-01-04", true, KindMakeup, "元旦调休上课"}, // make-up Sunday inside the 2025 autumn term
		{"2026-01-02", false, KindHoliday, "元旦"},
		{"2026-02-28", false, KindBreak, ""}, // make-up Saturday, but in the winter break
		{"2026-03-02", true, KindSchool, "2026春季学期"},
		{"2026-05-04", false, KindHoliday, "劳动节"},
		{"2026-05-09", true, KindMakeup, "劳动节调休上课"},
		{"2026-07-10", true, KindSchool, "2026春季学期"}, // last day of the spring term
		{"2026-07-13", false, KindBreak, ""},         // summer holiday, a Monday
		{"2026-08-03", false, KindBreak, ""},
		{"2027-01-22", true, KindSchool, "2026秋季学期"},
		{"2027-01-25", false, KindBreak, ""}, // winter break, a Monday
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			if got := cal.IsSchoolDay(tt.date); got != tt.school {
				t.Errorf("IsSchoolDay(%s) = %v, want %v", tt.date, got, tt.school)
			}
			info, err := cal.Describe(tt.date)
			if err != nil {
				t.Fatal(err)
			}
			want := DayInfo{Date: tt.date, School: tt.school, Kind: tt.kind, Name: tt.name}
			if info != want {
				t.Errorf("Describe(%s) = %+v, want %+v", tt.date, info, want)
			}
		})
	}
}

func TestBadDates(t *testing.T) {
	cal := Default(2026, 2026)
	for _, d := range []string{"", "2026-9-1", "2026-09-31", "2026-13-01", "01/09/2026", "2026-09-01T00:00:00Z", " 2026-09-01"} {
		if cal.IsSchoolDay(d) {
			t.Errorf("IsSchoolDay(%q) = true", d)
		}
		if _, err := cal.Describe(d); err == nil {
			t.Errorf("Describe(%q): no error", d)
		}
		if _, ok := cal.Term(d); ok {
			t.Errorf("Term(%q) found a term", d)
		}
		if _, err := cal.SchoolDaysBack(d, 3); err == nil {
			t.Errorf("SchoolDaysBack(%q): no error", d)
		}
	}
}

// custom is a small hand-made calendar: one term in September 2026, a
// holiday on Thursday 10 September, a make-up Saturday on the 12th and a
// closure (class suspension) from Wednesday 16th to Monday 21st that
// swallows the make-up Saturday on the 19th.
func custom() *Calendar {
	return &Calendar{
		Terms:    []Term{{Name: "T", Start: "2026-09-01", End: "2026-09-30"}},
		Holidays: []Range{{Name: "教师节", Start: "2026-09-10"}},
		MakeupDays: []Day{
			{Date: "2026-09-12", Name: "补课"},
			{Date: "2026-09-19", Name: "补课"},
		},
		Closures: []Range{{Name: "停课", Start: "2026-09-16", End: "2026-09-21"}},
	}
}

func TestCustomCalendar(t *testing.T) {
	cal := custom()
	tests := []struct {
		date   string
		school bool
		kind   DayKind
	}{
		{"2026-08-31", false, KindBreak},
		{"2026-09-09", true, KindSchool},
		{"2026-09-10", false, KindHoliday}, // a single-day holiday without End
		{"2026-09-12", true, KindMakeup},
		{"2026-09-13", false, KindWeekend},
		{"2026-09-16", false, KindClosure},
		{"2026-09-19", false, KindClosure}, // the closure wins over the make-up day
		{"2026-09-21", false, KindClosure},
		{"2026-09-22", true, KindSchool},
		{"2026-10-01", false, KindBreak},
	}
	for _, tt := range tests {
		info, err := cal.Describe(tt.date)
		if err != nil {
			t.Fatal(err)
		}
		if info.School != tt.school || info.Kind != tt.kind {
			t.Errorf("Describe(%s) = %+v, want school %v kind %s", tt.date, info, tt.school, tt.kind)
		}
	}
	if err := cal.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	// An empty weekend list means school on Saturdays and Sundays too.
	cal.Weekend = []string{}
	if !cal.IsSchoolDay("2026-09-13") {
		t.Error("with no weekend, Sunday 13 September is not a school day")
	}
	// A one-day weekend.
	cal.Weekend = []string{"sunday"}
	if !cal.IsSchoolDay("2026-09-05") || cal.IsSchoolDay("2026-09-06") {
		t.Error("with a Sunday-only weekend, Saturday should be a school day and Sunday not")
	}
}

func TestEveryday(t *testing.T) {
	var nilCal *Calendar
	for name, cal := range map[string]*Calendar{"Everyday": Everyday(), "nil": nilCal} {
		t.Run(name, func(t *testing.T) {
			for _, d := range []string{"2026-10-01", "2026-08-01", "2026-09-05", "2027-02-06"} {
				if !cal.IsSchoolDay(d) {
					t.Errorf("IsSchoolDay(%s) = false", d)
				}
			}
			got, err := cal.SchoolDaysBack("2026-10-02", 3)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"2026-09-30", "2026-10-01", "2026-10-02"}; !slices.Equal(got, want) {
				t.Errorf("SchoolDaysBack = %v, want %v", got, want)
			}
			if _, ok := cal.Term("2026-10-01"); ok {
				t.Error("an every-day calendar without terms has a term")
			}
			if err := cal.Validate(); name == "Everyday" && err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestSchoolDaysBack(t *testing.T) {
	cal := Default(2026, 2026)
	tests := []struct {
		name string
		end  string
		n    int
		want []string
	}{
		{"plain week", "2026-09-11", 3, []string{"2026-09-09", "2026-09-10", "2026-09-11"}},
		{"over a weekend", "2026-09-08", 3, []string{"2026-09-04", "2026-09-07", "2026-09-08"}},
		{"end not a school day", "2026-09-06", 2, []string{"2026-09-03", "2026-09-04"}},
		{"across the National Day holiday", "2026-10-09", 5,
			[]string{"2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09"}},
		{"with a make-up Saturday", "2026-10-11", 3, []string{"2026-10-08", "2026-10-09", "2026-10-10"}},
		{"across the summer break", "2026-09-02", 4, []string{"2026-07-09", "2026-07-10", "2026-09-01", "2026-09-02"}},
		{"in the summer break", "2026-08-15", 2, []string{"2026-07-09", "2026-07-10"}},
		{"across the winter break", "2026-03-03", 3, []string{"2026-01-23", "2026-03-02", "2026-03-03"}},
		{"fewer than asked before the first term", "2025-09-02", 5, []string{"2025-09-01", "2025-09-02"}},
		{"before every term", "2025-08-01", 5, []string{}},
		{"far after every term", "2999-12-31", 2, []string{"2027-01-21", "2027-01-22"}},
		{"zero", "2026-09-11", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cal.SchoolDaysBack(tt.end, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) || (tt.want == nil) != (got == nil) {
				t.Errorf("SchoolDaysBack(%s, %d) = %#v, want %#v", tt.end, tt.n, got, tt.want)
			}
		})
	}
	if _, err := cal.SchoolDaysBack("2026-09-11", MaxDays+1); err == nil {
		t.Error("no error for more than MaxDays days")
	}
	if got, _ := (&Calendar{}).SchoolDaysBack("2026-09-11", 3); len(got) != 0 {
		t.Errorf("a calendar without terms has school days: %v", got)
	}
}

func TestSchoolDays(t *testing.T) {
	cal := Default(2026, 2026)
	got, err := cal.SchoolDays("2026-09-24", "2026-10-11")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-09-24", "2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"}
	if !slices.Equal(got, want) {
		t.Errorf("SchoolDays = %v, want %v", got, want)
	}
	if _, err := cal.SchoolDays("2026-10-11", "2026-09-24"); err == nil {
		t.Error("no error for a reversed range")
	}
	if _, err := Everyday().SchoolDays("2000-01-01", "2026-01-01"); err == nil {
		t.Error("no error for a range longer than MaxDays")
	}
	// A school year has about 190 school days.
	year, err := Default(2026, 2027).SchoolDays("2026-09-01", "2027-07-31")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(year); n < 170 || n > 200 {
		t.Errorf("school year 2026/27 has %d school days", n)
	}
}

func TestTerm(t *testing.T) {
	cal := Default(2026, 2026)
	if term, ok := cal.Term("2026-10-15"); !ok || term.Name != "2026秋季学期" {
		t.Errorf("Term(2026-10-15) = %+v, %v", term, ok)
	}
	if term, ok := cal.Term("2026-08-01"); ok {
		t.Errorf("Term(2026-08-01) = %+v in the summer break", term)
	}
	if term, ok := cal.LatestTerm("2026-08-01"); !ok || term.Name != "2026春季学期" {
		t.Errorf("LatestTerm(2026-08-01) = %+v, %v", term, ok)
	}
	if term, ok := cal.LatestTerm("2026-10-15"); !ok || term.Name != "2026秋季学期" {
		t.Errorf("LatestTerm(2026-10-15) = %+v, %v", term, ok)
	}
	if _, ok := cal.LatestTerm("2020-01-01"); ok {
		t.Error("LatestTerm before every term found one")
	}
}

func TestDefaultTerms(t *testing.T) {
	cal := Default(2025, 2027)
	want := []Term{
		{"2024秋季学期", "2024-09-02", "2025-01-17"},
		{"2025春季学期", "2025-02-17", "2025-07-04"},
		{"2025秋季学期", "2025-09-01", "2026-01-23"},
		{"2026春季学期", "2026-03-02", "2026-07-10"},
		{"2026秋季学期", "2026-09-01", "2027-01-22"},
		{"2027春季学期", "2027-02-22", "2027-07-09"},
		{"2027秋季学期", "2027-09-01", "2028-01-14"},
	}
	if !reflect.DeepEqual(cal.Terms, want) {
		t.Errorf("terms:\n got %v\nwant %v", cal.Terms, want)
	}
	if err := cal.Validate(); err != nil {
		t.Errorf("Default(2025, 2027) is invalid: %v", err)
	}
	// Years outside the holiday table still validate.
	for _, years := range [][2]int{{2020, 2024}, {2028, 2035}} {
		if err := Default(years[0], years[1]).Validate(); err != nil {
			t.Errorf("Default(%d, %d) is invalid: %v", years[0], years[1], err)
		}
	}
	if got := Default(2027, 2026); len(got.Terms) != 0 {
		t.Errorf("Default with to < from has terms: %v", got.Terms)
	}
	if got := Default(2000, 3000); len(got.Terms) != 1+2*MaxDefaultYears {
		t.Errorf("Default(2000, 3000) has %d terms, want %d", len(got.Terms), 1+2*MaxDefaultYears)
	}
}

func TestDefaultHolidays(t *testing.T) {
	cal := Default(2025, 2027)
	// Every make-up day of the notices, and every day of their breaks.
	makeup := []string{
		"2024-09-14", "2024-09-29", "2024-10-12",
		"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
		"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
	}
	for _, d := range makeup {
		if !slices.ContainsFunc(cal.MakeupDays, func(m Day) bool { return m.Date == d }) {
			t.Errorf("make-up day %s missing", d)
		}
	}
	for _, m := range cal.MakeupDays {
		if strings.HasPrefix(m.Date, "2027") {
			t.Errorf("make-up day %s listed for 2027, whose notice is not in the table", m.Date)
		}
	}
	off := []string{"2025-10-08", "2026-01-03", "2026-02-23", "2026-06-19", "2026-09-25", "2027-01-01", "2027-05-05", "2027-10-07"}
	for _, d := range off {
		if info, _ := cal.Describe(d); info.Kind != KindHoliday && info.Kind != KindBreak {
			t.Errorf("%s is %s, want a holiday", d, info.Kind)
		}
	}
}

func TestJSON(t *testing.T) {
	cal := Default(2026, 2026)
	cal.Closures = append(cal.Closures, Range{Name: "停课", Start: "2026-11-02", End: "2026-11-05"})
	b, err := json.Marshal(cal)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"weekend":["saturday","sunday"]`, `"terms":[{"name":"2025秋季学期","start":"2025-09-01","end":"2026-01-23"}`, `"makeup_days":[`, `"closures":[{"name":"停课"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s:\n%s", key, b)
		}
	}
	var back Calendar
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, cal) {
		t.Error("JSON round trip changed the calendar")
	}

	// Weekend null means Saturday and Sunday; [] means none.
	var c Calendar
	if err := json.Unmarshal([]byte(`{"terms":[{"name":"T","start":"2026-09-01","end":"2026-09-30"}]}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.IsSchoolDay("2026-09-05") {
		t.Error("weekend absent: Saturday is a school day")
	}
	if err := json.Unmarshal([]byte(`{"weekend":[],"terms":[{"name":"T","start":"2026-09-01","end":"2026-09-30"}]}`), &c); err != nil {
		t.Fatal(err)
	}
	if !c.IsSchoolDay("2026-09-05") {
		t.Error("weekend []: Saturday is not a school day")
	}
	if err := json.Unmarshal([]byte(`{"every_day":true}`), &c); err != nil || !c.IsSchoolDay("2026-10-01") {
		t.Errorf("every_day: %v", err)
	}
}

func TestValidate(t *testing.T) {
	term := func(name, start, end string) Term { return Term{Name: name, Start: start, End: end} }
	base := func() *Calendar {
		return &Calendar{Terms: []Term{term("2026秋季学期", "2026-09-01", "2027-01-22")}}
	}
	tests := []struct {
		name   string
		change func(c *Calendar)
		fields []string // every field error expected, in order
	}{
		{"valid", func(c *Calendar) {}, nil},
		{"holiday outside every term is fine", func(c *Calendar) {
			c.Holidays = []Range{{Name: "劳动节", Start: "2026-05-01", End: "2026-05-05"}}
		}, nil},
		{"term end before start", func(c *Calendar) { c.Terms[0].End = "2026-08-31" }, []string{"terms[0].end"}},
		{"term bad dates", func(c *Calendar) { c.Terms[0].Start, c.Terms[0].End = "2026-9-1", "" }, []string{"terms[0].start", "terms[0].end"}},
		{"term without name", func(c *Calendar) { c.Terms[0].Name = "  " }, []string{"terms[0].name"}},
		{"term too long", func(c *Calendar) { c.Terms[0].End = "2027-09-02" }, []string{"terms[0].end"}},
		{"overlapping terms", func(c *Calendar) {
			c.Terms = append(c.Terms, term("2027春季学期", "2027-01-22", "2027-07-09"), term("x", "2027-03-01", "2027-03-02"))
		}, []string{"terms[1]", "terms[2]"}},
		{"adjacent terms are fine", func(c *Calendar) { c.Terms = append(c.Terms, term("2027春季学期", "2027-01-23", "2027-07-09")) }, nil},
		{"holiday end before start", func(c *Calendar) {
			c.Holidays = []Range{{Name: "h", Start: "2026-10-07", End: "2026-10-01"}}
		}, []string{"holidays[0].end"}},
		{"holiday without name or date", func(c *Calendar) { c.Holidays = []Range{{}} }, []string{"holidays[0].name", "holidays[0].start"}},
		{"closure bad date", func(c *Calendar) {
			c.Closures = []Range{{Name: "停课", Start: "2026-11-02", End: "2026-11-31"}}
		}, []string{"closures[0].end"}},
		{"make-up day on a weekday", func(c *Calendar) { c.MakeupDays = []Day{{Date: "2026-10-09"}} }, []string{"makeup_days[0].date"}},
		{"make-up day in a holiday", func(c *Calendar) {
			c.Holidays = []Range{{Name: "国庆节", Start: "2026-10-01", End: "2026-10-07"}}
			c.MakeupDays = []Day{{Date: "2026-10-03"}}
		}, []string{"makeup_days[0].date"}},
		{"make-up day twice", func(c *Calendar) {
			c.MakeupDays = []Day{{Date: "2026-10-10"}, {Date: "2026-10-10"}}
		}, []string{"makeup_days[1].date"}},
		{"make-up day bad date", func(c *Calendar) { c.MakeupDays = []Day{{Date: "10/10/2026"}} }, []string{"makeup_days[0].date"}},
		{"make-up Saturday with a Sunday-only weekend", func(c *Calendar) {
			c.Weekend = []string{"sunday"}
			c.MakeupDays = []Day{{Date: "2026-10-10"}}
		}, []string{"makeup_days[0].date"}},
		{"bad weekend names", func(c *Calendar) { c.Weekend = []string{"Saturday", "sunday", "sunday"} }, []string{"weekend[0]", "weekend[2]"}},
		{"too many terms", func(c *Calendar) { c.Terms = make([]Term, MaxTerms+1) }, nil /* checked below */},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(c)
			err := c.Validate()
			if tt.name == "too many terms" {
				if err == nil || domain.ErrorFields(err)[0].Field != "terms" {
					t.Errorf("Validate = %v, want an error on terms", err)
				}
				return
			}
			var got []string
			for _, f := range domain.ErrorFields(err) {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("Validate fields = %v, want %v (%v)", got, tt.fields, err)
			}
			if err != nil && domain.ErrorCode(err) != domain.EInvalid {
				t.Errorf("error code %s, want %s", domain.ErrorCode(err), domain.EInvalid)
			}
		})
	}
	var nilCal *Calendar
	if err := nilCal.Validate(); err == nil {
		t.Error("a nil calendar validates")
	}
}

// FuzzCalendar feeds admin-edited JSON, validated or not, to every method:
// none may panic or loop for long, and SchoolDaysBack returns at most n
// school days in order.
func FuzzCalendar(f *testing.F) {
	seed, err := json.Marshal(Default(2026, 2026))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, "2026-10-09", 5)
	f.Add([]byte(`{"terms":[{"name":"T","start":"0001-01-01","end":"9999-12-31"}],"holidays":[{"name":"h","start":"0001-01-01","end":"9999-12-31"}]}`), "9999-12-31", MaxDays)
	f.Add([]byte(`{"every_day":true,"weekend":["friday"]}`), "2026-02-29", -1)
	f.Add([]byte(`{"weekend":[],"terms":[{"start":"2026-09-30","end":"2026-09-01"}],"makeup_days":[{"date":"x"}]}`), "2026-09-15", 10)
	f.Fuzz(func(t *testing.T, data []byte, date string, n int) {
		var c Calendar
		if json.Unmarshal(data, &c) != nil {
			return
		}
		_ = c.Validate()
		school := c.IsSchoolDay(date)
		if info, err := c.Describe(date); err == nil && info.School != school {
			t.Fatalf("Describe and IsSchoolDay disagree on %s", date)
		}
		c.Term(date)
		c.LatestTerm(date)
		days, err := c.SchoolDaysBack(date, n)
		if err != nil {
			return
		}
		if len(days) > max(n, 0) {
			t.Fatalf("SchoolDaysBack(%s, %d) returned %d days", date, n, len(days))
		}
		for i, d := range days {
			if !c.IsSchoolDay(d) || d > date || (i > 0 && days[i-1] >= d) {
				t.Fatalf("SchoolDaysBack(%s, %d) = %v", date, n, days)
			}
		}
	})
}
