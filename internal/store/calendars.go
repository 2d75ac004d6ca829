package store

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/domain"
)

// calendarCache keeps the stored school calendars, parsed, for the status
// facts of every check-in. Saving a calendar on this node resets it;
// another node's save is seen within calendarRecheck.
type calendarCache struct {
	mu       sync.Mutex
	checked  time.Time
	stored   []StoredCalendar
	parsed   map[int64]*calendar.Calendar // by the stored calendar's unit
	national *calendar.Calendar
	year     int
}

const calendarRecheck = time.Minute

// schoolCalendar returns the calendar of a person whose primary unit is at
// path with the kind given: the nearest stored one above it, else, within a
// school, the national school calendar; nil outside schools, which have
// no school days.
func (db *DB) schoolCalendar(ctx context.Context, q querier, path string, kind domain.OrgKind) (*calendar.Calendar, error) {
	c := &db.calendars
	c.mu.Lock()
	defer c.mu.Unlock()
	now := db.now()
	if c.parsed == nil || now.Sub(c.checked) >= calendarRecheck {
		stored, err := storedCalendars(ctx, q)
		if err != nil {
			return nil, err
		}
		c.stored, c.parsed, c.checked = stored, map[int64]*calendar.Calendar{}, now
	}
	if s, ok := NearestCalendar(c.stored, path); ok {
		if cal, ok := c.parsed[s.OrgID]; ok {
			return cal, nil
		}
		var cal calendar.Calendar
		if err := json.Unmarshal([]byte(s.Doc), &cal); err == nil {
			c.parsed[s.OrgID] = &cal
			return &cal, nil
		}
		db.log.Warn("unreadable school calendar; using the national one", "org", s.OrgID)
	}
	if !kind.InSchool() {
		return nil, nil
	}
	if y := now.In(db.loc).Year(); c.national == nil || c.year != y {
		c.national, c.year = calendar.Default(y-1, y+1), y
	}
	return c.national, nil
}

// CalendarOf returns the calendar of a unit at path of the kind given, as
// schoolCalendar resolves it, for the alert rules and detectors: nil
// outside schools.
func (db *DB) CalendarOf(ctx context.Context, path string, kind domain.OrgKind) (*calendar.Calendar, error) {
	return db.schoolCalendar(ctx, db.read, path, kind)
}

// forgetCalendars makes the next status read the stored calendars again.
func (db *DB) forgetCalendars() {
	db.calendars.mu.Lock()
	defer db.calendars.mu.Unlock()
	db.calendars.parsed = nil
}

// IsSchoolDay tells whether date is a school day of the unit orgID by its
// school calendar (the stored one, else the national one); outside
// schools no day is.
func (db *DB) IsSchoolDay(ctx context.Context, orgID int64, date string) (bool, error) {
	o, err := db.Org(ctx, domain.System(), orgID)
	if err != nil {
		return false, err
	}
	cal, err := db.CalendarOf(ctx, o.Path, o.Kind)
	if err != nil || cal == nil {
		return false, err
	}
	return cal.IsSchoolDay(date), nil
}
