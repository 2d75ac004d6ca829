package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"epiguard/internal/cluster"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// counts returns a unit's counts of a subject by date.
func counts(t *testing.T, db *store.DB, org int64, subject string) map[string]int {
	t.Helper()
	cs, err := db.SubjectSeries(context.Background(), org, "2000-01-01", "2100-01-01")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range cs {
		if c.Subject == subject {
			out[c.Date] = c.N
		}
	}
	return out
}

func TestSurveillanceCounts(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		var people []*domain.Person
		for i, code := range []string{"S1G1C1", "S1G1C1", "S1G1C2"} {
			p := &domain.Person{ExternalID: "s" + itoa(int64(i)), Name: "学生", OrgID: o[code].ID}
			if err := db.CreatePerson(ctx, admin, p); err != nil {
				t.Fatal(err)
			}
			people = append(people, p)
		}
		// The first two share a dorm room.
		for _, p := range people[:2] {
			if err := db.SetMembership(ctx, admin, p.ID, o["S1B1R101"].ID, "", false); err != nil {
				t.Fatal(err)
			}
		}
		var heard []string
		db.SetSubjectHook(func(ctx context.Context, personID int64, date string, subjects []string) {
			heard = append(heard, subjects...)
		})
		today := "2026-11-25"
		rules := domain.CheckinRules{Today: today}
		th := domain.DefaultThresholds
		fever := func(p *domain.Person, slot string, temp float64, syms ...string) {
			t.Helper()
			c := &domain.Checkin{PersonID: p.ID, Date: today, Slot: slot, TemperatureC: f64(temp), Symptoms: syms}
			if _, err := db.RecordCheckin(ctx, admin, c, rules, th, "zh-CN"); err != nil {
				t.Fatal(err)
			}
		}
		// Fever at the morning and the noon check: one person, once.
		fever(people[0], "morning", 38.5, "cough")
		fever(people[0], "noon", 38.2)
		fever(people[1], "morning", 37.6)
		fever(people[2], "morning", 36.5)
		for code, want := range map[string]int{"S1G1C1": 2, "S1G1C2": 0, "S1G1": 2, "S1": 2, "D1": 2, "S1B1R101": 2, "S1B1": 2, "S2": 0} {
			if got := counts(t, db, o[code].ID, "fever")[today]; got != want {
				t.Errorf("%s fever = %d, want %d", code, got, want)
			}
		}
		if got := counts(t, db, o["S1"].ID, "ili")[today]; got != 1 {
			t.Errorf("S1 ili = %d, want 1", got)
		}
		if !slices.Contains(heard, "ili") || !slices.Contains(heard, "respiratory") {
			t.Errorf("hook heard %v", heard)
		}
		// A revision to normal at both slots takes the person back out.
		fever(people[0], "morning", 36.6)
		if got := counts(t, db, o["S1"].ID, "fever")[today]; got != 2 {
			t.Errorf("after morning revision fever = %d, want 2 (noon still has fever)", got)
		}
		fever(people[0], "noon", 36.6)
		if got := counts(t, db, o["S1"].ID, "fever")[today]; got != 1 {
			t.Errorf("after both revisions fever = %d, want 1", got)
		}
		// An illness absence diagnosed with varicella counts the disease and
		// the rash, on its first day.
		a := &domain.Absence{PersonID: people[2].ID, StartDate: today, Symptoms: []string{"rash"}, Diagnosis: "水痘"}
		if err := db.CreateAbsence(ctx, admin, a, today); err != nil {
			t.Fatal(err)
		}
		if got := counts(t, db, o["S1G1C2"].ID, cluster.Subject("varicella"))[today]; got != 1 {
			t.Errorf("varicella = %d", got)
		}
		if got := counts(t, db, o["S1G1C2"].ID, "rash")[today]; got != 1 {
			t.Errorf("rash = %d", got)
		}
		// A gate scan with fever counts; a second one the same day does not.
		at, _ := time.ParseInLocation("2006-01-02 15:04", today+" 07:30", time.FixedZone("CST", 8*3600))
		for range 2 {
			if err := db.RecordGateScan(ctx, &domain.GateScan{OrgID: o["S1"].ID, Gate: "东门", PersonID: &people[2].ID, At: at,
				Method: "external_id", TemperatureC: f64(37.8), Decision: "refer"}, "", time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if got := counts(t, db, o["S1"].ID, "fever")[today]; got != 2 {
			t.Errorf("fever after gate = %d, want 2", got)
		}
		ppl, err := db.SubjectPeople(ctx, o["S1"].ID, "fever", []string{today})
		if err != nil || len(ppl) != 2 {
			t.Fatalf("people behind fever: %+v %v", ppl, err)
		}
		// Rebuilding from the raw records gives the same numbers.
		before, _ := db.SubjectCounts(ctx, "2000-01-01", "2100-01-01")
		if err := db.RebuildSurveillance(ctx, th); err != nil {
			t.Fatal(err)
		}
		after, _ := db.SubjectCounts(ctx, "2000-01-01", "2100-01-01")
		if !slices.Equal(before, after) {
			t.Errorf("rebuild differs:\n%v\n%v", before, after)
		}
	})
}

