package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// historyKey marks a database that holds the demo history, with the day it
// ends before.
const historyKey = "demo_history"

// importChunk bounds the check-ins of one ImportCheckins call (one
// transaction): a school day's worth.
const importChunk = 5000

// HistorySummary says what SeedHistory wrote.
type HistorySummary struct {
	From, To    string   // the first and the last school day
	SchoolDays  int      // school days from From to To
	Holiday     []string // the weekdays off in between
	HolidayName string
	Checkins    int // check-in records written
	// Due counts the morning check-ins expected at the two schools, Missed
	// those nobody made (SPEC §6: about 3 %).
	Due, Missed int
	Absences    int // illness absences registered
	Open        int // of which still open today: not back, or no certificate yet
	Alerts      int // firings of the cluster rules and detectors over the history
}

// SeedHistory writes the demo history of SPEC §6 for the people Seed
// loaded: the 60 school days before today (YYYY-MM-DD) — check-ins at both
// schools and in the community, illness absences with follow-ups, returns
// and certificates, an ILI cluster in one class last week, a norovirus
// cluster a month ago and a varicella case — and then computes everyone's
// status as of today. The history is simulated (simulate.go) from a fixed
// seed: the same today gives the same history. It is written through the
// store's ordinary paths (ImportCheckins, CreateAbsence, UpdateAbsence,
// RefreshStatuses), which validate it as real data.
//
// SeedHistory returns an EInvalid *domain.Error for a bad today or when the
// demo people are not in the database, and an EConflict one when the
// history was written before.
func SeedHistory(ctx context.Context, db *store.DB, logger *slog.Logger, today string) (*HistorySummary, error) {
	return seedHistory(ctx, db, logger, build(), today, HistoryDays)
}

// seedHistory is SeedHistory for the people of p over the given number of
// school days.
func seedHistory(ctx context.Context, db *store.DB, logger *slog.Logger, p *plan, today string, days int) (*HistorySummary, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The history's records do not evaluate the alert rules one by one;
	// the daily alert pass runs over every day at the end.
	ctx = store.Quietly(ctx)
	start := time.Now()
	day, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return nil, domain.Errorf(domain.EInvalid, "today %q is not a date YYYY-MM-DD", today)
	}
	if v, err := db.Setting(ctx, historyKey); err != nil {
		return nil, err
	} else if v != "" {
		return nil, domain.Errorf(domain.EConflict, "the database already holds the demo history (up to %s)", v)
	}
	ids, err := personIDs(ctx, db)
	if err != nil {
		return nil, err
	}
	s, err := newSim(p, ids, day, days)
	if err != nil {
		return nil, err
	}
	h := s.run()
	logger.Debug("demo: illnesses planned", "absences", len(h.absences), "elapsed", time.Since(start))

	sum := &HistorySummary{From: h.cal.days[0].Format(time.DateOnly), To: h.cal.days[len(h.cal.days)-1].Format(time.DateOnly),
		SchoolDays: len(h.cal.days), HolidayName: h.cal.holidayName, Absences: len(h.absences)}
	for _, d := range h.cal.holiday {
		sum.Holiday = append(sum.Holiday, d.Format(time.DateOnly))
	}
	for _, a := range h.absences {
		if a.open(len(h.cal.days)) {
			sum.Open++
		}
	}

	// Everyone was registered before the history began, a week before
	// its first day: the status rules count missed check-ins only from
	// registration on.
	if err := db.BackdateRegistrations(ctx, h.cal.days[0].AddDate(0, 0, -7)); err != nil {
		return nil, err
	}

	// Day by day, as it happened: the day's check-ins, then what was
	// registered about absences that day.
	var importing, absences time.Duration
	steps := h.steps
	for range h.cal.all {
		d, school, cs := h.day()
		t0 := time.Now()
		for len(cs) > 0 {
			n := min(len(cs), importChunk)
			if err := db.ImportCheckins(ctx, domain.System(), cs[:n], domain.DefaultThresholds); err != nil {
				return nil, fmt.Errorf("demo: history of %s: %w", d.Format(time.DateOnly), err)
			}
			sum.Checkins += n
			cs = cs[n:]
		}
		t1 := time.Now()
		importing += t1.Sub(t0)
		for len(steps) > 0 && steps[0].day == school {
			if err := writeStep(ctx, db, steps[0], h.cal.days); err != nil {
				return nil, err
			}
			steps = steps[1:]
		}
		absences += time.Since(t1)
		if school >= 0 && (school+1)%10 == 0 {
			logger.Info("demo history", "day", d.Format(time.DateOnly), "school_days", school+1, "of", len(h.cal.days),
				"checkins", sum.Checkins, "elapsed", time.Since(start).Round(time.Millisecond))
		}
	}
	sum.Due, sum.Missed = h.due, h.missed
	logger.Debug("demo: history written", "checkins", sum.Checkins, "import_checkins", importing, "absence_steps", len(h.steps),
		"absences", absences, "elapsed", time.Since(start))

	t0 := time.Now()
	everyone, err := db.PeopleIDs(ctx, 0)
	if err != nil {
		return nil, err
	}
	// The bulk check-in path leaves the per-unit daily counts to one
	// rebuild at the end.
	if err := db.RebuildDailyCounts(ctx); err != nil {
		return nil, err
	}
	if err := db.RebuildSurveillance(ctx, domain.DefaultThresholds); err != nil {
		return nil, err
	}
	if err := storeCalendars(ctx, db, h.cal); err != nil {
		return nil, err
	}
	t1 := time.Now()
	if sum.Alerts, err = raiseAlerts(ctx, db, logger, h.cal, today); err != nil {
		return nil, err
	}
	logger.Debug("demo: alerts raised", "firings", sum.Alerts, "elapsed", time.Since(t1))
	if err := db.RefreshStatuses(ctx, everyone, today, "demo"); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	logger.Debug("demo: statuses computed", "people", len(everyone), "refresh", time.Since(t0), "elapsed", time.Since(start))
	if err := db.SetSetting(ctx, historyKey, today); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	logger.Info("demo history written", "from", sum.From, "to", sum.To, "school_days", sum.SchoolDays, "checkins", sum.Checkins,
		"missed", sum.Missed, "absences", sum.Absences, "open", sum.Open, "elapsed", time.Since(start).Round(time.Millisecond))
	return sum, nil
}

