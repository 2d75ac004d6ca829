package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"epiguard/internal/browsertest"
	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

// raiseAlert stores a cluster alert for a unit as the alerting service
// would: today, fever, the given people behind it, its report due an
// hour ago (so it is overdue).
func (f *fixture) raiseAlert(org *domain.Org, people ...*domain.Person) *store.Alert {
	f.t.Helper()
	day := rollDay()
	due := time.Now().Add(-time.Hour)
	a := &store.Alert{OrgID: org.ID, Subject: "fever", Source: "rule", Code: "similar_symptoms_1d", Level: "cluster",
		FirstDate: day, LastDate: day, WindowDays: 1, Value: float64(len(people)), Threshold: 3,
		Title: org.Name + " 发热聚集", TitleEN: org.Name + " fever cluster", Actions: "加强晨午检；落实因病缺勤登记",
		ActionsEN: "Step up the checks; record every illness absence", SourceRef: "卫办疾控发〔2006〕65号", ReportDueAt: &due}
	var ap []store.AlertPerson
	for _, p := range people {
		ap = append(ap, store.AlertPerson{PersonID: p.ID, Date: day})
	}
	res, err := f.db.RaiseAlert(context.Background(), a, ap, day, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Alert
}

func (f *fixture) accountID(user string) int64 {
	f.t.Helper()
	acc, err := f.db.Authenticate(context.Background(), user, password)
	if err != nil {
		f.t.Fatal(err)
	}
	return acc.ID
}

type alertOut struct {
	ID            int64              `json:"id"`
	State         string             `json:"state"`
	Conclusion    string             `json:"conclusion"`
	AssigneeName  string             `json:"assignee_name"`
	ReportOverdue bool               `json:"report_overdue"`
	ClosedAt      *time.Time         `json:"closed_at"`
	Events        []store.AlertEvent `json:"events"`
	People        *[]struct {
		PersonID int64  `json:"person_id"`
		Name     string `json:"name"`
	} `json:"people"`
	Series []struct {
		Date string `json:"date"`
		N    int    `json:"n"`
	} `json:"series"`
}

type errOut struct {
	Error struct {
		Code   string              `json:"code"`
		Fields []domain.FieldError `json:"fields"`
	} `json:"error"`
}

func (e errOut) field() string {
	if len(e.Error.Fields) == 0 {
		return ""
	}
	return e.Error.Fields[0].Field
}

func alertIDs(items []alertOut) map[int64]bool {
	out := map[int64]bool{}
	for _, a := range items {
		out[a.ID] = true
	}
	return out
}

func TestAlertAPI(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		p1 := f.people["p1"]
		health := f.signIn("health")
		// p1 has a fever today, so C1's fever series ends at 1.
		if st := health.do("POST", "/api/v1/checkins", map[string]any{"person_id": p1.ID, "date": rollDay(), "slot": "morning",
			"temperature_c": 38.2}, nil); st != http.StatusOK && st != http.StatusCreated {
			t.Fatalf("check-in = %d", st)
		}
		a1 := f.raiseAlert(f.orgs["C1"], p1)
		a3 := f.raiseAlert(f.orgs["S2"])
		a2 := f.raiseAlert(f.orgs["S3"])

		// Lists are scoped: health (S1) sees C1's alert only.
		var page struct {
			Items []alertOut `json:"items"`
			Next  *string    `json:"next"`
		}
		if st := health.do("GET", "/api/v1/alerts", nil, &page); st != 200 {
			t.Fatalf("list = %d", st)
		}
		ids := alertIDs(page.Items)
		if !ids[a1.ID] || ids[a2.ID] || ids[a3.ID] || page.Next != nil {
			t.Fatalf("health's list = %v, next %v", ids, page.Next)
		}
		if !page.Items[0].ReportOverdue {
			t.Error("an open alert past its report deadline is not overdue")
		}
		var e errOut
		if st := health.do("GET", "/api/v1/alerts?state=bogus", nil, &e); st != 400 || e.field() != "state" {
			t.Errorf("bad state = %d %+v", st, e)
		}
		if st := health.do("GET", fmt.Sprintf("/api/v1/alerts?org=%d", f.orgs["S3"].ID), nil, &e); st != 404 {
			t.Errorf("org out of scope = %d", st)
		}

		// Paging: the admin (D1) sees two; one a page.
		admin := f.signIn("admin")
		if st := admin.do("GET", "/api/v1/alerts?limit=1&state=active", nil, &page); st != 200 || len(page.Items) != 1 || page.Items[0].ID != a3.ID || page.Next == nil {
			t.Fatalf("first page = %d %+v", st, page)
		}
		u, _ := url.Parse(*page.Next)
		if u.Query().Get("before") != fmt.Sprint(a3.ID) || u.Query().Get("state") != "active" {
			t.Fatalf("next = %s", *page.Next)
		}
		if st := admin.do("GET", *page.Next, nil, &page); st != 200 || len(page.Items) != 1 || page.Items[0].ID != a1.ID {
			t.Fatalf("second page = %d %+v", st, page)
		}

		// Detail: history, people, 30 days of series ending today.
		var a alertOut
		if st := health.do("GET", fmt.Sprintf("/api/v1/alerts/%d", a1.ID), nil, &a); st != 200 {
			t.Fatalf("detail = %d", st)
		}
		if len(a.Events) != 1 || a.Events[0].Kind != "raised" || a.People == nil || len(*a.People) != 1 || (*a.People)[0].PersonID != p1.ID {
			t.Fatalf("detail = %+v", a)
		}
		if len(a.Series) != 30 || a.Series[29].Date != rollDay() || a.Series[29].N != 1 || a.Series[0].N != 0 {
			t.Fatalf("series = %+v", a.Series)
		}
		if st := health.do("GET", fmt.Sprintf("/api/v1/alerts/%d", a2.ID), nil, &e); st != 404 || e.Error.Code != "not_found" {
			t.Errorf("alert out of scope = %d %+v", st, e)
		}

		// The viewer sees the alert and its numbers, not its people.
		viewer := f.signIn("viewer")
		var raw map[string]any
		if st := viewer.do("GET", fmt.Sprintf("/api/v1/alerts/%d", a1.ID), nil, &raw); st != 200 {
			t.Fatalf("viewer detail = %d", st)
		}
		if _, ok := raw["people"]; ok {
			t.Error("the viewer's answer has people")
		}
		if s, _ := raw["series"].([]any); len(s) != 30 {
			t.Error("the viewer's answer has no series")
		}

		// The teacher follows the class's alert but may not move it.
		teacher := f.signIn("teacher")
		if st := teacher.do("GET", fmt.Sprintf("/api/v1/alerts/%d", a1.ID), nil, &a); st != 200 || a.People == nil {
			t.Errorf("teacher detail = %d, people %v", st, a.People)
		}
		if st := teacher.do("GET", fmt.Sprintf("/api/v1/alerts/%d", a3.ID), nil, nil); st != 404 {
			t.Errorf("teacher, other school's alert = %d", st)
		}
		if st := teacher.do("POST", fmt.Sprintf("/api/v1/alerts/%d/transitions", a1.ID), map[string]string{"to": "acknowledged"}, &e); st != 403 || e.Error.Code != "forbidden" {
			t.Errorf("teacher transition = %d %+v", st, e)
		}
		if st := f.signIn("guard").do("GET", "/api/v1/alerts", nil, nil); st != 403 {
			t.Errorf("guard list = %d", st)
		}

		// Transitions: validation, lifecycle, conflicts, assignment.
		path := fmt.Sprintf("/api/v1/alerts/%d/transitions", a1.ID)
		for _, c := range []struct {
			body  any
			st    int
			field string
		}{
			{map[string]string{"to": "closed"}, 400, "conclusion"},
			{map[string]string{"to": "acknowledged", "conclusion": "duplicate"}, 400, "conclusion"},
			{map[string]string{"to": "closed", "conclusion": "maybe"}, 400, "conclusion"},
			{map[string]string{"to": "bogus"}, 400, "to"},
			{map[string]string{}, 400, "to"},
			{map[string]any{"to": "acknowledged", "colour": "red"}, 400, "colour"},    // unknown fields are named
			{map[string]any{"assignee_id": f.accountID("admin")}, 400, "assignee_id"}, // above health's scope
		} {
			e = errOut{}
			if st := health.do("POST", path, c.body, &e); st != c.st || e.field() != c.field {
				t.Errorf("%v = %d %+v, want %d on %s", c.body, st, e, c.st, c.field)
			}
		}
		if st := health.do("POST", path, map[string]string{"to": "acknowledged", "note": "已电话核实"}, &a); st != 200 || a.State != "acknowledged" {
			t.Fatalf("acknowledge = %d %+v", st, a)
		}
		last := a.Events[len(a.Events)-1]
		if last.Kind != "transition" || last.Actor != "health" || last.From != "open" || last.To != "acknowledged" || last.Note != "已电话核实" {
			t.Errorf("history after acknowledging = %+v", last)
		}
		for _, to := range []string{"acknowledged", "open"} {
			if st := health.do("POST", path, map[string]string{"to": to}, &e); st != 409 || e.Error.Code != "conflict" {
				t.Errorf("acknowledged → %s = %d %+v", to, st, e)
			}
		}
		if st := health.do("POST", path, map[string]any{"assignee_id": f.accountID("health")}, &a); st != 200 || a.AssigneeName != "health" {
			t.Errorf("assign = %d %+v", st, a)
		}
		if st := health.do("POST", path, map[string]string{"to": "closed", "conclusion": "not_an_outbreak", "note": "排除"}, &a); st != 200 ||
			a.State != "closed" || a.Conclusion != "not_an_outbreak" || a.ClosedAt == nil || a.ReportOverdue {
			t.Fatalf("close = %d %+v", st, a)
		}
		if st := health.do("POST", fmt.Sprintf("/api/v1/alerts/%d/transitions", a2.ID), map[string]string{"to": "acknowledged"}, &e); st != 404 {
			t.Errorf("transition out of scope = %d", st)
		}
		if st := health.do("GET", "/api/v1/alerts?state=active", nil, &page); st != 200 || len(page.Items) != 0 {
			t.Errorf("active after closing = %d %+v", st, page.Items)
		}
	})
}

