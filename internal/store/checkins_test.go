package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/status"
	"epiguard/internal/store"
)

func f64(v float64) *float64 { return &v }

func TestCheckinsStatusAndDaily(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		var people []*domain.Person
		for i, code := range []string{"S1G1C1", "S1G1C1", "S1G1C1", "S1G1C2"} {
			p := &domain.Person{ExternalID: "p" + itoa(int64(i)), Name: "学生", OrgID: o[code].ID}
			if err := db.CreatePerson(ctx, admin, p); err != nil {
				t.Fatal(err)
			}
			people = append(people, p)
		}
		today := "2026-11-25" // a Wednesday
		rules := domain.CheckinRules{Today: today}
		th := domain.DefaultThresholds
		teacher := scopeOf(o["S1G1C1"], domain.RoleTeacher)

		// Validation errors name the field.
		bad := &domain.Checkin{PersonID: people[0].ID, Date: "2026-11-26", TemperatureC: f64(44), Symptoms: []string{"sneezing"}}
		_, err := db.RecordCheckin(ctx, teacher, bad, rules, th, "zh-CN")
		if fields := domain.ErrorFields(err); len(fields) != 3 {
			t.Fatalf("validation = %v", err)
		}
		// Another class's pupil is out of the teacher's scope.
		if _, err := db.RecordCheckin(ctx, teacher, &domain.Checkin{PersonID: people[3].ID}, rules, th, "zh-CN"); domain.ErrorCode(err) != domain.EInvalid {
			t.Fatalf("out of scope check-in: %v", err)
		}
		// A fever with a cough: yellow, with the reason.
		c := &domain.Checkin{PersonID: people[0].ID, Date: today, Slot: "morning", TemperatureC: f64(38.4), Symptoms: []string{"cough"}, ClientID: "c-1"}
		res, err := db.RecordCheckin(ctx, teacher, c, rules, th, "zh-CN")
		if err != nil {
			t.Fatal(err)
		}
		if res.Status.Level != status.Yellow || len(res.Status.Reasons) == 0 || res.Checkin.Revision != 1 {
			t.Fatalf("fever check-in: %+v", res)
		}
		// A retry with the same client_id changes nothing.
		again := &domain.Checkin{PersonID: people[0].ID, Date: today, Slot: "morning", TemperatureC: f64(36.5), ClientID: "c-1"}
		res2, err := db.RecordCheckin(ctx, teacher, again, rules, th, "zh-CN")
		if err != nil || !res2.Replayed || res2.Checkin.ID != res.Checkin.ID || *res2.Checkin.TemperatureC != 38.4 {
			t.Fatalf("replay: %+v %v", res2, err)
		}
		// A new submission revises the record and keeps the old version.
		rev := &domain.Checkin{PersonID: people[0].ID, Date: today, Slot: "morning", TemperatureC: f64(36.6), ClientID: "c-2"}
		res3, err := db.RecordCheckin(ctx, teacher, rev, rules, th, "en")
		if err != nil || res3.Checkin.ID != res.Checkin.ID || res3.Checkin.Revision != 2 || res3.Status.Level != status.Green {
			t.Fatalf("revision: %+v %v", res3, err)
		}
		olds, err := db.CheckinRevisions(ctx, teacher, res.Checkin.ID)
		if err != nil || len(olds) != 1 || *olds[0].TemperatureC != 38.4 {
			t.Fatalf("revisions: %v %v", olds, err)
		}
		hist, _ := db.StatusHistory(ctx, teacher, people[0].ID, 10, "en")
		if len(hist) != 2 || hist[0].Level != status.Green || hist[1].Level != status.Yellow {
			t.Fatalf("history: %+v", hist)
		}
		// Person 1: GI today; person 2: absent ill; person 3 (other class) missing.
		if _, err := db.RecordCheckin(ctx, teacher, &domain.Checkin{PersonID: people[1].ID, Date: today, Symptoms: []string{"vomiting"}}, rules, th, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		ab := &domain.Absence{PersonID: people[2].ID, StartDate: today, OnsetDate: "2026-11-24", Symptoms: []string{"fever", "rash"}, Diagnosis: "varicella"}
		if err := db.CreateAbsence(ctx, teacher, ab, today); err != nil {
			t.Fatal(err)
		}
		if !ab.CertificateRequired {
			t.Fatal("varicella needs a return certificate")
		}
		st, _ := db.PersonStatus(ctx, teacher, people[2].ID, "zh-CN")
		if st.Level != status.Yellow {
			t.Fatalf("absent ill without certificate: %+v", st)
		}
		d, err := db.DailySummary(ctx, admin, o["S1"].ID, today, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Expected != 4 || d.CheckedIn != 2 || d.Missing != 1 || d.AbsentIll != 1 || d.Abnormal[domain.SynGI] != 1 || d.Abnormal[domain.SynFever] != 0 {
			t.Fatalf("daily: %+v", d)
		}
		var g1 *store.DailyFigures
		for _, c := range d.Children {
			if c.Code == "S1G1" {
				g1 = c
			}
		}
		if g1 == nil || g1.Expected != 4 {
			t.Fatalf("children: %+v", d.Children)
		}
		if d, _ := db.DailySummary(ctx, admin, o["S1G1C2"].ID, today, "morning"); d.Missing != 1 || d.Expected != 1 {
			t.Fatalf("class 2: %+v", d)
		}
		// The maintained counts equal a rebuild from the raw check-ins.
		if err := db.RebuildDailyCounts(ctx); err != nil {
			t.Fatal(err)
		}
		rebuilt, _ := db.DailySummary(ctx, admin, o["S1"].ID, today, "")
		if a, b := mustJSON(rebuilt), mustJSON(d); a != b {
			t.Fatalf("rebuilt counts differ:\n%s\n%s", a, b)
		}
		// Return with the certificate: green again.
		ret, cert, fu := "2026-11-25", "2026-11-25", "家长电话：已结痂"
		if _, err := db.UpdateAbsence(ctx, teacher, ab.ID, store.AbsenceUpdate{ReturnDate: &ret, CertificateReceived: &cert, Followup: &fu}, "班主任", today); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Absence(ctx, teacher, ab.ID)
		if len(got.Followups) != 1 || got.Followups[0].By != "班主任" {
			t.Fatalf("follow-ups: %+v", got.Followups)
		}
		if st, _ := db.PersonStatus(ctx, teacher, people[2].ID, "zh-CN"); st.Level != status.Green {
			t.Fatalf("after return: %+v", st)
		}
	})
}