func TestAlertLifecycle(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		p := &domain.Person{ExternalID: "x1", Name: "学生", OrgID: o["S1G1C1"].ID}
		if err := db.CreatePerson(ctx, admin, p); err != nil {
			t.Fatal(err)
		}
		due := time.Now().Add(time.Hour)
		notes := func(r store.Raise) []store.Notification {
			if !r.Changed {
				return nil
			}
			return []store.Notification{{Channel: "inbox", Target: "account:1", Kind: "alert", Title: r.Alert.Title,
				DedupeKey: "alert:" + itoa(r.Alert.ID) + ":" + r.Alert.LastDate}}
		}
		raise := func(date string, value float64) store.Raise {
			t.Helper()
			a := &store.Alert{OrgID: o["S1G1C1"].ID, Subject: "fever", Source: "rule", Code: "similar_1d", Level: "cluster",
				FirstDate: date, LastDate: date, WindowDays: 1, Value: value, Threshold: 3, Title: "发热聚集", AckDueAt: &due,
				Detail: json.RawMessage(`{"n":3}`)}
			r, err := db.RaiseAlert(ctx, a, []store.AlertPerson{{PersonID: p.ID, Date: date}}, "2026-11-20", notes)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		r1 := raise("2026-11-24", 3)
		r2 := raise("2026-11-24", 3) // the same again: merged, nothing new
		r3 := raise("2026-11-25", 4) // the next day: merged, moved
		if r1.Merged || !r2.Merged || r2.Changed || !r3.Merged || !r3.Changed || r3.Alert.ID != r1.Alert.ID {
			t.Fatalf("merge: %+v %+v %+v", r1, r2, r3)
		}
		health := scopeOf(o["S1"], domain.RoleHealth)
		other := scopeOf(o["S2"], domain.RoleHealth)
		if _, err := db.Alert(ctx, other, r1.Alert.ID); domain.ErrorCode(err) != domain.ENotFound {
			t.Fatalf("out of scope alert: %v", err)
		}
		a, err := db.Alert(ctx, health, r1.Alert.ID)
		if err != nil || a.Value != 4 || a.LastDate != "2026-11-25" || len(a.People) != 2 || len(a.Events) != 2 || a.Fired != 2 {
			t.Fatalf("alert: %+v %v", a, err)
		}
		viewer := scopeOf(o["D1"], domain.RoleViewer)
		if a, err := db.Alert(ctx, viewer, r1.Alert.ID); err != nil || len(a.People) != 0 {
			t.Fatalf("viewer sees people: %+v %v", a, err)
		}
		// Closing needs a conclusion; states only move forward.
		if _, err := db.ChangeAlert(ctx, health, a.ID, store.AlertChange{To: "closed"}, "校医"); domain.ErrorCode(err) != domain.EInvalid {
			t.Fatalf("close without conclusion: %v", err)
		}
		if _, err := db.ChangeAlert(ctx, health, a.ID, store.AlertChange{To: "acknowledged", Note: "已知悉"}, "校医"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ChangeAlert(ctx, health, a.ID, store.AlertChange{To: "open"}, "校医"); domain.ErrorCode(err) != domain.EConflict {
			t.Fatalf("backwards: %v", err)
		}
		a, err = db.ChangeAlert(ctx, health, a.ID, store.AlertChange{To: "closed", Conclusion: "not_an_outbreak", Note: "普通感冒"}, "校医")
		if err != nil || a.State != "closed" || a.Conclusion != "not_an_outbreak" || a.ClosedAt == nil || a.AckDueAt != nil {
			t.Fatalf("closed: %+v %v", a, err)
		}
		// After closing, a new firing opens a new alert.
		if r := raise("2026-11-26", 3); r.Merged {
			t.Fatal("a closed alert took a new firing")
		}
		list, err := db.Alerts(ctx, health, store.AlertQuery{State: "active"})
		if err != nil || len(list) != 1 {
			t.Fatalf("active alerts: %d %v", len(list), err)
		}
		// Notifications were enqueued with the alert: the raise and the move.
		due2, _ := db.DueNotifications(ctx, 10)
		if len(due2) != 3 {
			t.Fatalf("notifications = %d, want 3", len(due2))
		}
		// Escalation happens once per due time, however many nodes try.
		past := time.Now().Add(-time.Minute)
		fresh := &store.Alert{OrgID: o["S1"].ID, Subject: "ili", Source: "rule", Code: "ili_cluster", Level: "cluster",
			FirstDate: "2026-11-26", LastDate: "2026-11-26", WindowDays: 7, Value: 10, Threshold: 10, Title: "ILI", AckDueAt: &past}
		if _, err := db.RaiseAlert(ctx, fresh, nil, "2026-11-19", nil); err != nil {
			t.Fatal(err)
		}
		overdue, err := db.UnacknowledgedDue(ctx, time.Now())
		if err != nil || len(overdue) != 1 {
			t.Fatalf("overdue: %v %v", overdue, err)
		}
		next := time.Now().Add(time.Hour)
		ok1, err1 := db.EscalateAlert(ctx, overdue[0], &next, "to the principal", nil)
		ok2, err2 := db.EscalateAlert(ctx, overdue[0], &next, "to the principal", nil)
		if !ok1 || ok2 || err1 != nil || err2 != nil {
			t.Fatalf("escalate twice: %v %v %v %v", ok1, ok2, err1, err2)
		}
	})
}

