package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// together runs fn n times at once and returns the errors, in order.
func together(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// Requests that read, decide and write about the same person, unit or job
// arrive at once: on PostgreSQL from several app nodes, each serving
// requests in parallel. Each must see what the one before it wrote, as on
// SQLite's single writer: a slot's record is revised, never inserted
// twice; the daily counts count a person once; one illness is one absence;
// one unit's alert absorbs the same cluster raised again; a daily job runs
// on one node.
func TestConcurrentWritesAboutOneThing(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		var people []*domain.Person
		for i := range 3 {
			p := &domain.Person{ExternalID: "w" + itoa(int64(i)), Name: "学生", OrgID: o["S1G1C1"].ID}
			if err := db.CreatePerson(ctx, admin, p); err != nil {
				t.Fatal(err)
			}
			people = append(people, p)
		}
		const today = "2026-11-25"
		rules := domain.CheckinRules{Today: today}
		record := func(c *domain.Checkin) error {
			_, err := db.RecordCheckin(ctx, admin, c, rules, domain.DefaultThresholds, "zh-CN")
			return err
		}

		// Eight submissions of one slot: one record, seven revisions.
		for i, err := range together(8, func(i int) error {
			return record(&domain.Checkin{PersonID: people[0].ID, Date: today, Slot: "morning", TemperatureC: f64(36.5),
				ClientID: "same-slot-" + itoa(int64(i))})
		}) {
			if err != nil {
				t.Fatalf("submission %d: %v", i, err)
			}
		}
		cs, err := db.Checkins(ctx, admin, people[0].ID, today)
		if err != nil || len(cs) != 1 || cs[0].Revision != 8 {
			t.Fatalf("records = %d (revision %d), %v; want one at revision 8", len(cs), cs[0].Revision, err)
		}

		// A fever in every slot at once: the person counts once a day.
		slots := []string{"morning", "noon", "evening"}
		for i, err := range together(6, func(i int) error {
			return record(&domain.Checkin{PersonID: people[1].ID, Date: today, Slot: slots[i%3], TemperatureC: f64(38.3),
				Symptoms: []string{"fever"}, ClientID: "fever-" + itoa(int64(i))})
		}) {
			if err != nil {
				t.Fatalf("fever %d: %v", i, err)
			}
		}
		d, err := db.DailySummary(ctx, admin, o["S1G1C1"].ID, today, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.CheckedIn != 2 || d.Abnormal[domain.SynFever] != 1 {
			t.Fatalf("daily = checked in %d, fever %d; want 2 and 1", d.CheckedIn, d.Abnormal[domain.SynFever])
		}

		// Six registrations of one illness: one absence, five conflicts.
		created := 0
		for _, err := range together(6, func(i int) error {
			return db.CreateAbsence(ctx, admin, &domain.Absence{PersonID: people[2].ID, StartDate: today, Symptoms: []string{"fever"}}, today)
		}) {
			switch domain.ErrorCode(err) {
			case "":
				created++
			case domain.EConflict:
			default:
				t.Fatalf("absence: %v", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d absences created, want 1", created)
		}

		// The same cluster raised by several nodes: one alert.
		for _, err := range together(4, func(i int) error {
			a := &store.Alert{OrgID: o["S1G1C1"].ID, Subject: "fever", Source: "rule", Code: "similar_1d", Level: "cluster",
				FirstDate: today, LastDate: today, WindowDays: 1, Value: 3, Threshold: 3, Title: "发热聚集",
				Detail: json.RawMessage(`{}`)}
			_, err := db.RaiseAlert(ctx, a, nil, "2026-11-20", nil)
			return err
		}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		alerts, err := db.Alerts(ctx, admin, store.AlertQuery{OrgID: o["S1G1C1"].ID})
		if err != nil || len(alerts) != 1 {
			t.Fatalf("alerts = %d, %v; want 1", len(alerts), err)
		}

		// A daily job claimed by several nodes at once runs on one.
		claims := 0
		var mu sync.Mutex
		for _, err := range together(4, func(i int) error {
			ok, err := db.ClaimJob(ctx, "detect", today+" 07:00", time.Hour)
			if ok {
				mu.Lock()
				claims++
				mu.Unlock()
			}
			return err
		}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		if claims != 1 {
			t.Fatalf("%d nodes claimed the job, want 1", claims)
		}
		// A claim that lapsed (its node stopped) is taken over; a job
		// marked done is not claimed again.
		if ok, err := db.ClaimJob(ctx, "detect", today+" 07:00", 0); err != nil || !ok {
			t.Fatalf("lapsed claim: %v %v", ok, err)
		}
		if err := db.MarkJobDone(ctx, "detect", today+" 07:00"); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.ClaimJob(ctx, "detect", today+" 07:00", 0); err != nil || ok {
			t.Fatalf("claim of a done job: %v %v", ok, err)
		}
	})
}
