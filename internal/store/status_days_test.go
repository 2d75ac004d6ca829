package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

// The status reasons that count days (SPEC §5.6) count them as a school
// health officer does: days away ill with the absence registered are not
// missed check-ins, and checking in today ends the question; an absence
// stays open and its certificate missing however long ago it started; the
// list of open absences keeps those whose return is still to come; and
// declared risk-area travel counts for the window's days, the day of the
// declaration included.
func TestStatusDaysAsTheSchoolCountsThem(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cst := time.FixedZone("CST", 8*3600)
			now := time.Date(2026, 9, 1, 9, 0, 0, 0, cst)
			db := testdb.StoreWith(t, e.DSN(t), store.Options{Location: cst, Now: func() time.Time { return now }})
			sys := domain.System()
			school := &domain.Org{Kind: "school", Code: "S", Name: "学校"}
			if err := db.CreateOrg(ctx, sys, school); err != nil {
				t.Fatal(err)
			}
			class := &domain.Org{Kind: "class", Code: "C", Name: "一班", ParentID: &school.ID}
			if err := db.CreateOrg(ctx, sys, class); err != nil {
				t.Fatal(err)
			}
			person := func(ext string) int64 {
				p := &domain.Person{ExternalID: ext, Name: ext, OrgID: class.ID}
				if err := db.CreatePerson(ctx, sys, p); err != nil {
					t.Fatal(err)
				}
				return p.ID
			}
			checkin := func(id int64, date string, travel bool) {
				t.Helper()
				c := &domain.Checkin{PersonID: id, Date: date, Slot: "morning", Source: "self", RiskAreaTravel: travel}
				if _, err := db.RecordCheckin(ctx, sys, c, domain.CheckinRules{Today: date, MaxAgeDays: 7}, domain.DefaultThresholds, "en"); err != nil {
					t.Fatal(err)
				}
			}
			reasons := func(id int64, today string) []string { return reasonsOn(t, db, id, today) }
			has := func(id int64, today, code string) bool { return slices.Contains(reasons(id, today), code) }
			ill, away, tb, traveller := person("ill"), person("away"), person("tb"), person("traveller")

			// Monday 14 September: everyone checks in.
			now = time.Date(2026, 9, 14, 8, 0, 0, 0, cst)
			for _, id := range []int64{ill, away, tb, traveller} {
				checkin(id, "2026-09-14", id == traveller)
			}
			// ill is away Tuesday and Wednesday, registered; away is just
			// not heard of.
			now = time.Date(2026, 9, 15, 8, 0, 0, 0, cst)
			if err := db.CreateAbsence(ctx, sys, &domain.Absence{PersonID: ill, StartDate: "2026-09-15", ReturnDate: "2026-09-17",
				Symptoms: []string{"fever"}}, "2026-09-15"); err != nil {
				t.Fatal(err)
			}
			now = time.Date(2026, 9, 17, 7, 0, 0, 0, cst)
			if has(ill, "2026-09-17", "missed_checkins") {
				t.Error("days away ill counted as missed check-ins")
			}
			if !has(away, "2026-09-17", "missed_checkins") {
				t.Error("two unexplained school days not counted as missed")
			}
			checkin(away, "2026-09-17", false)
			if has(away, "2026-09-17", "missed_checkins") {
				t.Error("missed check-ins still a reason after checking in today")
			}
			// Travel declared on Monday the 14th counts for 7 days: to
			// Sunday the 20th.
			if !has(traveller, "2026-09-20", "risk_area_travel") || has(traveller, "2026-09-21", "risk_area_travel") {
				t.Errorf("risk window: 20th %v, 21st %v", reasons(traveller, "2026-09-20"), reasons(traveller, "2026-09-21"))
			}

			// Tuberculosis, away since 14 September with no return yet:
			// still open and without its certificate in mid-November.
			if err := db.CreateAbsence(ctx, sys, &domain.Absence{PersonID: tb, StartDate: "2026-09-14", Diagnosis: "tuberculosis",
				Symptoms: []string{"cough"}}, "2026-09-17"); err != nil {
				t.Fatal(err)
			}
			now = time.Date(2026, 11, 20, 8, 0, 0, 0, cst)
			if got := reasons(tb, "2026-11-20"); !slices.Contains(got, "absence_open") || !slices.Contains(got, "return_certificate_missing") {
				t.Errorf("a 67-day absence: reasons %v", got)
			}

			// On 16 September, ill's absence (return on the 17th) is open.
			now = time.Date(2026, 9, 16, 8, 0, 0, 0, cst)
			open, err := db.Absences(ctx, sys, store.AbsenceQuery{OrgID: class.ID, OpenOnly: true, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(open, func(a *domain.Absence) bool { return a.PersonID == ill }) {
				t.Error("an absence whose return date is still to come is not listed as open")
			}
		})
	}
}
