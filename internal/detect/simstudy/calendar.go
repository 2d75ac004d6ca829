package simstudy

import "time"

// Kind says where a simulated series comes from, which decides its calendar
// and its weekday pattern.
type Kind int

const (
	// School series count one syndrome in a class, grade or school: open on
	// term weekdays only, closed on weekends, public holidays and the winter
	// break.
	School Kind = iota
	// Community series count one syndrome in a community (e.g. a community
	// health centre's catchment): open every day, with fewer reports at
	// weekends.
	Community
)

func (k Kind) String() string {
	switch k {
	case School:
		return "school"
	case Community:
		return "community"
	}
	return "unknown"
}

// The simulated year is the 2024/25 school year of a mainland Chinese primary
// or secondary school: autumn term from 2 September 2024 to 17 January 2025,
// winter break, spring term from 17 February to 4 July 2025.
var (
	yearStart  = date(2024, time.September, 2)
	yearEnd    = date(2025, time.July, 4)
	breakStart = date(2025, time.January, 18)
	breakEnd   = date(2025, time.February, 16)
)

// schoolHolidays are the weekday public holidays of that year on which the
// school is closed (Mid-Autumn, National Day week, New Year, Qingming,
// Labour Day, Dragon Boat). The weekend make-up school days (调休) are left
// out: they would only relabel a few weekdays.
var schoolHolidays = []time.Time{
	date(2024, time.September, 16), date(2024, time.September, 17),
	date(2024, time.October, 1), date(2024, time.October, 2), date(2024, time.October, 3),
	date(2024, time.October, 4), date(2024, time.October, 7),
	date(2025, time.January, 1),
	date(2025, time.April, 4),
	date(2025, time.May, 1), date(2025, time.May, 2), date(2025, time.May, 5),
	date(2025, time.June, 2),
}

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// openDays lists the days on which a series of kind k has a count, in order.
// Detectors only ever see these days.
func openDays(k Kind) []time.Time {
	closed := make(map[time.Time]bool, len(schoolHolidays))
	for _, d := range schoolHolidays {
		closed[d] = true
	}
	var days []time.Time
	for d := yearStart; !d.After(yearEnd); d = d.AddDate(0, 0, 1) {
		if k == School {
			wd := d.Weekday()
			if wd == time.Saturday || wd == time.Sunday || closed[d] {
				continue
			}
			if !d.Before(breakStart) && !d.After(breakEnd) {
				continue
			}
		}
		days = append(days, d)
	}
	return days
}

// weekdayFactor is the relative level of a day of the week. In school series
// Monday is highest (illness that began over the weekend is first seen on
// Monday) and the level eases through the week; community series also have
// the weekend dip of fewer consultations. The factors are normalised away
// later, so only their ratios matter.
func weekdayFactor(k Kind, wd time.Weekday) float64 {
	if k == School {
		return [...]float64{
			time.Monday: 1.25, time.Tuesday: 1.05, time.Wednesday: 0.95,
			time.Thursday: 0.90, time.Friday: 0.85,
			time.Saturday: 1, time.Sunday: 1, // never open
		}[wd]
	}
	return [...]float64{
		time.Monday: 1.30, time.Tuesday: 1.10, time.Wednesday: 1.00,
		time.Thursday: 1.00, time.Friday: 0.95, time.Saturday: 0.80, time.Sunday: 0.70,
	}[wd]
}
