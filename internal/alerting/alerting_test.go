package alerting_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"epiguard/internal/alerting"
	"epiguard/internal/domain"
	"epiguard/internal/notify"
	"epiguard/internal/secret"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdb.Shutdown()
	os.Exit(code)
}

// fakeWeCom is a WeCom group robot: it records every message it accepts.
type fakeWeCom struct {
	mu   sync.Mutex
	msgs []string
}

func (f *fakeWeCom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if r.URL.Query().Get("key") != "robot-key" || json.NewDecoder(r.Body).Decode(&body) != nil || body.MsgType != "markdown" {
		io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url"}`)
		return
	}
	f.mu.Lock()
	f.msgs = append(f.msgs, body.Markdown.Content)
	f.mu.Unlock()
	io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
}

// TestClusterAlertEndToEnd: the third pupil of a class with fever on one
// school day raises the similar-symptoms alert on the fly, its teacher and
// the school doctor find it in their inbox, the school's WeCom group gets
// it once, a daily pass the same day merges into it, and an alert nobody
// acknowledges climbs to the district.
func TestClusterAlertEndToEnd(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.Store(t, e.DSN(t))
			loc := time.FixedZone("CST", 8*3600)
			now := time.Date(2026, 11, 25, 9, 0, 0, 0, loc) // a Wednesday in term
			today := now.Format(time.DateOnly)
			sys := domain.System()
			orgs := map[string]*domain.Org{}
			add := func(parent, kind, code string) {
				o := &domain.Org{Kind: domain.OrgKind(kind), Code: code, Name: code}
				if parent != "" {
					o.ParentID = &orgs[parent].ID
				}
				if err := db.CreateOrg(ctx, sys, o); err != nil {
					t.Fatal(err)
				}
				orgs[code] = o
			}
			add("", "district", "D")
			add("D", "school", "S")
			add("S", "grade", "G")
			add("G", "class", "C")
			accounts := map[string]*domain.Account{}
			for _, a := range []struct{ name, role, org string }{{"teacher", "teacher", "C"}, {"doctor", "health", "S"}, {"cdc", "health", "D"}} {
				acc := &domain.Account{Username: a.name, Role: domain.Role(a.role), OrgID: orgs[a.org].ID}
				if err := db.CreateAccount(ctx, sys, acc, "a-long-password"); err != nil {
					t.Fatal(err)
				}
				accounts[a.name] = acc
			}
			robot := &fakeWeCom{}
			srv := httptest.NewServer(robot)
			defer srv.Close()
			cfg := alerting.ChannelConfig{Kind: "wecom", URL: srv.URL + "/cgi-bin/webhook/send?key=robot-key"}
			ch := &store.Channel{OrgID: orgs["S"].ID, Kind: "wecom", Name: "校医群", Enabled: true}
			if err := alerting.CheckChannel(ch, cfg, true); err != nil {
				t.Fatal(err)
			}
			ch.TargetMasked = cfg.Masked()
			doc, _ := json.Marshal(cfg)
			if err := db.CreateChannel(ctx, sys, ch, string(doc)); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(ch.TargetMasked, "robot-key") {
				t.Fatalf("masked target shows the key: %s", ch.TargetMasked)
			}

			log := slog.New(slog.DiscardHandler)
			clock := now
			svc := &alerting.Service{DB: db, Log: log, Loc: loc, Now: func() time.Time { return clock }}
			db.SetSubjectHook(svc.Touch)
			var pupils []*domain.Person
			for i := range 4 {
				p := &domain.Person{ExternalID: "p" + string(rune('0'+i)), Name: "学生", OrgID: orgs["C"].ID}
				if err := db.CreatePerson(ctx, sys, p); err != nil {
					t.Fatal(err)
				}
				pupils = append(pupils, p)
			}
			fever := func(p *domain.Person) {
				t.Helper()
				temp := 38.1
				c := &domain.Checkin{PersonID: p.ID, Date: today, Slot: "morning", TemperatureC: &temp}
				if _, err := db.RecordCheckin(ctx, sys, c, domain.CheckinRules{Today: today}, domain.DefaultThresholds, "zh-CN"); err != nil {
					t.Fatal(err)
				}
			}
			active := func() []*store.Alert {
				t.Helper()
				as, err := db.Alerts(ctx, sys, store.AlertQuery{State: "active"})
				if err != nil {
					t.Fatal(err)
				}
				return as
			}
			fever(pupils[0])
			fever(pupils[1])
			if as := active(); len(as) != 0 {
				t.Fatalf("alert below the threshold: %+v", as[0])
			}
			fever(pupils[2])
			as := active()
			if len(as) != 1 || as[0].Code != "similar_symptoms_1d" || as[0].Subject != "fever" || as[0].Value != 3 || as[0].OrgID != orgs["C"].ID {
				t.Fatalf("after the third fever: %+v", as)
			}
			a, err := db.Alert(ctx, sys, as[0].ID)
			if err != nil || len(a.People) != 3 || a.ReportDueAt == nil || !a.ReportDueAt.Equal(now.Add(24*time.Hour)) {
				t.Fatalf("alert detail: %+v %v", a, err)
			}
			// The daily pass finds the same firing: merged, nothing new.
			sum, err := svc.RunDaily(ctx, today)
			if err != nil || sum.Evaluated == 0 {
				t.Fatalf("daily pass: %+v %v", sum, err)
			}
			if as := active(); len(as) != 1 {
				t.Fatalf("daily pass did not merge: %d alerts", len(as))
			}

			// Inbox: teacher and school doctor; not the district yet.
			jobs := func() {
				t.Helper()
				due, err := db.DueNotifications(ctx, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range due {
					if err := db.DeliverToInbox(ctx, n); err != nil {
						t.Fatal(err)
					}
				}
				d := &alerting.Deliverer{DB: db, Sender: &notify.Sender{AllowLoopback: true}, Log: log}
				if err := d.Run(ctx, clock); err != nil {
					t.Fatal(err)
				}
			}
			jobs()
			inbox := func(name string) int {
				items, _, err := db.Inbox(ctx, accounts[name].ID, 10)
				if err != nil {
					t.Fatal(err)
				}
				return len(items)
			}
			if inbox("teacher") != 1 || inbox("doctor") != 1 || inbox("cdc") != 0 {
				t.Fatalf("inboxes: teacher %d doctor %d cdc %d", inbox("teacher"), inbox("doctor"), inbox("cdc"))
			}
			if len(robot.msgs) != 1 || !strings.Contains(robot.msgs[0], "发热") {
				t.Fatalf("robot got %q", robot.msgs)
			}
			// A fourth case the same day moves the alert but does not page
			// anyone again that day; delivering again sends nothing twice.
			fever(pupils[3])
			jobs()
			if inbox("doctor") != 1 || len(robot.msgs) != 1 {
				t.Fatalf("after a merge: doctor %d, robot %d", inbox("doctor"), len(robot.msgs))
			}
			if as := active(); as[0].Value != 4 {
				t.Fatalf("merged value %v", as[0].Value)
			}
			// Nobody acknowledges: after two hours the district hears.
			clock = now.Add(2*time.Hour + time.Minute)
			if err := svc.Escalate(ctx, clock); err != nil {
				t.Fatal(err)
			}
			jobs()
			if inbox("cdc") != 1 {
				t.Fatalf("escalation did not reach the district: %d", inbox("cdc"))
			}
			if err := svc.Escalate(ctx, clock); err != nil { // a second node, or a repeat run
				t.Fatal(err)
			}
			jobs()
			if inbox("cdc") != 1 {
				t.Fatalf("escalated twice: %d", inbox("cdc"))
			}
			log2, err := db.Deliveries(ctx, store.ChannelTarget(ch.ID), 10)
			if err != nil || len(log2) == 0 || !log2[0].OK {
				t.Fatalf("delivery log: %+v %v", log2, err)
			}
		})
	}
}

