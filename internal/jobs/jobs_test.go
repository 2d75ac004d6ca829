package jobs_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/jobs"
	"epiguard/internal/secret"
	"epiguard/internal/status"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdb.Shutdown()
	os.Exit(code)
}

func TestRemindersReachTheInboxOnce(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			box, _ := secret.NewBox(make([]byte, secret.KeySize))
			db, err := store.Open(ctx, e.DSN(t), store.Options{Box: box})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			school := &domain.Org{Kind: "school", Code: "S", Name: "学校"}
			db.CreateOrg(ctx, domain.System(), school)
			class := &domain.Org{Kind: "class", Code: "C", Name: "一班", ParentID: &school.ID}
			db.CreateOrg(ctx, domain.System(), class)
			for _, n := range []string{"a", "b"} {
				if err := db.CreatePerson(ctx, domain.System(), &domain.Person{ExternalID: n, Name: "学生" + n, OrgID: class.ID}); err != nil {
					t.Fatal(err)
				}
			}
			teacher := &domain.Account{Username: "t", Role: domain.RoleTeacher, OrgID: class.ID}
			if err := db.CreateAccount(ctx, domain.System(), teacher, "pw123"); err != nil {
				t.Fatal(err)
			}
			loc := time.UTC
			remind := jobs.RemindMissing(db, jobs.Reminders{Times: []string{"08:00"}, Loc: loc})
			deliver := jobs.DeliverOutbox(db)
			monday := time.Date(2026, 11, 23, 7, 59, 0, 0, loc)
			for _, now := range []time.Time{monday, monday.Add(2 * time.Minute), monday.Add(3 * time.Minute)} {
				if err := remind(ctx, now); err != nil {
					t.Fatal(err)
				}
				if err := deliver(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			items, unread, err := db.Inbox(ctx, teacher.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || unread != 1 || items[0].Title != "一班 尚有 2 人未打卡" {
				t.Fatalf("inbox = %+v", items)
			}
		})
	}
}

// Teachers hear about missing check-ins on school days only, as the
// unit's school calendar has them: not on a weekday of the National Day
// holiday, but on the Saturday made up for it (调休).
func TestRemindersFollowTheSchoolCalendar(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.Store(t, e.DSN(t))
			_, class := schoolAndClass(t, db)
			if err := db.CreatePerson(ctx, domain.System(), &domain.Person{ExternalID: "a", Name: "学生a", OrgID: class.ID}); err != nil {
				t.Fatal(err)
			}
			teacher := &domain.Account{Username: "t", Role: domain.RoleTeacher, OrgID: class.ID}
			if err := db.CreateAccount(ctx, domain.System(), teacher, "pw123"); err != nil {
				t.Fatal(err)
			}
			remind := jobs.RemindMissing(db, jobs.Reminders{Times: []string{"08:00"}, Loc: time.UTC})
			deliver := jobs.DeliverOutbox(db)
			for _, now := range []time.Time{
				time.Date(2026, 10, 1, 8, 1, 0, 0, time.UTC),  // 国庆节, a Thursday
				time.Date(2026, 10, 10, 8, 1, 0, 0, time.UTC), // 国庆节调休, a Saturday
			} {
				if err := remind(ctx, now); err != nil {
					t.Fatal(err)
				}
				if err := deliver(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			items, _, err := db.Inbox(ctx, teacher.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || !strings.Contains(items[0].Link, "date=2026-10-10") {
				t.Fatalf("inbox = %+v, want the one reminder of the make-up Saturday", items)
			}
		})
	}
}

