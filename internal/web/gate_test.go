package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/pass"
	"epiguard/internal/secret"
	"epiguard/internal/testdb"
)

// gateSigner issues passes the fixture's server accepts: the fixture
// derives its pass key from an all-zero master key.
func gateSigner(t *testing.T, now func() time.Time) *pass.Signer {
	t.Helper()
	box, err := secret.NewBox(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return pass.NewSigner(box.DerivedKey("gate pass"), now)
}

// gateGuard signs user in through the form and keeps the page's CSRF token.
func (f *fixture) gateGuard(user string) *client {
	f.t.Helper()
	c := f.signInForm(user)
	st, body := c.page("/gate")
	m := csrfField.FindStringSubmatch(body)
	if st != 200 || m == nil {
		f.t.Fatalf("%s GET /gate = %d, csrf %v", user, st, m != nil)
	}
	c.csrf = m[1]
	return c
}

// gatePost posts a form with the client's CSRF token and returns the
// status, the body and the redirect target.
func (c *client) gatePost(path string, v url.Values) (int, string, string) {
	c.t.Helper()
	if v.Get("csrf_token") == "" {
		v.Set("csrf_token", c.csrf)
	}
	resp, err := c.http.PostForm(c.base+path, v)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

func maskedID(id string) string { return id[:3] + "***********" + id[14:] }

func TestGateCheckFlow(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		p1 := f.people["p1"]
		g := f.gateGuard("guard")
		st, body := g.page("/gate")
		for _, want := range []string{`id="external_id"`, "autofocus", `value="校门"`, "vendor/jsQR.js", "gate.js", `id="gate-scan"`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET /gate lacks %s", want)
			}
		}
		if st != 200 || strings.Contains(body, `<script src="/static/vendor/jsQR.js`) {
			t.Errorf("GET /gate = %d; jsQR must load only when scanning starts", st)
		}

		// Look up: shows the person, records nothing.
		st, body, _ = g.gatePost("/gate/lookup", url.Values{"external_id": {"p1"}, "temperature_c": {"36.6"}, "gate": {"东门"}})
		if st != 200 {
			t.Fatalf("lookup = %d\n%s", st, body)
		}
		for _, want := range []string{p1.Name, "C1名", maskedID(p1.IDNumber), "status-green", "绿码",
			`value="allow" class="decide decide-allow suggested" autofocus`, `name="external_id" value="p1"`, `value="36.6"`} {
			if !strings.Contains(body, want) {
				t.Errorf("lookup page lacks %q", want)
			}
		}
		if strings.Contains(body, p1.IDNumber) {
			t.Error("lookup page shows the full identity number")
		}
		if _, log := g.page("/gate/log"); strings.Contains(log, p1.Name) {
			t.Fatal("a lookup was recorded")
		}

		// Record: back to the empty form with a confirmation.
		st, _, loc := g.gatePost("/gate/scans", url.Values{"external_id": {"p1"}, "temperature_c": {"36.6"}, "gate": {"东门"}, "decision": {"allow"}})
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/gate?done=") {
			t.Fatalf("record = %d → %s", st, loc)
		}
		_, body = g.page(loc)
		for _, want := range []string{"已记录：" + p1.Name + " · 放行 · 36.6°C", `value="东门"`, `id="external_id"`} {
			if !strings.Contains(body, want) {
				t.Errorf("confirmation page lacks %q", want)
			}
		}
		_, log := g.page("/gate/log")
		for _, want := range []string{p1.Name, "东门", "36.6", "放行", "<td>guard</td>", "学号/工号", "共 1 条"} {
			if !strings.Contains(log, want) {
				t.Errorf("gate log lacks %q", want)
			}
		}

		// A fever at the gate: refer, with the reason.
		_, body, _ = g.gatePost("/gate/lookup", url.Values{"external_id": {"p1"}, "temperature_c": {"38.2"}})
		if !strings.Contains(body, `value="refer" class="decide decide-refer suggested"`) || !strings.Contains(body, `id="gate-alert"><ul><li>门岗测温 38.2°C，发热`) {
			t.Error("fever at the gate is not referred with its reason")
		}
		// No temperature yet: the cursor waits in the temperature field,
		// and after the re-check on the suggested decision.
		_, body, _ = g.gatePost("/gate/lookup", url.Values{"external_id": {"p1"}})
		if !strings.Contains(body, `max="43" value="" autofocus`) || strings.Contains(body, `suggested" autofocus`) {
			t.Error("lookup without a temperature does not focus the temperature field")
		}
		_, body, _ = g.gatePost("/gate/lookup", url.Values{"external_id": {"p1"}, "rechecked": {"1"}})
		if !strings.Contains(body, `suggested" autofocus`) {
			t.Error("re-check does not focus the suggested decision")
		}

		// Bad input keeps the guard on the page with the reason.
		st, body, _ = g.gatePost("/gate/lookup", url.Values{"external_id": {"p1"}, "temperature_c": {"50"}})
		if st != 400 || !strings.Contains(body, "体温应为") {
			t.Errorf("temperature 50 = %d", st)
		}
		st, body, _ = g.gatePost("/gate/lookup", url.Values{"external_id": {""}})
		if st != 400 || !strings.Contains(body, "请输入学号/工号") {
			t.Errorf("empty lookup = %d", st)
		}
		st, body, _ = g.gatePost("/gate/scans", url.Values{"external_id": {"p1"}, "decision": {"maybe"}})
		if st != 400 || !strings.Contains(body, "请选择放行") || !strings.Contains(body, p1.Name) {
			t.Errorf("bad decision = %d", st)
		}

		// Out of scope: another school's pupil, and another school's guard.
		st, body, _ = g.gatePost("/gate/lookup", url.Values{"external_id": {"p3"}})
		if st != 404 || !strings.Contains(body, "未找到此人") || strings.Contains(body, f.people["p3"].Name) {
			t.Errorf("lookup of another school's pupil = %d", st)
		}
		acc := &domain.Account{Username: "guard2", Role: domain.RoleGuard, OrgID: f.orgs["S2"].ID}
		if err := f.db.CreateAccount(context.Background(), domain.System(), acc, password); err != nil {
			t.Fatal(err)
		}
		g2 := f.gateGuard("guard2")
		if st, _, _ := g2.gatePost("/gate/lookup", url.Values{"external_id": {"p1"}}); st != 404 {
			t.Errorf("guard of S2 looks up p1 = %d, want 404", st)
		}
		if st, _, _ := g2.gatePost("/gate/scans", url.Values{"external_id": {"p1"}, "decision": {"allow"}}); st != 404 {
			t.Errorf("guard of S2 records p1 = %d, want 404", st)
		}
		if _, log := g2.page("/gate/log"); strings.Contains(log, p1.Name) {
			t.Error("guard of S2 sees S1's gate log")
		}
	})
}

