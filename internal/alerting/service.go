// Package alerting raises EpiGuard's alerts (SPEC §3.3): it evaluates the
// cluster rules of §5.2 whenever a record gives someone a syndrome or a
// disease and in a daily pass, runs the statistical detectors of §5.5 over
// every unit's series of school days, merges repeat firings into one
// alert, escalates alerts nobody acknowledges, and delivers the
// notifications to robots, mailboxes and webhooks.
//
// The counting lives in the store (syndrome_events, unit_subject_counts);
// the rules, calendars and detectors are pure packages (cluster, calendar,
// detect). This package puts them together.
package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/cluster"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// Service evaluates rules and detectors and raises alerts.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// Loc is the installation's time zone: which date is today.
	Loc *time.Location
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// AckWithin overrides how long an alert may wait for acknowledgement
	// before escalation (0: by level, see ackWithin).
	AckWithin time.Duration
	// Profile is the active policy profile (SPEC §5.4), for the rules that
	// hold under one profile only.
	Profile string

	mu    sync.Mutex
	rules ruleCache
}

type ruleCache struct {
	at      time.Time
	version int
	rules   []cluster.Rule
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) today() string { return s.now().In(s.Loc).Format(time.DateOnly) }

// Rules returns the cluster rules in force and their version: the saved
// ones, else the defaults (version 1). Read at most every 10 s, so a save
// holds on every node within seconds.
func (s *Service) Rules(ctx context.Context) ([]cluster.Rule, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rules.rules != nil && time.Since(s.rules.at) < 10*time.Second {
		return s.rules.rules, s.rules.version, nil
	}
	doc, version, ok, err := s.DB.ClusterRules(ctx)
	if err != nil {
		return nil, 0, err
	}
	rules := cluster.DefaultRules()
	if ok {
		if err := json.Unmarshal([]byte(doc), &rules); err != nil {
			return nil, 0, fmt.Errorf("stored cluster rules v%d: %w", version, err)
		}
	}
	s.rules = ruleCache{at: time.Now(), version: version, rules: rules}
	return rules, version, nil
}

// SaveRules validates and saves the cluster rules as a new version.
func (s *Service) SaveRules(ctx context.Context, sc domain.Scope, rules []cluster.Rule, by string) (int, error) {
	if err := cluster.Validate(rules); err != nil {
		return 0, err
	}
	doc, err := json.Marshal(rules)
	if err != nil {
		return 0, err
	}
	v, err := s.DB.SaveClusterRules(ctx, sc, string(doc), by)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.rules = ruleCache{}
	s.mu.Unlock()
	return v, nil
}

// units resolves org units, their calendars and their populations for one
// evaluation, each looked up once.
type units struct {
	s         *Service
	orgs      map[int64]*domain.Org
	calendars map[int64]*calendar.Calendar
	people    map[int64]int
	// everyday is the one calendar of every unit outside schools.
	everyday *calendar.Calendar
}

func (s *Service) newUnits() *units {
	return &units{s: s, orgs: map[int64]*domain.Org{}, calendars: map[int64]*calendar.Calendar{}, people: map[int64]int{},
		everyday: calendar.Everyday()}
}

func (u *units) org(ctx context.Context, id int64) (*domain.Org, error) {
	if o, ok := u.orgs[id]; ok {
		return o, nil
	}
	o, err := u.s.DB.Org(ctx, domain.System(), id)
	if err != nil {
		return nil, err
	}
	u.orgs[id] = o
	return o, nil
}

// calendar returns the calendar that holds for a unit: the school
// calendar the store resolves for it (its own or its nearest ancestor's
// stored calendar, else within a school the national one), else every day.
func (u *units) calendar(ctx context.Context, o *domain.Org) (*calendar.Calendar, error) {
	if c, ok := u.calendars[o.ID]; ok {
		return c, nil
	}
	c, err := u.s.DB.CalendarOf(ctx, o.Path, o.Kind)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = u.everyday
	}
	u.calendars[o.ID] = c
	return c, nil
}

func (u *units) population(ctx context.Context, id int64) (int, error) {
	if n, ok := u.people[id]; ok {
		return n, nil
	}
	n, err := u.s.DB.UnitPopulation(ctx, id)
	if err != nil {
		return 0, err
	}
	u.people[id] = n
	return n, nil
}

// subjectsOfRule returns the subjects a rule counts for one subject that
// arrived: the syndrome itself, or the disease with those it includes
// (infectious diarrhoea counts norovirus cases too).
func subjectsFor(r cluster.Rule, subject string) ([]string, bool) {
	if d, ok := strings.CutPrefix(subject, "disease:"); ok {
		if !r.CountsDisease(d) {
			return nil, false
		}
		subjects := []string{subject}
		if r.Disease != cluster.AnyNotifiable {
			subjects = []string{cluster.Subject(r.Disease)}
			if dis, ok := cluster.FindDisease(r.Disease); ok {
				for _, inc := range dis.Includes {
					subjects = append(subjects, cluster.Subject(inc))
				}
			}
		}
		return subjects, true
	}
	return []string{subject}, r.CountsSyndrome(domain.Syndrome(subject))
}

