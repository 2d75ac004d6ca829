package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"epiguard/internal/alerting"
	"epiguard/internal/calendar"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// storeCalendars gives each demo school the calendar its history was
// simulated with: one term from before the first school day, weekends,
// and the history's holiday. Community units keep the every-day calendar.
func storeCalendars(ctx context.Context, db *store.DB, cal schoolCalendar) error {
	first := cal.all[0] // oldest first, like cal.days
	if len(cal.days) > 0 && cal.days[0].Before(first) {
		first = cal.days[0]
	}
	term := calendar.Term{Name: "演示学期", Start: first.AddDate(0, 0, -7).Format(time.DateOnly),
		End: first.AddDate(0, 6, 0).Format(time.DateOnly)}
	c := calendar.Calendar{Terms: []calendar.Term{term}}
	if len(cal.holiday) > 0 {
		c.Holidays = []calendar.Range{{Name: cal.holidayName, Start: cal.holiday[0].Format(time.DateOnly),
			End: cal.holiday[len(cal.holiday)-1].Format(time.DateOnly)}}
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("demo calendar: %w", err)
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	for _, code := range []string{"SYZX", "YGXX"} {
		o, err := db.OrgByCode(ctx, domain.System(), code)
		if err != nil {
			return fmt.Errorf("demo calendar of %s: %w", code, err)
		}
		if err := db.SaveSchoolCalendar(ctx, domain.System(), o.ID, string(doc), "demo"); err != nil {
			return err
		}
	}
	return nil
}

// raiseAlerts runs the real daily alert pass — cluster rules and
// detectors — over every day of the history, oldest first, as the daily
// job would have. Alerts of the past carry no notifications. Then the
// demo's health officer works through the old ones: a signal or cluster
// more than two weeks old has been looked into and closed (SPEC §6: the
// demo's alerts come from the detectors and workflows, never inserted).
func raiseAlerts(ctx context.Context, db *store.DB, logger *slog.Logger, cal schoolCalendar, today string) (int, error) {
	svc := &alerting.Service{DB: db, Log: logger, Loc: time.UTC,
		Now: func() time.Time { t, _ := time.Parse(time.DateOnly, today); return t }}
	raised := 0
	var dates []string
	for _, d := range cal.all {
		dates = append(dates, d.Format(time.DateOnly))
	}
	sums, err := svc.RunDays(ctx, dates)
	if err != nil {
		return raised, fmt.Errorf("demo alerts: %w", err)
	}
	for _, sum := range sums {
		raised += sum.Raised
	}
	t, _ := time.Parse(time.DateOnly, today)
	cutoff := t.AddDate(0, 0, -14).Format(time.DateOnly)
	alerts, err := db.Alerts(ctx, domain.System(), store.AlertQuery{State: "active", Limit: 1000})
	if err != nil {
		return raised, err
	}
	for _, a := range alerts {
		if a.LastDate >= cutoff {
			continue
		}
		// Diagnosed cases (the norovirus cluster) were an outbreak; the
		// symptom clusters and signals of the history were sporadic.
		change := store.AlertChange{To: store.AlertClosed, Conclusion: "not_an_outbreak", Note: "核实为散发病例，已加强晨午检（演示）"}
		if a.Source == "rule" && strings.HasPrefix(a.Subject, "disease:") {
			change = store.AlertChange{To: store.AlertClosed, Conclusion: "outbreak_confirmed", Note: "经流调确认并已报告辖区疾控，疫情已处置结束（演示）"}
		}
		if _, err := db.ChangeAlert(ctx, domain.System(), a.ID, change, "校医（演示）"); err != nil {
			return raised, fmt.Errorf("demo alerts: close %d: %w", a.ID, err)
		}
	}
	return raised, nil
}