// Everyone's status is recomputed after midnight and again after the
// status rules change, on one node, with the change as the cause.
func TestStatusesFollowARuleChange(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.Store(t, e.DSN(t))
			school := &domain.Org{Kind: "school", Code: "S", Name: "学校"}
			if err := db.CreateOrg(ctx, domain.System(), school); err != nil {
				t.Fatal(err)
			}
			p := &domain.Person{ExternalID: "a", Name: "学生a", OrgID: school.ID}
			if err := db.CreatePerson(ctx, domain.System(), p); err != nil {
				t.Fatal(err)
			}
			refresh := jobs.RefreshStatuses(db, time.UTC)
			now := time.Now()
			for range 2 { // the second tick finds the day done
				if err := refresh(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			if st, _ := db.PersonStatus(ctx, domain.System(), p.ID, "zh-CN"); st.Level != "green" {
				t.Fatalf("status before the change = %+v", st)
			}
			rules, err := db.StatusRules(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rules.Rules = append(rules.Rules, status.Rule{Code: "drill", Level: status.Yellow, When: "!checked_in_today",
				MessageZH: "演练：今日未打卡", MessageEN: "Drill: no check-in today", Source: "test"})
			if _, err := db.SaveStatusRules(ctx, domain.System(), rules, "admin"); err != nil {
				t.Fatal(err)
			}
			if err := refresh(ctx, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			st, err := db.PersonStatus(ctx, domain.System(), p.ID, "zh-CN")
			if err != nil || st.Level != status.Yellow || len(st.Reasons) != 1 || st.Reasons[0].Code != "drill" {
				t.Fatalf("status after the change = %+v, %v", st, err)
			}
			hist, err := db.StatusHistory(ctx, domain.System(), p.ID, 10, "zh-CN")
			if err != nil || len(hist) == 0 || hist[0].Cause != "rules" {
				t.Fatalf("history = %+v, %v", hist, err)
			}
		})
	}
}

// A unit's channel that carries reminders (the class's WeCom group) gets
// the missing-check-in digest once per reminder time, however many
// teachers the class has; a channel that carries alerts only gets none.
func TestRemindersReachChannelsThatCarryThem(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.Store(t, e.DSN(t))
			sys := domain.System()
			school, class := schoolAndClass(t, db)
			if err := db.CreatePerson(ctx, sys, &domain.Person{ExternalID: "a", Name: "学生a", OrgID: class.ID}); err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"t1", "t2"} {
				if err := db.CreateAccount(ctx, sys, &domain.Account{Username: u, Role: domain.RoleTeacher, OrgID: class.ID}, "pw123456"); err != nil {
					t.Fatal(err)
				}
			}
			group := &store.Channel{OrgID: class.ID, Kind: "wecom", Name: "一班家长群", TargetMasked: "x", Enabled: true, Events: []string{"reminder"}}
			alertsOnly := &store.Channel{OrgID: school.ID, Kind: "wecom", Name: "校医群", TargetMasked: "y", Enabled: true}
			for _, ch := range []*store.Channel{group, alertsOnly} {
				if err := db.CreateChannel(ctx, sys, ch, `{"kind":"wecom","url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}`); err != nil {
					t.Fatal(err)
				}
			}
			remind := jobs.RemindMissing(db, jobs.Reminders{Times: []string{"08:00"}, Loc: time.UTC})
			monday := time.Date(2026, 11, 23, 8, 1, 0, 0, time.UTC)
			for _, now := range []time.Time{monday, monday.Add(time.Minute)} {
				if err := remind(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			inbox, err := db.DueNotifications(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			channels, err := db.ClaimDue(ctx, time.Minute, 100)
			if err != nil {
				t.Fatal(err)
			}
			group1, other := channels[store.ChannelTarget(group.ID)], channels[store.ChannelTarget(alertsOnly.ID)]
			if len(inbox) != 2 || len(group1) != 1 || len(other) != 0 || !strings.Contains(group1[0].Body, "学生a") {
				t.Fatalf("inbox %d, class group %v, school group %v; want one per teacher and one for the class group", len(inbox), group1, other)
			}
		})
	}
}

// schoolAndClass creates school S with class C (一班) in it.
func schoolAndClass(t *testing.T, db *store.DB) (school, class *domain.Org) {
	t.Helper()
	ctx := context.Background()
	school = &domain.Org{Kind: "school", Code: "S", Name: "学校"}
	if err := db.CreateOrg(ctx, domain.System(), school); err != nil {
		t.Fatal(err)
	}
	class = &domain.Org{Kind: "class", Code: "C", Name: "一班", ParentID: &school.ID}
	if err := db.CreateOrg(ctx, domain.System(), class); err != nil {
		t.Fatal(err)
	}
	return school, class
}