func TestGateScansAndReplay(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		p := &domain.Person{ExternalID: "g1", Name: "门卫测试", OrgID: o["S1G1C1"].ID}
		if err := db.CreatePerson(ctx, domain.System(), p); err != nil {
			t.Fatal(err)
		}
		guard := scopeOf(o["S1"], domain.RoleGuard)
		if got, err := db.PersonByExternalID(ctx, guard, "g1"); err != nil || got.ID != p.ID {
			t.Fatalf("lookup: %v", err)
		}
		if _, err := db.PersonByExternalID(ctx, scopeOf(o["S2"], domain.RoleGuard), "g1"); domain.ErrorCode(err) != domain.ENotFound {
			t.Fatalf("other school's guard finds the person: %v", err)
		}
		exp := time.Now().Add(time.Minute)
		scan := &domain.GateScan{OrgID: o["S1"].ID, Gate: "东门", PersonID: &p.ID, Method: "qr", Decision: domain.Allow}
		if err := db.RecordGateScan(ctx, scan, "key-1", exp); err != nil {
			t.Fatal(err)
		}
		again := &domain.GateScan{OrgID: o["S1"].ID, Gate: "东门", PersonID: &p.ID, Method: "qr", Decision: domain.Allow}
		if err := db.RecordGateScan(ctx, again, "key-1", exp); err != store.ErrPassUsed {
			t.Fatalf("replayed pass: %v", err)
		}
		log, err := db.GateLog(ctx, guard, time.Now().UTC().Format(time.DateOnly), time.UTC, 10)
		if err != nil || len(log) != 1 || log[0].Name != "门卫测试" {
			t.Fatalf("gate log: %+v %v", log, err)
		}
		v := &domain.VisitorEntry{OrgID: o["S1"].ID, Name: "访客", IDNumber: validID("11010519800307123"), Phone: "13800138000", Host: "王老师", Purpose: "家访"}
		if err := db.CreateVisitor(ctx, guard, v); err != nil || v.ID == 0 || v.IDNumber != "" {
			t.Fatalf("visitor: %+v %v", v, err)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestConcurrentCheckins drives check-ins from many goroutines: on SQLite
// they share group commits, and a failing one must not undo the others.
func TestConcurrentCheckins(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		var ids []int64
		for i := 0; i < 40; i++ {
			p := &domain.Person{ExternalID: "c" + itoa(int64(i)), Name: "学生", OrgID: o["S1G1C1"].ID}
			if err := db.CreatePerson(ctx, domain.System(), p); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		rules := domain.CheckinRules{Today: "2026-11-25"}
		run := func(build func(i int, id int64) (*domain.Checkin, bool)) {
			t.Helper()
			errs := make(chan error, len(ids))
			for i, id := range ids {
				go func() {
					c, wantErr := build(i, id)
					_, err := db.RecordCheckin(ctx, domain.System(), c, rules, domain.DefaultThresholds, "zh-CN")
					if wantErr && domain.ErrorCode(err) != domain.EInvalid || !wantErr && err != nil {
						errs <- fmt.Errorf("check-in %d (want error %v): %v", i, wantErr, err)
						return
					}
					errs <- nil
				}()
			}
			for range ids {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
		}
		run(func(i int, id int64) (*domain.Checkin, bool) {
			return &domain.Checkin{PersonID: id, TemperatureC: f64(36.5), ClientID: "k" + itoa(int64(i))}, false
		})
		// Odd requests reuse another person's client_id and fail; the even
		// ones, committed in the same groups, must stay.
		run(func(i int, id int64) (*domain.Checkin, bool) {
			if i%2 == 1 {
				return &domain.Checkin{PersonID: id, Slot: "noon", ClientID: "k" + itoa(int64(i-1))}, true
			}
			return &domain.Checkin{PersonID: id, Slot: "noon", ClientID: "n" + itoa(int64(i))}, false
		})
		d, err := db.DailySummary(ctx, domain.System(), o["S1G1C1"].ID, "2026-11-25", "")
		if err != nil || d.CheckedIn != len(ids) {
			t.Fatalf("checked in = %d, %v", d.CheckedIn, err)
		}
		if noon, _ := db.DailySummary(ctx, domain.System(), o["S1G1C1"].ID, "2026-11-25", "noon"); noon.CheckedIn != len(ids)/2 {
			t.Fatalf("noon check-ins = %d, want %d", noon.CheckedIn, len(ids)/2)
		}
	})
}

// The roll reads a unit's records in one go: the check-ins and statuses of
// its people by primary unit and by membership (a dorm room's boarders),
// and nothing of people or units outside the caller's scope.
func TestUnitCheckinsAndStatuses(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		var people []*domain.Person
		for i, code := range []string{"S1G1C1", "S1G1C2", "S1G1C2"} {
			p := &domain.Person{ExternalID: "u" + itoa(int64(i)), Name: "学生", OrgID: o[code].ID}
			if err := db.CreatePerson(ctx, admin, p); err != nil {
				t.Fatal(err)
			}
			people = append(people, p)
		}
		// people[1], of class 2, boards in room 101.
		if err := db.SetMembership(ctx, admin, people[1].ID, o["S1B1R101"].ID, "boarder", false); err != nil {
			t.Fatal(err)
		}
		today := "2026-11-25"
		rules := domain.CheckinRules{Today: today}
		for i, p := range people {
			temp := 36.5
			if i == 1 {
				temp = 38.2
			}
			c := &domain.Checkin{PersonID: p.ID, Date: today, Slot: "morning", TemperatureC: &temp}
			if _, err := db.RecordCheckin(ctx, admin, c, rules, domain.DefaultThresholds, "zh-CN"); err != nil {
				t.Fatal(err)
			}
		}
		health := scopeOf(o["S1"], domain.RoleHealth)
		room, err := db.UnitCheckins(ctx, health, o["S1B1R101"].ID, today)
		if err != nil {
			t.Fatal(err)
		}
		if len(room) != 1 || len(room[people[1].ID]) != 1 || room[people[1].ID][0].Slot != "morning" {
			t.Fatalf("room 101 check-ins = %v, want the boarder's morning check", room)
		}
		class2, err := db.UnitCheckins(ctx, scopeOf(o["S1G1C2"], domain.RoleTeacher), o["S1G1C2"].ID, today)
		if err != nil || len(class2) != 2 || class2[people[0].ID] != nil {
			t.Fatalf("class 2 check-ins = %v, %v", class2, err)
		}
		st, err := db.UnitStatuses(ctx, health, o["S1B1R101"].ID, "zh-CN")
		if err != nil || st[people[1].ID].Level != "yellow" || len(st[people[1].ID].Reasons) == 0 || len(st) != 1 {
			t.Fatalf("room 101 statuses = %v, %v", st, err)
		}
		// Another class's teacher, a viewer: nothing.
		if _, err := db.UnitCheckins(ctx, scopeOf(o["S1G1C1"], domain.RoleTeacher), o["S1G1C2"].ID, today); domain.ErrorCode(err) != domain.ENotFound {
			t.Fatalf("other class's check-ins: %v", err)
		}
		if _, err := db.UnitStatuses(ctx, scopeOf(o["S1G1C1"], domain.RoleTeacher), o["S1G1C2"].ID, "zh-CN"); domain.ErrorCode(err) != domain.ENotFound {
			t.Fatalf("other class's statuses: %v", err)
		}
		if _, err := db.UnitCheckins(ctx, scopeOf(o["D1"], domain.RoleViewer), o["S1G1C2"].ID, today); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("viewer: %v", err)
		}
	})
}