// Touch evaluates the cluster rules for the units of a person who newly
// shows subjects on a date: the on-the-fly path, called after the record
// is committed (store.SetSubjectHook). Errors are logged: the daily pass
// evaluates everything again.
func (s *Service) Touch(ctx context.Context, personID int64, date string, subjects []string) {
	if err := s.touch(ctx, personID, date, subjects); err != nil {
		s.Log.Error("on-the-fly alert evaluation", "person", personID, "date", date, "err", err)
	}
}

func (s *Service) touch(ctx context.Context, personID int64, date string, subjects []string) error {
	ids, err := s.DB.PersonUnits(ctx, personID)
	if err != nil {
		return err
	}
	u := s.newUnits()
	rules, _, err := s.Rules(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		for _, subj := range subjects {
			if _, err := s.evaluate(ctx, u, rules, id, subj, date, personID); err != nil {
				return err
			}
		}
	}
	return nil
}

// evaluate checks every rule in force for one unit, one subject and one
// date, and raises an alert for each that fires. person is the person
// whose record caused the evaluation (0 in the daily pass): the rules of
// kind "person" are about them.
func (s *Service) evaluate(ctx context.Context, u *units, rules []cluster.Rule, orgID int64, subject, date string, person int64) (int, error) {
	o, err := u.org(ctx, orgID)
	if err != nil {
		return 0, err
	}
	// A single case (rules of kind "person") is reported once, in the
	// person's own unit.
	var self *domain.Person
	if person != 0 && strings.HasPrefix(subject, "disease:") {
		if p, err := s.DB.Person(ctx, domain.System(), person, false); err == nil && p.OrgID == orgID {
			self = p
		}
	}
	raised := 0
	for _, r := range cluster.InForce(rules, s.Profile) {
		kind := string(o.Kind)
		if self != nil && r.Applies(cluster.KindPerson) {
			kind = cluster.KindPerson
		}
		if !r.Applies(kind) {
			continue
		}
		subjects, ok := subjectsFor(r, subject)
		if !ok {
			continue
		}
		cal, err := u.calendar(ctx, o)
		if err != nil {
			return raised, err
		}
		dates, err := r.WindowDays(cal, date)
		if err != nil || len(dates) == 0 {
			continue
		}
		var people []store.SubjectPerson
		for _, subj := range subjects {
			ps, err := s.DB.SubjectPeople(ctx, orgID, subj, dates)
			if err != nil {
				return raised, err
			}
			people = append(people, ps...)
		}
		if kind == cluster.KindPerson {
			people = slices.DeleteFunc(people, func(p store.SubjectPerson) bool { return p.PersonID != person })
		}
		w := cluster.Window{Kind: kind, UnitName: o.Name, Dates: dates}
		if d, ok := strings.CutPrefix(subject, "disease:"); ok {
			w.Disease = d
		} else {
			w.Syndrome = domain.Syndrome(subject)
		}
		distinct := map[int64]bool{}
		onLast := map[int64]bool{}
		for _, p := range people {
			distinct[p.PersonID] = true
			if p.Date == date {
				onLast[p.PersonID] = true
			}
		}
		w.Count = len(distinct)
		if w.Count == 0 {
			continue
		}
		// A single case's alert names the unit, not the person: its text
		// goes to group robots and e-mail, and to accounts without
		// person-level access; the people behind an alert are listed
		// apart, for those who may see them.
		if r.Threshold.New {
			prev, err := cal.SchoolDaysBack(date, 2)
			if err == nil && len(prev) == 2 {
				before := map[int64]bool{}
				for _, subj := range subjects {
					ps, err := s.DB.SubjectPeople(ctx, orgID, subj, prev[:1])
					if err != nil {
						return raised, err
					}
					for _, p := range ps {
						before[p.PersonID] = true
					}
				}
				for id := range onLast {
					if !before[id] {
						w.NewToday++
					}
				}
			} else {
				w.NewToday = len(onLast)
			}
		}
		if r.Threshold.Percent > 0 {
			if w.People, err = u.population(ctx, orgID); err != nil {
				return raised, err
			}
		}
		fired, f := r.Check(w)
		if !fired {
			continue
		}
		if err := s.raiseRule(ctx, o, r, subject, date, dates, f, people); err != nil {
			return raised, err
		}
		raised++
	}
	return raised, nil
}