// personIDs maps the external ids of everyone in the database to their ids.
func personIDs(ctx context.Context, db *store.DB) (map[string]int64, error) {
	ids := map[string]int64{}
	var after int64
	for {
		list, _, err := db.People(ctx, domain.System(), store.PeopleQuery{After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return ids, nil
		}
		for _, p := range list {
			ids[p.ExternalID] = p.ID
		}
		after = list[len(list)-1].ID
	}
}

// writeStep writes one step of an absence, as of the school day it
// happened on.
func writeStep(ctx context.Context, db *store.DB, st absenceStep, days []time.Time) error {
	a := st.a
	date := func(i int) string { return days[i].Format(time.DateOnly) }
	today := date(st.day)
	var err error
	switch st.kind {
	case "report":
		ab := &domain.Absence{PersonID: a.m.id, StartDate: today, OnsetDate: a.onset, Symptoms: a.symptoms,
			ReportedBy: a.reportedBy, Source: a.source}
		err = db.CreateAbsence(ctx, domain.System(), ab, today)
		a.id = ab.ID
	case "followup":
		u := store.AbsenceUpdate{Followup: &a.followupNote}
		if a.hospital != "" {
			u.SawDoctor, u.Hospital, u.Diagnosis = new(true), &a.hospital, &a.diagnosis
		}
		_, err = db.UpdateAbsence(ctx, domain.System(), a.id, u, a.m.class.teacher, today)
	case "back":
		u := store.AbsenceUpdate{ReturnDate: &today, Outcome: new("recovered")}
		if a.hospital != "" && a.followup < 0 {
			// Nobody called: what the doctor said comes with the pupil.
			u.SawDoctor, u.Hospital, u.Diagnosis = new(true), &a.hospital, &a.diagnosis
		}
		if a.cert == st.day {
			u.CertificateReceived = &today
		}
		_, err = db.UpdateAbsence(ctx, domain.System(), a.id, u, a.m.class.teacher, today)
	case "certificate":
		u := store.AbsenceUpdate{CertificateReceived: &today}
		_, err = db.UpdateAbsence(ctx, domain.System(), a.id, u, a.m.class.teacher, today)
	}
	if err != nil {
		return fmt.Errorf("demo: absence of %s from %s (%s on %s): %w", a.m.ext, date(a.start), st.kind, today, err)
	}
	return nil
}