func TestGatePassTokens(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1 := f.people["p1"]
	g := f.gateGuard("guard")
	signer := gateSigner(t, time.Now)

	tok, _ := signer.Issue(p1.ID, pass.DefaultTTL)
	for i := range 2 { // looking up does not use the pass
		st, body, _ := g.gatePost("/gate/lookup", url.Values{"token": {tok}})
		if st != 200 || !strings.Contains(body, p1.Name) || !strings.Contains(body, `name="token" value="`+tok+`"`) {
			t.Fatalf("lookup %d by token = %d", i+1, st)
		}
	}
	if st, _, loc := g.gatePost("/gate/scans", url.Values{"token": {tok}, "decision": {"allow"}}); st != http.StatusSeeOther {
		t.Fatalf("first use = %d %s", st, loc)
	}
	st, body, _ := g.gatePost("/gate/scans", url.Values{"token": {tok}, "decision": {"allow"}})
	if st != http.StatusConflict || !strings.Contains(body, "此通行码已使用过") {
		t.Fatalf("second use = %d, want 409 with the reason", st)
	}
	_, log := g.page("/gate/log")
	if strings.Count(log, p1.Name) != 1 || !strings.Contains(log, "<td>扫码</td>") {
		t.Errorf("gate log after a replay:\n%s", log)
	}
	// The JSON API shares the single use.
	var e struct{ Error struct{ Code string } }
	if st := g.do("POST", "/api/v1/gate/scans", map[string]any{"gate": "东门", "token": tok}, &e); st != 409 || e.Error.Code != "conflict" {
		t.Errorf("API replay of a page-used pass = %d %+v", st, e)
	}

	// A handheld scanner types the pass into the number field.
	tok2, _ := signer.Issue(p1.ID, pass.DefaultTTL)
	if st, body, _ := g.gatePost("/gate/lookup", url.Values{"external_id": {tok2}}); st != 200 || !strings.Contains(body, `name="token" value="`+tok2+`"`) {
		t.Fatalf("token in the number field = %d", st)
	}
	if st, _, _ := g.gatePost("/gate/scans", url.Values{"token": {tok2}, "decision": {"refer"}}); st != http.StatusSeeOther {
		t.Fatalf("record a scanned pass = %d", st)
	}

	old := gateSigner(t, func() time.Time { return time.Now().Add(-10 * time.Minute) })
	expired, _ := old.Issue(p1.ID, pass.DefaultTTL)
	otherBox, _ := secret.NewBox([]byte(strings.Repeat("x", secret.KeySize)))
	forged, _ := pass.NewSigner(otherBox.DerivedKey("gate pass"), time.Now).Issue(p1.ID, pass.DefaultTTL)
	for _, c := range []struct{ name, token, reason string }{
		{"expired", expired, "通行码已过期"},
		{"forged", forged, "通行码无效"},
		{"malformed", "P1.garbage", "这不是有效的通行码"},
	} {
		for _, path := range []string{"/gate/lookup", "/gate/scans"} {
			st, body, _ := g.gatePost(path, url.Values{"token": {c.token}, "decision": {"allow"}})
			if st != 400 || !strings.Contains(body, c.reason) || strings.Contains(body, p1.Name) {
				t.Errorf("%s pass at %s = %d, want 400 with %q", c.name, path, st, c.reason)
			}
		}
	}
	// A genuine pass of someone outside the guard's scope.
	far, _ := signer.Issue(f.people["p4"].ID, pass.DefaultTTL)
	if st, body, _ := g.gatePost("/gate/lookup", url.Values{"token": {far}}); st != 404 || strings.Contains(body, f.people["p4"].Name) {
		t.Errorf("pass of another district = %d", st)
	}
}