func TestAlertPages(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1 := f.people["p1"]
	a1 := f.raiseAlert(f.orgs["C1"], p1)
	alertPath := fmt.Sprintf("/alerts/%d", a1.ID)

	health := f.rollClient("health")
	st, body := health.page("/")
	if st != 200 || !strings.Contains(body, `href="/alerts"`) || !strings.Contains(body, `class="nav-badge" aria-hidden="true">1<`) {
		t.Fatal("the navigation lacks the alerts entry with its count")
	}
	st, body = health.page("/alerts")
	for _, want := range []string{a1.Title, "C1名", "发热", "聚集性疫情", "1（阈值 ≥ 3）", "已超时", "待确认", `aria-current="page">未关闭`} {
		if !strings.Contains(body, want) {
			t.Errorf("alert list lacks %q", want)
		}
	}
	if st != 200 {
		t.Fatalf("alert list = %d", st)
	}
	if _, body = health.page("/alerts?state=closed"); strings.Contains(body, a1.Title) {
		t.Error("the closed tab lists an open alert")
	}
	if st, _ = health.page("/alerts?state=bogus"); st != 400 {
		t.Errorf("bad state tab = %d", st)
	}

	st, body = health.page(alertPath)
	for _, want := range []string{`id="ack"`, `id="investigate"`, `id="close"`, `name="conclusion"`, `id="add-note"`, `id="assign"`,
		`<svg class="chart"`, `role="img"`, "<li>加强晨午检</li>", "卫办疾控发〔2006〕65号", "相似症状聚集（1天）", p1.Name, "产生预警"} {
		if !strings.Contains(body, want) {
			t.Errorf("alert page lacks %q", want)
		}
	}
	if st != 200 {
		t.Fatalf("alert page = %d", st)
	}

	post := func(v url.Values) (int, string) {
		t.Helper()
		return health.post(alertPath+"/transitions", v)
	}
	if st, loc := post(url.Values{"to": {"acknowledged"}}); st != http.StatusSeeOther || loc != alertPath+"?notice=alert.saved" {
		t.Fatalf("acknowledge = %d %s", st, loc)
	}
	_, body = health.page(alertPath + "?notice=alert.saved")
	if !strings.Contains(body, "已保存") || strings.Contains(body, `id="ack"`) || !strings.Contains(body, `id="investigate"`) || !strings.Contains(body, "待确认 → 已确认") {
		t.Error("after acknowledging, the page does not show the new state")
	}
	// Closing without a conclusion keeps what was typed and says why.
	st, body = post(url.Values{"to": {"closed"}, "note": {"核实后非聚集"}})
	if st != 400 || !strings.Contains(body, "关闭预警需要选择结论") || !strings.Contains(body, "核实后非聚集</textarea>") {
		t.Errorf("close without a conclusion = %d", st)
	}
	if st, body = post(url.Values{"to": {"acknowledged"}}); st != 409 || !strings.Contains(body, "状态已经变化") {
		t.Errorf("acknowledge twice = %d", st)
	}
	if st, _ := post(url.Values{"note": {"家长已告知就医"}}); st != http.StatusSeeOther {
		t.Errorf("add note = %d", st)
	}
	if st, _ := post(url.Values{"to": {"closed"}, "conclusion": {"outbreak_confirmed"}, "note": {"已报告疾控"}}); st != http.StatusSeeOther {
		t.Fatalf("close = %d", st)
	}
	_, body = health.page(alertPath)
	for _, want := range []string{"已关闭", "确认为暴发疫情 已报告疾控", "家长已告知就医"} {
		if !strings.Contains(body, want) {
			t.Errorf("closed alert page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="close"`) || strings.Contains(body, "已超时") {
		t.Error("a closed alert still offers closing or shows overdue")
	}

	viewer := f.signInForm("viewer")
	st, body = viewer.page(alertPath)
	if st != 200 || strings.Contains(body, p1.Name) || !strings.Contains(body, "不显示人员名单") || strings.Contains(body, `id="add-note"`) {
		t.Errorf("viewer's alert page = %d, shows people %v", st, strings.Contains(body, p1.Name))
	}
	teacher := f.rollClient("teacher")
	st, body = teacher.page(alertPath)
	if st != 200 || !strings.Contains(body, p1.Name) || !strings.Contains(body, "只有卫生/疫情报告人和管理员可以处理预警") {
		t.Errorf("teacher's alert page = %d", st)
	}
	if st, _ := teacher.post(alertPath+"/transitions", url.Values{"note": {"x"}}); st != 403 {
		t.Errorf("teacher's note = %d", st)
	}
	if st, _ := f.signInForm("guard").page("/alerts"); st != 403 {
		t.Errorf("guard's alert list = %d", st)
	}

	// English.
	if _, err := health.http.Get(health.base + "/lang/en?next=/"); err != nil {
		t.Fatal(err)
	}
	_, body = health.page(alertPath)
	for _, want := range []string{"Closed", "Outbreak confirmed", "Daily counts, last 30 days", "Similar symptoms (1 day)", a1.TitleEN} {
		if !strings.Contains(body, want) {
			t.Errorf("English alert page lacks %q", want)
		}
	}
}

// signInAs signs in through the form in a browser tab with the fixture's
// password.
func signInAs(t *testing.T, tab context.Context, base, user string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)))); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserAlertAndChannelPages audits the alert and channel pages with
// axe-core on a phone and a desktop, and acknowledges an alert with the
// keyboard-free click path the pages offer. It runs on its own small store
// rather than the shared demo, so it changes nothing other tests see.
func TestBrowserAlertAndChannelPages(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t)).loopback()
	a1 := f.raiseAlert(f.orgs["C1"], f.people["p1"])
	robot := newFakeRobot(t, http.StatusOK)
	admin := f.signIn("admin")
	var ch channelOut
	if st := admin.do("POST", "/api/v1/channels", map[string]any{"org_id": f.orgs["S1"].ID, "kind": "wecom", "name": "防控工作群",
		"target": map[string]any{"url": robot.url("axeKEY0123456789")}}, &ch); st != http.StatusCreated {
		t.Fatalf("create channel = %d", st)
	}
	if st := admin.do("POST", fmt.Sprintf("/api/v1/channels/%d/test", ch.ID), nil, nil); st != 200 {
		t.Fatalf("test channel = %d", st)
	}
	base := f.srv.URL
	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"phone", browsertest.Phone}, {"desktop", browsertest.Desktop}} {
		t.Run(v.name, func(t *testing.T) {
			audit := func(tab context.Context, paths ...string) {
				t.Helper()
				for _, p := range paths {
					if err := chromedp.Do(tab, chromedp.Navigate(base+p)); err != nil {
						t.Fatal(err)
					}
					browsertest.Axe(t, tab)
					if v.vp == browsertest.Phone {
						noHorizontalScroll(t, tab, p)
					}
				}
			}
			tab := browser.Tab(t, v.vp)
			signInAs(t, tab, base, "health")
			audit(tab, "/alerts", fmt.Sprintf("/alerts/%d", a1.ID), "/alerts?state=closed")
			tab = browser.Tab(t, v.vp)
			signInAs(t, tab, base, "admin")
			audit(tab, "/channels", fmt.Sprintf("/channels/%d", ch.ID))
		})
	}
	t.Run("acknowledge", func(t *testing.T) {
		tab := browser.Tab(t, browsertest.Desktop)
		signInAs(t, tab, base, "health")
		if err := chromedp.Do(tab, chromedp.Navigate(fmt.Sprintf("%s/alerts/%d", base, a1.ID))); err != nil {
			t.Fatal(err)
		}
		browsertest.RequireCJKFont(t, tab, "main h1")
		if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("ack")))); err != nil {
			t.Fatal(err)
		}
		state, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".alert-head .alert-state")))
		if err != nil || state != "已确认" {
			t.Fatalf("state after acknowledging = %q, %v", state, err)
		}
		browsertest.Axe(t, tab)
	})
}

