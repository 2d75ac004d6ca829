package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

// TestMissedCheckinsFollowTheCalendar checks the "missing check-in for 2
// school days" rule of SPEC §5.6 against real calendars: a pupil is not
// missing during a public holiday, a make-up school day (调休) counts, a
// school's own closure does not, nobody misses days before they were
// registered, and people outside schools have no school days to miss.
func TestMissedCheckinsFollowTheCalendar(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cst := time.FixedZone("CST", 8*3600)
			now := time.Date(2026, 9, 1, 9, 0, 0, 0, cst)
			db := testdb.StoreWith(t, e.DSN(t), store.Options{Location: cst, Now: func() time.Time { return now }})
			sys := domain.System()
			org := func(parent *domain.Org, kind, code string) *domain.Org {
				o := &domain.Org{Kind: domain.OrgKind(kind), Code: code, Name: code}
				if parent != nil {
					o.ParentID = &parent.ID
				}
				if err := db.CreateOrg(ctx, sys, o); err != nil {
					t.Fatal(err)
				}
				return o
			}
			school := org(nil, "school", "S")
			class := org(school, "class", "C")
			street := org(nil, "street", "ST")
			household := org(org(street, "community", "CM"), "household", "H")
			person := func(ext string, unit *domain.Org) int64 {
				p := &domain.Person{ExternalID: ext, Name: ext, OrgID: unit.ID}
				if err := db.CreatePerson(ctx, sys, p); err != nil {
					t.Fatal(err)
				}
				return p.ID
			}
			pupil, resident := person("pupil", class), person("resident", household)
			for _, id := range []int64{pupil, resident} {
				c := &domain.Checkin{PersonID: id, Date: "2026-09-30", Slot: "morning", Source: "self"}
				if _, err := db.RecordCheckin(ctx, sys, c, domain.CheckinRules{Today: "2026-09-30", MaxAgeDays: 7}, domain.DefaultThresholds, "en"); err != nil {
					t.Fatal(err)
				}
			}
			now = time.Date(2026, 10, 8, 7, 0, 0, 0, cst)
			late := person("late", class) // registered on the first school day after the holiday

			missed := func(id int64, today string) bool {
				t.Helper()
				return slices.Contains(reasonsOn(t, db, id, today), "missed_checkins")
			}
			// National Day, 1–7 October 2026, is no school: the pupil who
			// checked in on 30 September has missed nothing on the 8th.
			// Nor has the resident, five weekdays later.
			if missed(pupil, "2026-10-08") {
				t.Error("pupil missing during the National Day holiday")
			}
			if missed(resident, "2026-10-08") {
				t.Error("resident missing school days")
			}
			// By Monday the 12th the pupil has missed Thursday, Friday and
			// the make-up Saturday; the late pupil Friday and Saturday.
			if !missed(pupil, "2026-10-12") {
				t.Error("pupil not missing after 8, 9 and 10 (make-up day) October")
			}
			if !missed(late, "2026-10-12") {
				t.Error("late pupil not missing after 9 and 10 October")
			}
			if missed(late, "2026-10-09") {
				t.Error("late pupil missing on the day after registration")
			}
			// The school closes on the 9th and 10th: one day missed.
			cal := calendar.Default(2025, 2027)
			cal.Closures = append(cal.Closures, calendar.Range{Name: "停课", Start: "2026-10-09", End: "2026-10-10"})
			doc, _ := json.Marshal(cal)
			if err := db.SaveSchoolCalendar(ctx, sys, school.ID, string(doc), "admin"); err != nil {
				t.Fatal(err)
			}
			if missed(late, "2026-10-12") {
				t.Error("late pupil missing on the days the school was closed")
			}
			// The pupil has now missed the 8th only: not yet two days.
			if missed(pupil, "2026-10-12") {
				t.Error("pupil missing two days with the school closed on two of three")
			}
		})
	}
}