func TestGateRoles(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	pages := []string{"/gate", "/gate/visitors", "/gate/log"}
	for role, want := range map[string]int{"guard": 200, "admin": 200, "health": 200, "teacher": 403, "ops": 403, "viewer": 403} {
		c := f.signInForm(role)
		for _, p := range pages {
			if st, _ := c.page(p); st != want {
				t.Errorf("%s GET %s = %d, want %d", role, p, st, want)
			}
		}
		if want == 403 {
			c.csrf = "x"
			if st, _, _ := c.gatePost("/gate/lookup", url.Values{"external_id": {"p1"}}); st != 403 {
				t.Errorf("%s POST /gate/lookup = %d", role, st)
			}
		}
		// The JSON API admits the same roles as the pages.
		var e struct{ Error struct{ Code string } }
		apiWant := map[int]int{200: 201, 403: 403}[want]
		if st := f.signIn(role).do("POST", "/api/v1/gate/scans", map[string]any{"gate": "东门", "external_id": "p1"}, &e); st != apiWant {
			t.Errorf("%s POST /api/v1/gate/scans = %d %+v, want %d", role, st, e, apiWant)
		}
	}
	if st, _ := f.anon().page("/gate"); st != http.StatusSeeOther {
		t.Errorf("anonymous /gate = %d", st)
	}
	g := f.signInForm("guard")
	if st, _, _ := g.gatePost("/gate/scans", url.Values{"external_id": {"p1"}, "decision": {"allow"}}); st != 403 {
		t.Errorf("record without CSRF token = %d", st)
	}
}

