package web_test

import (
	"strings"
	"testing"

	"epiguard/internal/testdb"
)

// The dashboard opens on today's figures of the caller's scope, and on the
// active alerts for the roles that follow them.
func TestHomeShowsToday(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
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