// TestAlertPagesHideCaseNamesFromViewers: a single-case alert is titled
// with the person's name, and a viewer without person-level access (the
// district bureau) must see the unit and the disease only (SPEC §1, §6).
func TestAlertPagesHideCaseNamesFromViewers(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1 := f.people["p1"]
	day := rollDay()
	a := &store.Alert{OrgID: f.orgs["C1"].ID, Subject: "disease:influenza", Source: "rule", Code: "notifiable_case", Level: "case",
		FirstDate: day, LastDate: day, WindowDays: 1, Value: 1, Threshold: 1,
		Title: p1.Name + "（C1名）：流行性感冒病例", TitleEN: p1.Name + "（C1名）: a case of influenza"}
	res, err := f.db.RaiseAlert(context.Background(), a, []store.AlertPerson{{PersonID: p1.ID, Date: day}}, day, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/alerts/%d", res.Alert.ID)

	viewer := f.rollClient("viewer")
	for _, p := range []string{"/alerts", path} {
		st, body := viewer.page(p)
		if st != 200 {
			t.Fatalf("viewer %s = %d", p, st)
		}
		if strings.Contains(body, p1.Name) {
			t.Errorf("viewer %s shows the case's name %q", p, p1.Name)
		}
		if !strings.Contains(body, "C1名：1 例流行性感冒病例") {
			t.Errorf("viewer %s lacks the unit-level title", p)
		}
	}
	if _, body := f.rollClient("health").page(path); !strings.Contains(body, p1.Name+"（C1名）：流行性感冒病例") {
		t.Error("the health officer's alert page lacks the case's own title")
	}
	// The JSON API follows the same rule, title and detail alike.
	for _, p := range []string{"/api/v1/alerts", fmt.Sprintf("/api/v1/alerts/%d", res.Alert.ID)} {
		var raw json.RawMessage
		if st := f.signIn("viewer").do("GET", p, nil, &raw); st != 200 {
			t.Fatalf("viewer GET %s = %d", p, st)
		}
		if body := string(raw); strings.Contains(body, p1.Name) || !strings.Contains(body, "C1名：1 例流行性感冒病例") {
			t.Errorf("viewer GET %s: %s", p, body)
		}
		if st := f.signIn("health").do("GET", p, nil, &raw); st != 200 || !strings.Contains(string(raw), p1.Name) {
			t.Errorf("health GET %s = %d: the case's own title is missing", p, st)
		}
	}
}