func TestGateVisitors(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	g := f.gateGuard("guard")
	id := validID("11010519900307123")
	v := url.Values{"name": {"来访者甲"}, "id_number": {id}, "phone": {"13900139000"}, "host": {"王老师"},
		"purpose": {"家长会"}, "temperature_c": {"36.5"}, "gate": {"北门"}}
	st, body, _ := g.gatePost("/gate/visitors", v)
	if st != 200 {
		t.Fatalf("register visitor = %d\n%s", st, body)
	}
	for _, want := range []string{"访客已登记 · 来访者甲", maskedID(id), "139****9000", "决定：放行", "status-green", `data-replace-url="/gate/visitors"`} {
		if !strings.Contains(body, want) {
			t.Errorf("visitor confirmation lacks %q", want)
		}
	}
	if strings.Contains(body, id) || strings.Contains(body, "13900139000") {
		t.Error("visitor confirmation shows the full numbers")
	}

	// Declared symptoms or risks are treated like a yellow status.
	v2 := url.Values{"name": {"来访者乙"}, "id_number": {validID("11010519900307124")}, "phone": {"13900139001"}, "host": {"校医"},
		"purpose": {"送货"}, "symptoms": {"cough", "fever"}, "risk_area_travel": {"1"}}
	_, body, _ = g.gatePost("/gate/visitors", v2)
	for _, want := range []string{"决定：复核", "申报症状：咳嗽、发热", "近7天到过中高风险地区", "status-yellow"} {
		if !strings.Contains(body, want) {
			t.Errorf("visitor with symptoms lacks %q", want)
		}
	}
	v3 := url.Values{"name": {"来访者丙"}, "id_number": {validID("11010519900307125")}, "phone": {"13900139002"}, "host": {"校医"},
		"purpose": {"维修"}, "temperature_c": {"37.8"}}
	if _, body, _ = g.gatePost("/gate/visitors", v3); !strings.Contains(body, "决定：复核") || !strings.Contains(body, "门岗测温 37.8°C") {
		t.Error("visitor with fever is not referred")
	}

	// Invalid input: labelled fields, marked invalid, nothing recorded.
	bad := url.Values{"name": {"来访者丁"}, "id_number": {"123"}, "host": {"王老师"}, "purpose": {"家长会"}, "symptoms": {"cough"}}
	st, body, _ = g.gatePost("/gate/visitors", bad)
	if st != 400 || !strings.Contains(body, "<b>身份证号</b>") || !strings.Contains(body, "<b>手机号</b>: 必填") ||
		!strings.Contains(body, `name="id_number" value="123"`) || !strings.Contains(body, `value="cough" checked`) ||
		strings.Count(body, `aria-invalid="true"`) != 2 {
		t.Errorf("invalid visitor = %d\n%s", st, body)
	}

	_, log := g.page("/gate/log")
	for _, want := range []string{"来访者甲", "来访者乙", "来访者丙", "访客登记", "北门", "共 3 条"} {
		if !strings.Contains(log, want) {
			t.Errorf("gate log lacks %q", want)
		}
	}
	if strings.Contains(log, "来访者丁") {
		t.Error("an invalid visitor was recorded")
	}
	if _, page := g.page("/gate/visitors"); !strings.Contains(page, "来访者乙") || !strings.Contains(page, `value="北门"`) {
		t.Error("visitor page does not list today's visitors or remember the gate")
	}
}

func TestGateLogDates(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	g := f.gateGuard("guard")
	if st, body := g.page("/gate/log?date=yesterday"); st != 400 || !strings.Contains(body, "YYYY-MM-DD") {
		t.Errorf("bad date = %d", st)
	}
	if st, body := g.page("/gate/log?date=2020-02-01"); st != 200 || !strings.Contains(body, "这一天没有通行记录") || !strings.Contains(body, "2020-02-02") {
		t.Errorf("old date = %d", st)
	}
	resp, _ := g.http.Get(f.srv.URL + "/lang/en?next=/gate")
	resp.Body.Close()
	if _, body := g.page("/gate"); !strings.Contains(body, "Gate check") || !strings.Contains(body, "Student/staff no.") {
		t.Error("gate page not in English")
	}
	_, body, _ := g.gatePost("/gate/lookup", url.Values{"external_id": {"nobody"}})
	if !strings.Contains(body, "No such person") {
		t.Error("English not-found message missing")
	}
}
