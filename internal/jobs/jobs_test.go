package jobs_test

import (
	"context"
	"os"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/jobs"
	"epiguard/internal/secret"
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
