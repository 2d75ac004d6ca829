package demo

import (
	"slices"
	"time"
)

// holidayBlock is a fixed-date public holiday on which schools close.
type holidayBlock struct {
	name        string
	month       time.Month
	first, last int // days of the month, both included
}

// fixedHolidays are the holidays the demo's calendar knows. The others
// (春节, 清明, 端午, 中秋) move with the lunar calendar, and the make-up
// working days of 调休 are left out: a demo needs one holiday, not a
// calendar service.
var fixedHolidays = []holidayBlock{
	{"劳动节", time.May, 1, 5},
	{"国庆节", time.October, 1, 7},
}

// shortBreak names the break the calendar puts in when no fixed holiday
// falls within the history, as schools close for a sports meeting or the
// autumn break some cities have (杭州's 秋假).
const shortBreak = "短假"

// schoolCalendar is the demo history's calendar: the school days ending
// the day before today, and the holiday among them.
type schoolCalendar struct {
	// days are the school days, oldest first.
	days []time.Time
	// all is every day from the first school day to yesterday.
	all []time.Time
	// holiday are the weekdays off within all, and holidayName their name.
	holiday     []time.Time
	holidayName string
}

// newCalendar returns n school days (Monday to Friday, without the holiday)
// before today. The holiday is a fixed one when it falls within the
// history, else a break from Wednesday to Friday five weeks before today's
// week, so that every history has one, wherever the demo is run.
func newCalendar(today time.Time, n int) schoolCalendar {
	fixed := func(d time.Time) string {
		for _, h := range fixedHolidays {
			if d.Month() == h.month && d.Day() >= h.first && d.Day() <= h.last {
				return h.name
			}
		}
		return ""
	}
	cal := collect(today, n, fixed)
	if cal.holidayName != "" {
		return cal
	}
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	wednesday := monday.AddDate(0, 0, -5*7+2)
	return collect(today, n, func(d time.Time) string {
		if !d.Before(wednesday) && d.Before(wednesday.AddDate(0, 0, 3)) {
			return shortBreak
		}
		return fixed(d)
	})
}

// collect counts back n weekdays before today that holiday names no
// holiday for.
func collect(today time.Time, n int, holiday func(time.Time) string) schoolCalendar {
	var cal schoolCalendar
	d := today
	for len(cal.days) < n {
		d = d.AddDate(0, 0, -1)
		cal.all = append(cal.all, d)
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		if name := holiday(d); name != "" {
			cal.holiday = append(cal.holiday, d)
			cal.holidayName = name
			continue
		}
		cal.days = append(cal.days, d)
	}
	slices.Reverse(cal.days)
	slices.Reverse(cal.all)
	slices.Reverse(cal.holiday)
	return cal
}