// TestDeliveryRetriesAndRestart: a robot that fails with 502 is retried
// after the backoff, across a restart of the server, and the message
// arrives exactly once however often the event is enqueued again.
func TestDeliveryRetriesAndRestart(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.SQLite(t)
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	open := func() *store.DB {
		box, _ := secret.NewBox(make([]byte, secret.KeySize))
		db, err := store.Open(ctx, dsn, store.Options{Box: box, Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return db
	}
	var mu sync.Mutex
	calls, delivered := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		delivered++
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer srv.Close()

	db := open()
	o := &domain.Org{Kind: "school", Code: "S", Name: "S"}
	if err := db.CreateOrg(ctx, domain.System(), o); err != nil {
		t.Fatal(err)
	}
	cfg := alerting.ChannelConfig{Kind: "wecom", URL: srv.URL + "/cgi-bin/webhook/send?key=k"}
	doc, _ := json.Marshal(cfg)
	ch := &store.Channel{OrgID: o.ID, Kind: "wecom", Name: "群", TargetMasked: cfg.Masked(), Enabled: true}
	if err := db.CreateChannel(ctx, domain.System(), ch, string(doc)); err != nil {
		t.Fatal(err)
	}
	event := []store.Notification{{Channel: "wecom", Target: store.ChannelTarget(ch.ID), Kind: "alert", Title: "预警", Body: "3 例",
		DedupeKey: "alert:1:raised:" + store.ChannelTarget(ch.ID)}}
	if _, err := db.Enqueue(ctx, event); err != nil {
		t.Fatal(err)
	}
	d := &alerting.Deliverer{DB: db, Sender: &notify.Sender{AllowLoopback: true}, Log: slog.New(slog.DiscardHandler)}
	if err := d.Run(ctx, clock); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || delivered != 0 {
		t.Fatalf("first attempt: calls %d delivered %d", calls, delivered)
	}
	db.Close() // the server restarts

	db = open()
	defer db.Close()
	if n, err := db.Enqueue(ctx, event); err != nil || n != 0 { // the same event again: not new
		t.Fatalf("re-enqueue: %d %v", n, err)
	}
	d.DB = db
	if err := d.Run(ctx, clock); err != nil { // still backing off
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("retried before the backoff: %d calls", calls)
	}
	clock = clock.Add(notify.Backoff(1) + time.Second)
	for range 3 {
		if err := d.Run(ctx, clock); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 || delivered != 1 {
		t.Fatalf("after the backoff: calls %d delivered %d", calls, delivered)
	}
	log, err := db.Deliveries(ctx, store.ChannelTarget(ch.ID), 10)
	if err != nil || len(log) != 2 || !log[0].OK || log[1].OK || !strings.Contains(log[1].Error, "502") {
		t.Fatalf("delivery log: %+v %v", log, err)
	}
}

// TestSingleCaseInDailyPass: a measles diagnosis is a notifiable case,
// reported at once on the fly; when that path did not run (no hook, as
// after a crash), the daily pass reports it, once.
func TestSingleCaseInDailyPass(t *testing.T) {
	ctx := context.Background()
	db := testdb.Store(t, testdb.SQLite(t))
	sys := domain.System()
	o := &domain.Org{Kind: "class", Code: "C", Name: "一班"}
	if err := db.CreateOrg(ctx, sys, o); err != nil {
		t.Fatal(err)
	}
	p := &domain.Person{ExternalID: "p", Name: "学生", OrgID: o.ID}
	if err := db.CreatePerson(ctx, sys, p); err != nil {
		t.Fatal(err)
	}
	day := "2026-11-25"
	if err := db.CreateAbsence(ctx, sys, &domain.Absence{PersonID: p.ID, StartDate: day, Diagnosis: "麻疹"}, day); err != nil {
		t.Fatal(err)
	}
	svc := &alerting.Service{DB: db, Log: slog.New(slog.DiscardHandler), Loc: time.UTC,
		Now: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }}
	for range 2 {
		if _, err := svc.RunDaily(ctx, day); err != nil {
			t.Fatal(err)
		}
	}
	as, err := db.Alerts(ctx, sys, store.AlertQuery{})
	if err != nil || len(as) != 1 || as[0].Code != "notifiable_case" || as[0].Subject != "disease:measles" {
		t.Fatalf("alerts: %+v %v", as, err)
	}
	// Its texts go to group robots and to viewers: they name the unit,
	// never the person, who is listed apart for those who may see them.
	a := as[0]
	for _, text := range []string{a.Title, a.TitleEN, string(a.Detail)} {
		if strings.Contains(text, p.Name) || !strings.Contains(text, o.Name) {
			t.Errorf("single-case text %q: want the unit %q, not the person %q", text, o.Name, p.Name)
		}
	}
}
