package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"epiguard/internal/domain"
	"epiguard/internal/testdb"
)

// The dashboard opens on today's figures of the caller's scope, and on the
// active alerts for the roles that follow them.
func TestHomeShowsToday(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	// The viewer sees aggregates only, of units of 10 people or more.
	if st, body := f.signIn("viewer").page("/"); st != 200 || !strings.Contains(body, "本单位人数少于 10 人") {
		t.Errorf("viewer of 3 people: home = %d without saying why there are no figures", st)
	}
	for i := range 8 {
		if err := f.db.CreatePerson(context.Background(), domain.System(), &domain.Person{ExternalID: fmt.Sprintf("h%d", i), Name: "学生",
			OrgID: f.orgs["C1"].ID}); err != nil {
			t.Fatal(err)
		}
	}
	for user, alerts := range map[string]bool{"admin": true, "health": true, "teacher": true, "viewer": true, "guard": false} {
		st, body := f.signIn(user).page("/")
		if st != 200 || !strings.Contains(body, "今日打卡") || !strings.Contains(body, "/daily") {
			t.Errorf("%s: home = %d without today's figures", user, st)
		}
		if got := strings.Contains(body, "未关闭的预警"); got != alerts {
			t.Errorf("%s: alerts card shown = %v", user, got)
		}
	}
}