// Accounts that see aggregates only do not get the figures of units of a
// few people, which would tell who in a household or a dorm room had a
// fever; such units still count in their parent's totals.
func TestDailySummaryKeepsSmallUnitsFromAggregateViewers(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		for i := range 14 {
			code := "S1G1C1"
			if i >= 12 {
				code = "S1G1C2"
			}
			if err := db.CreatePerson(ctx, admin, &domain.Person{ExternalID: "k" + itoa(int64(i)), Name: "学生", OrgID: o[code].ID}); err != nil {
				t.Fatal(err)
			}
		}
		viewer := scopeOf(o["D1"], domain.RoleViewer)
		d, err := db.DailySummary(ctx, viewer, o["S1G1"].ID, "2026-11-25", "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Expected != 14 || len(d.Children) != 1 || d.Children[0].OrgID != o["S1G1C1"].ID {
			t.Fatalf("viewer's grade: expected %d, children %v", d.Expected, d.Children)
		}
		if _, err := db.DailySummary(ctx, viewer, o["S1G1C2"].ID, "2026-11-25", ""); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("viewer's class of 2: %v", err)
		}
		full, err := db.DailySummary(ctx, scopeOf(o["S1"], domain.RoleHealth), o["S1G1"].ID, "2026-11-25", "")
		if err != nil || len(full.Children) != 2 {
			t.Fatalf("health officer's grade: %v, %v", full, err)
		}
	})
}