func TestChannelsAndDelivery(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["S1"], domain.RoleAdmin)
		ch := &store.Channel{OrgID: o["S1"].ID, Kind: "wecom", Name: "校医群", TargetMasked: "https://qyapi…****abcd", Enabled: true}
		secretURL := `{"kind":"wecom","url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key-abcd"}`
		if err := db.CreateChannel(ctx, admin, ch, secretURL); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateChannel(ctx, admin, &store.Channel{OrgID: o["S2"].ID, Kind: "wecom", Name: "x", TargetMasked: "x"}, "{}"); domain.ErrorCode(err) != domain.EInvalid {
			t.Fatalf("channel out of scope: %v", err)
		}
		for_, err := db.ChannelsFor(ctx, o["S1G1C1"].ID)
		if err != nil || len(for_) != 1 || for_[0].ID != ch.ID {
			t.Fatalf("channels for a class: %v %v", for_, err)
		}
		_, plain, err := db.ChannelSecret(ctx, ch.ID)
		if err != nil || plain != secretURL {
			t.Fatalf("secret round trip: %q %v", plain, err)
		}
		// Two notifications for the channel, claimed once.
		target := store.ChannelTarget(ch.ID)
		if _, err := db.Enqueue(ctx, []store.Notification{
			{Channel: "wecom", Target: target, Kind: "alert", Title: "a", DedupeKey: "k1"},
			{Channel: "wecom", Target: target, Kind: "alert", Title: "b", DedupeKey: "k2"},
		}); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimDue(ctx, time.Minute, 100)
		if err != nil || len(claimed[target]) != 2 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		again, _ := db.ClaimDue(ctx, time.Minute, 100)
		if len(again) != 0 {
			t.Fatalf("claimed twice: %v", again)
		}
		ids := []int64{claimed[target][0].ID, claimed[target][1].ID}
		if err := db.FinishDelivery(ctx, store.DeliveryResult{Target: target, IDs: ids, Attempted: true, Error: "HTTP 502", RetryAt: time.Now().Add(-time.Second)}); err != nil {
			t.Fatal(err)
		}
		retry, _ := db.ClaimDue(ctx, time.Minute, 100)
		if len(retry[target]) != 2 || retry[target][0].Attempts != 1 {
			t.Fatalf("retry: %+v", retry)
		}
		if err := db.FinishDelivery(ctx, store.DeliveryResult{Target: target, IDs: ids, Attempted: true, OK: true}); err != nil {
			t.Fatal(err)
		}
		log, err := db.Deliveries(ctx, target, 10)
		if err != nil || len(log) != 2 || !log[0].OK || log[1].OK || len(log[0].NotificationIDs) != 2 {
			t.Fatalf("delivery log: %+v %v", log, err)
		}
		sent, _ := db.SentSince(ctx, target, time.Now().Add(-time.Minute))
		if len(sent) != 2 {
			t.Fatalf("sent since = %d", len(sent))
		}
		if left, _ := db.ClaimDue(ctx, time.Minute, 100); len(left) != 0 {
			t.Fatalf("sent notifications claimed again: %v", left)
		}
	})
}

// A dorm room's missing list and absences hold its members, whose primary
// unit is a class elsewhere in the school.
func TestUnitListsIncludeMembers(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		p := &domain.Person{ExternalID: "m1", Name: "住校生", OrgID: o["S1G1C1"].ID}
		if err := db.CreatePerson(ctx, admin, p); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMembership(ctx, admin, p.ID, o["S1B1R101"].ID, "", false); err != nil {
			t.Fatal(err)
		}
		room := o["S1B1R101"].ID
		missing, err := db.Missing(ctx, admin, room, "2026-11-25", "")
		if err != nil || len(missing) != 1 || missing[0].ID != p.ID {
			t.Fatalf("missing in the room: %+v %v", missing, err)
		}
		if err := db.CreateAbsence(ctx, admin, &domain.Absence{PersonID: p.ID, StartDate: "2026-11-25"}, "2026-11-25"); err != nil {
			t.Fatal(err)
		}
		abs, err := db.Absences(ctx, admin, store.AbsenceQuery{OrgID: room})
		if err != nil || len(abs) != 1 {
			t.Fatalf("absences in the room: %d %v", len(abs), err)
		}
		if missing, _ := db.Missing(ctx, admin, room, "2026-11-25", ""); len(missing) != 0 {
			t.Fatalf("an absent member is still missing: %+v", missing)
		}
	})
}