func (s *Service) raiseRule(ctx context.Context, o *domain.Org, r cluster.Rule, subject, date string, dates []string, f cluster.Finding, people []store.SubjectPerson) error {
	first := date
	for _, p := range people {
		first = min(first, p.Date)
	}
	value, threshold := float64(f.Value), float64(f.Threshold)
	if f.Threshold == 0 || (f.PercentThreshold > 0 && f.Value < f.Threshold) {
		value, threshold = f.Percent, f.PercentThreshold
	}
	detail, _ := json.Marshal(f)
	a := &store.Alert{OrgID: o.ID, OrgName: o.Name, OrgKind: string(o.Kind), Subject: subject, Source: "rule", Code: r.Code,
		Level: string(r.Level), FirstDate: first, LastDate: date, WindowDays: len(dates), Value: value, Threshold: threshold,
		Detail: detail, Title: f.TextZH, TitleEN: f.TextEN, SourceRef: r.Source}
	var zh, en []string
	for _, x := range r.Actions {
		zh, en = append(zh, x.ZH), append(en, x.EN)
	}
	a.Actions, a.ActionsEN = strings.Join(zh, "；"), strings.Join(en, "; ")
	var ap []store.AlertPerson
	for _, p := range people {
		ap = append(ap, store.AlertPerson{PersonID: p.PersonID, Date: p.Date})
	}
	var within *time.Duration
	if d, ok := r.ReportWithin(); ok {
		within = &d
	}
	return s.raise(ctx, a, ap, dates[0], date, within)
}

// raise stores an alert (or merges it) with its notifications. Alerts for
// past dates — the demo's history, a catch-up after downtime — are stored
// without notifications or an acknowledgement clock: nobody is paged
// about last month.
func (s *Service) raise(ctx context.Context, a *store.Alert, people []store.AlertPerson, mergeSince, date string, reportWithin *time.Duration) error {
	live := date >= s.today()
	var r recipients
	if live {
		now := s.now()
		if reportWithin != nil {
			t := now.Add(*reportWithin)
			a.ReportDueAt = &t
		}
		t := now.Add(s.ackWithin(a.Level))
		a.AckDueAt = &t
		steps, err := s.stepsFor(ctx, a.OrgID)
		if err != nil {
			return err
		}
		if len(steps) > 0 {
			r.accounts = steps[0]
		}
		if r.channels, err = s.channelsFor(ctx, a.OrgID, "alert", a.Level); err != nil {
			return err
		}
	}
	res, err := s.DB.RaiseAlert(ctx, a, people, mergeSince, func(res store.Raise) []store.Notification {
		if !live {
			return nil
		}
		switch {
		case !res.Merged:
			return s.notifications(res.Alert, "alert", "raised", r)
		case res.NewDay:
			// A merged alert that moved on to a new day tells its
			// recipients once that day, not at every new case.
			return s.notifications(res.Alert, "update", "day:"+res.Alert.LastDate, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !res.Merged {
		level := slog.LevelInfo
		if !live {
			level = slog.LevelDebug // a replay of history is not news
		}
		s.Log.Log(ctx, level, "alert raised", "alert", res.Alert.ID, "org", a.OrgName, "subject", a.Subject, "code", a.Code, "value", a.Value)
	}
	return nil
}

// UnitCalendar is the calendar that holds for a unit and where it comes
// from.
type UnitCalendar struct {
	Calendar *calendar.Calendar `json:"calendar"`
	// Source is "own" (stored for the unit), "inherited" (stored for an
	// ancestor, FromOrgID), "default" (the national school calendar) or
	// "every_day" (a community unit).
	Source    string `json:"source"`
	FromOrgID int64  `json:"from_org_id,omitempty"`
}

// CalendarFor returns the calendar the rules and detectors use for a unit.
func (s *Service) CalendarFor(ctx context.Context, orgID int64) (*UnitCalendar, error) {
	u := s.newUnits()
	o, err := u.org(ctx, orgID)
	if err != nil {
		return nil, err
	}
	cal, err := u.calendar(ctx, o)
	if err != nil {
		return nil, err
	}
	stored, err := s.DB.StoredCalendars(ctx)
	if err != nil {
		return nil, err
	}
	out := &UnitCalendar{Calendar: cal}
	nearest, ok := store.NearestCalendar(stored, o.Path)
	switch {
	case ok && nearest.OrgID == o.ID:
		out.Source, out.FromOrgID = "own", o.ID
	case ok:
		out.Source, out.FromOrgID = "inherited", nearest.OrgID
	case out.Calendar.EveryDay:
		out.Source = "every_day"
	default:
		out.Source = "default"
	}
	return out, nil
}

// SaveCalendar validates and stores a unit's own calendar.
func (s *Service) SaveCalendar(ctx context.Context, sc domain.Scope, orgID int64, c *calendar.Calendar, by string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.DB.SaveSchoolCalendar(ctx, sc, orgID, string(doc), by)
}
