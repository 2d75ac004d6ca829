package calendar

import (
	"fmt"
	"time"
)

// MaxDefaultYears bounds the years one Default call covers.
const MaxDefaultYears = 20

// Sources of the holiday data in Default.
const (
	notice2024 = "国务院办公厅关于2024年部分节假日安排的通知（2023年10月25日）"
	notice2025 = "国务院办公厅关于2025年部分节假日安排的通知（2024年11月12日）"
	notice2026 = "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）"
	// Years whose notice is not in this table get only the days the
	// regulation itself fixes, marked as provisional so that an admin
	// knows to complete them when the notice is out.
	provisional = "暂定：按《全国年节及纪念日放假办法》（2024年修订）推算，当年放假调休通知发布后请核对并补充调休上课日"
	statutory   = "《全国年节及纪念日放假办法》法定假日；当年放假调休安排未收录，请按国务院办公厅通知补充"
)

// Default returns a China-mainland calendar covering every date of the
// calendar years from through to (at most MaxDefaultYears of them): the
// autumn term that ends in January of from, then a spring and an autumn
// term for each year, the public holidays and the make-up school days.
// Terms are set by each province and school, so the terms here are a
// starting point for the admin to correct:
//
//   - autumn term (秋季学期): from 1 September (the Monday after, when it
//     falls on a weekend) to the Friday on or before 23 January, or before
//     ten days ahead of Spring Festival's Eve when that comes earlier;
//   - spring term (春季学期): from the Monday on or after the later of 15
//     February and twelve days after Spring Festival, to the Friday on or
//     before 10 July.
//
// Holidays and make-up days are those of the State Council's notices for
// 2024, 2025 and 2026. The notice for 2027 is not in this table: 2027 has
// the statutory days of the regulation and the usual 5-day Labour Day and
// 7-day National Day breaks, without make-up days, marked provisional.
// Other years have only the statutory days on fixed Gregorian dates (New
// Year's Day, Labour Day, National Day); the lunar holidays and make-up
// days of those years must be added from their notice.
func Default(from, to int) *Calendar {
	c := &Calendar{Weekend: DefaultWeekend(), Terms: []Term{}, Holidays: []Range{}, MakeupDays: []Day{}, Closures: []Range{}}
	if to < from {
		return c
	}
	to = min(to, from+MaxDefaultYears-1)
	c.Terms = append(c.Terms, autumnTerm(from-1))
	for y := from; y <= to; y++ {
		c.Terms = append(c.Terms, springTerm(y), autumnTerm(y))
	}
	// The first term starts in September of from-1 and the last ends in
	// January of to+1.
	for y := from - 1; y <= to+1; y++ {
		holidays, makeup := publicHolidays(y)
		c.Holidays = append(c.Holidays, holidays...)
		c.MakeupDays = append(c.MakeupDays, makeup...)
	}
	return c
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func onOrAfter(t time.Time, wd time.Weekday) time.Time {
	for t.Weekday() != wd {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

func onOrBefore(t time.Time, wd time.Weekday) time.Time {
	for t.Weekday() != wd {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

// springFestival returns the date of Spring Festival (农历正月初一) in year
// y, for the years the table knows.
func springFestival(y int) (time.Time, bool) {
	days := map[int][2]int{ // year → month, day
		2020: {1, 25}, 2021: {2, 12}, 2022: {2, 1}, 2023: {1, 22}, 2024: {2, 10},
		2025: {1, 29}, 2026: {2, 17}, 2027: {2, 6}, 2028: {1, 26}, 2029: {2, 13}, 2030: {2, 3},
	}
	md, ok := days[y]
	if !ok {
		return time.Time{}, false
	}
	return date(y, time.Month(md[0]), md[1]), true
}

// autumnTerm returns the autumn term that starts in September of y.
func autumnTerm(y int) Term {
	start := date(y, time.September, 1)
	if wd := start.Weekday(); wd == time.Saturday || wd == time.Sunday {
		start = onOrAfter(start, time.Monday)
	}
	end := date(y+1, time.January, 23)
	if sf, ok := springFestival(y + 1); ok {
		if e := sf.AddDate(0, 0, -11); e.Before(end) { // ten days before the Eve
			end = e
		}
	} else {
		end = date(y+1, time.January, 16)
	}
	return Term{Name: fmt.Sprintf("%d秋季学期", y), Start: format(start), End: format(onOrBefore(end, time.Friday))}
}

// springTerm returns the spring term of year y.
func springTerm(y int) Term {
	start := date(y, time.February, 15)
	if sf, ok := springFestival(y); ok {
		if s := sf.AddDate(0, 0, 12); s.After(start) {
			start = s
		}
	} else {
		start = date(y, time.February, 24)
	}
	end := date(y, time.July, 10)
	return Term{Name: fmt.Sprintf("%d春季学期", y), Start: format(onOrAfter(start, time.Monday)), End: format(onOrBefore(end, time.Friday))}
}

// publicHolidays returns the holidays and make-up school days of year y.
func publicHolidays(y int) ([]Range, []Day) {
	h := func(name, start, end, source string) Range {
		return Range{Name: name, Start: start, End: end, Source: source}
	}
	m := func(d, name, source string) Day { return Day{Date: d, Name: name + "调休上课", Source: source} }
	switch y {
	case 2024:
		s := notice2024
		hs := []Range{
			h("元旦", "2024-01-01", "", s),
			h("春节", "2024-02-10", "2024-02-17", s),
			h("清明节", "2024-04-04", "2024-04-06", s),
			h("劳动节", "2024-05-01", "2024-05-05", s),
			h("端午节", "2024-06-10", "", s),
			h("中秋节", "2024-09-15", "2024-09-17", s),
			h("国庆节", "2024-10-01", "2024-10-07", s),
		}
		ms := []Day{
			m("2024-02-04", "春节", s), m("2024-02-18", "春节", s),
			m("2024-04-07", "清明节", s),
			m("2024-04-28", "劳动节", s), m("2024-05-11", "劳动节", s),
			m("2024-09-14", "中秋节", s),
			m("2024-09-29", "国庆节", s), m("2024-10-12", "国庆节", s),
		}
		return hs, ms
	case 2025:
		s := notice2025
		hs := []Range{
			h("元旦", "2025-01-01", "", s),
			h("春节", "2025-01-28", "2025-02-04", s),
			h("清明节", "2025-04-04", "2025-04-06", s),
			h("劳动节", "2025-05-01", "2025-05-05", s),
			h("端午节", "2025-05-31", "2025-06-02", s),
			h("国庆节、中秋节", "2025-10-01", "2025-10-08", s),
		}
		ms := []Day{
			m("2025-01-26", "春节", s), m("2025-02-08", "春节", s),
			m("2025-04-27", "劳动节", s),
			m("2025-09-28", "国庆节", s), m("2025-10-11", "国庆节", s),
		}
		return hs, ms
	case 2026:
		s := notice2026
		hs := []Range{
			h("元旦", "2026-01-01", "2026-01-03", s),
			h("春节", "2026-02-15", "2026-02-23", s),
			h("清明节", "2026-04-04", "2026-04-06", s),
			h("劳动节", "2026-05-01", "2026-05-05", s),
			h("端午节", "2026-06-19", "2026-06-21", s),
			h("中秋节", "2026-09-25", "2026-09-27", s),
			h("国庆节", "2026-10-01", "2026-10-07", s),
		}
		ms := []Day{
			m("2026-01-04", "元旦", s),
			m("2026-02-14", "春节", s), m("2026-02-28", "春节", s),
			m("2026-05-09", "劳动节", s),
			m("2026-09-20", "国庆节", s), m("2026-10-10", "国庆节", s),
		}
		return hs, ms
	case 2027:
		// The regulation fixes 除夕 to 初三, 清明, 端午 and 中秋 (lunar
		// dates for 2027: Spring Festival 6 February, 端午 9 June, 中秋
		// 15 September) and the Gregorian days; Labour Day and National
		// Day are given their usual 5- and 7-day breaks. Without the
		// notice the make-up days are unknown, so none are listed.
		s := provisional
		return []Range{
			h("元旦", "2027-01-01", "", s),
			h("春节", "2027-02-05", "2027-02-08", s),
			h("清明节", "2027-04-05", "", s),
			h("劳动节", "2027-05-01", "2027-05-05", s),
			h("端午节", "2027-06-09", "", s),
			h("中秋节", "2027-09-15", "", s),
			h("国庆节", "2027-10-01", "2027-10-07", s),
		}, nil
	}
	labour := h("劳动节", fmt.Sprintf("%04d-05-01", y), "", statutory)
	if y >= 2025 { // the 2024 revision made 2 May a statutory holiday too
		labour.End = fmt.Sprintf("%04d-05-02", y)
	}
	return []Range{
		h("元旦", fmt.Sprintf("%04d-01-01", y), "", statutory),
		labour,
		h("国庆节", fmt.Sprintf("%04d-10-01", y), fmt.Sprintf("%04d-10-03", y), statutory),
	}, nil
}
