package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
	"epiguard/internal/web"
)

// rollClient is a browser-like client: signed in through the form, with
// the CSRF token read from a page.
type rollClient struct {
	*client
	csrf string
}

func (f *fixture) rollClient(user string) *rollClient {
	f.t.Helper()
	c := f.signInForm(user)
	_, body := c.page("/")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("%s: no CSRF token on the dashboard", user)
	}
	return &rollClient{client: c, csrf: m[1]}
}

// post sends a form and returns the status and the body, or the redirect
// target for a redirect.
func (c *rollClient) post(path string, v url.Values) (int, string) {
	c.t.Helper()
	v.Set("csrf_token", c.csrf)
	resp, err := c.http.PostForm(c.base+path, v)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, loc
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func rollDay() string { return time.Now().UTC().Format(time.DateOnly) }

func rollPath(o *domain.Org) string { return fmt.Sprintf("/orgs/%d/roll", o.ID) }

// grid builds the roll form of a date's morning check.
func rollForm(rows map[*domain.Person]map[string][]string) url.Values {
	v := url.Values{"date": {rollDay()}, "slot": {"morning"}}
	for p, fields := range rows {
		id := fmt.Sprint(p.ID)
		v.Add("pid", id)
		for k, vals := range fields {
			v[k+"_"+id] = vals
		}
	}
	return v
}

func (f *fixture) rollCheckin(p *domain.Person, slot string) *domain.Checkin {
	f.t.Helper()
	cs, err := f.db.Checkins(context.Background(), domain.System(), p.ID, rollDay())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Date == rollDay() && c.Slot == slot {
			return c
		}
	}
	return nil
}

func (f *fixture) rollStatus(p *domain.Person) string {
	f.t.Helper()
	st, err := f.db.PersonStatus(context.Background(), domain.System(), p.ID, "zh-CN")
	if err != nil {
		f.t.Fatal(err)
	}
	return string(st.Level)
}

func TestRollGrid(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		p1, p2, c1 := f.people["p1"], f.people["p2"], f.orgs["C1"]
		tc := f.rollClient("teacher")
		st, body := tc.page(rollPath(c1) + "?slot=morning")
		if st != 200 || !strings.Contains(body, p1.Name) || strings.Contains(body, p2.Name) {
			t.Fatalf("roll page = %d, lists p1 %v, p2 %v", st, strings.Contains(body, p1.Name), strings.Contains(body, p2.Name))
		}
		if !strings.Contains(body, `name="temp_`+fmt.Sprint(p1.ID)+`"`) || !strings.Contains(body, `value="cough"`) {
			t.Fatal("roll page lacks the grid inputs")
		}

		// A fever with a cough: ILI, p1 turns yellow.
		st, loc := tc.post(rollPath(c1), rollForm(map[*domain.Person]map[string][]string{p1: {"temp": {"38.6"}, "sym": {"cough"}}}))
		if st != http.StatusSeeOther || !strings.Contains(loc, "saved=1") {
			t.Fatalf("submit grid = %d %s", st, loc)
		}
		c := f.rollCheckin(p1, "morning")
		if c == nil || c.Source != domain.SourceTeacher || c.TemperatureC == nil || *c.TemperatureC != 38.6 || c.Absent || c.SubmittedBy != "teacher" {
			t.Fatalf("recorded check-in = %+v", c)
		}
		if got := f.rollStatus(p1); got != "yellow" {
			t.Fatalf("p1 status = %s, want yellow", got)
		}
		_, body = tc.page(loc)
		if !strings.Contains(body, "已保存 1 行") || !strings.Contains(body, `value="38.6"`) || !strings.Contains(body, "status-yellow") ||
			!strings.Contains(body, "流感样") || !strings.Contains(body, "教师录入") {
			t.Fatal("roll page after saving does not show the saved row, its status and reason")
		}

		// The prefilled row posted again changes nothing.
		if _, loc := tc.post(rollPath(c1), rollForm(map[*domain.Person]map[string][]string{p1: {"att": {"present"}, "temp": {"38.6"}, "sym": {"cough"}}})); !strings.Contains(loc, "saved=0") {
			t.Fatalf("unchanged row saved again: %s", loc)
		}
		if c := f.rollCheckin(p1, "morning"); c.Revision != 1 {
			t.Fatalf("revision = %d after an unchanged post", c.Revision)
		}

		// A row for a person of another class is refused, on this roll or theirs.
		other := map[*domain.Person]map[string][]string{p2: {"temp": {"36.5"}}}
		if st, _ := tc.post(rollPath(c1), rollForm(other)); st != http.StatusBadRequest {
			t.Fatalf("row for p2 on C1's roll = %d, want 400", st)
		}
		if st, _ := tc.post(rollPath(f.orgs["C2"]), rollForm(other)); st != http.StatusNotFound {
			t.Fatalf("C2's roll as C1's teacher = %d, want 404", st)
		}
		if f.rollCheckin(p2, "morning") != nil {
			t.Fatal("a check-in for p2 was recorded")
		}

		// A bad row says why and keeps its input; the good rows are saved.
		p5 := &domain.Person{ExternalID: "p5", Name: "学生p5", OrgID: c1.ID}
		if err := f.db.CreatePerson(context.Background(), domain.System(), p5); err != nil {
			t.Fatal(err)
		}
		st, body = tc.post(rollPath(c1), rollForm(map[*domain.Person]map[string][]string{
			p1: {"temp": {"99"}, "sym": {"cough"}}, p5: {"temp": {"36.4"}}}))
		if st != http.StatusBadRequest || !strings.Contains(body, "体温需为 34.0–43.0") || !strings.Contains(body, `value="99"`) ||
			!strings.Contains(body, "1 行未能保存") {
			t.Fatalf("bad row = %d, body lacks the row error or the input", st)
		}
		if c := f.rollCheckin(p5, "morning"); c == nil || *c.TemperatureC != 36.4 {
			t.Fatalf("good row beside a bad one = %+v", c)
		}
		if c := f.rollCheckin(p1, "morning"); *c.TemperatureC != 38.6 {
			t.Fatal("the bad row changed the record")
		}
		// Absent rows need a reason.
		if st, body := tc.post(rollPath(c1), rollForm(map[*domain.Person]map[string][]string{p5: {"att": {"absent"}}})); st != 400 || !strings.Contains(body, "请选择缺勤原因") {
			t.Fatalf("absent without reason = %d", st)
		}
	})
}

func TestRollAccess(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c1, s1 := f.orgs["C1"], f.orgs["S1"]
	want := map[string]int{"admin": 200, "health": 200, "teacher": 200, "guard": 403, "ops": 403, "viewer": 403}
	for role, code := range want {
		c := f.signInForm(role)
		for _, p := range []string{rollPath(c1), "/absences", "/absences/new"} {
			if st, _ := c.page(p); st != code {
				t.Errorf("%s GET %s = %d, want %d", role, p, st, code)
			}
		}
	}
	fc := f.rollClient("guard")
	if st, _ := fc.post(rollPath(c1)+"/zero", url.Values{"slot": {"morning"}}); st != 403 {
		t.Errorf("guard zero report = %d", st)
	}
	// The JSON API keeps illness absences to the same roles as the pages.
	// Each role registers a day of its own: one illness is one absence.
	p1 := f.people["p1"].ID
	day := 0
	for role, code := range want {
		c := f.signIn(role)
		post := map[int]int{200: 201, 403: 403}[code]
		day++
		start := fmt.Sprintf("2026-01-%02d", 2*day)
		body := map[string]any{"person_id": p1, "start_date": start, "return_date": fmt.Sprintf("2026-01-%02d", 2*day+1)}
		if st := c.do("POST", "/api/v1/absences", body, nil); st != post {
			t.Errorf("%s POST /api/v1/absences = %d, want %d", role, st, post)
		}
		if st := c.do("GET", fmt.Sprintf("/api/v1/absences?org=%d", c1.ID), nil, nil); st != code {
			t.Errorf("%s GET /api/v1/absences = %d, want %d", role, st, code)
		}
	}
	// The roll is for classes and dorm rooms.
	if st, _ := f.signInForm("health").page(rollPath(s1)); st != 400 {
		t.Errorf("roll of a school = %d, want 400", st)
	}
	// English works and has no missing keys on the page.
	c := f.signInForm("teacher")
	resp, _ := c.http.Get(f.srv.URL + "/lang/en?next=/")
	resp.Body.Close()
	_, body := c.page(rollPath(c1))
	if !strings.Contains(body, "Morning and noon checks") || strings.Contains(strings.ReplaceAll(body, "roll.js", ""), "roll.") {
		t.Error("English roll page is not translated")
	}
}

func TestRollZeroReport(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		p1, c1 := f.people["p1"], f.orgs["C1"]
		p5 := &domain.Person{ExternalID: "p5", Name: "学生p5", OrgID: c1.ID}
		p6 := &domain.Person{ExternalID: "p6", Name: "学生p6", OrgID: c1.ID}
		for _, p := range []*domain.Person{p5, p6} {
			if err := f.db.CreatePerson(ctx, domain.System(), p); err != nil {
				t.Fatal(err)
			}
		}
		// p6 is away ill: the zero report leaves them out.
		if err := f.db.CreateAbsence(ctx, domain.System(), &domain.Absence{PersonID: p6.ID, StartDate: rollDay()}, rollDay()); err != nil {
			t.Fatal(err)
		}
		tc := f.rollClient("teacher")
		tc.post(rollPath(c1), rollForm(map[*domain.Person]map[string][]string{p1: {"temp": {"38.6"}}}))
		st, loc := tc.post(rollPath(c1)+"/zero", url.Values{"date": {rollDay()}, "slot": {"morning"}})
		if st != http.StatusSeeOther || !strings.Contains(loc, "zero=1") {
			t.Fatalf("zero report = %d %s", st, loc)
		}
		_, body := tc.page(loc)
		if !strings.Contains(body, "零报告已提交 1 人") {
			t.Fatal("page does not say how many the zero report covered")
		}
		if c := f.rollCheckin(p5, "morning"); c == nil || c.Note != "零报告" || c.Source != "teacher" || c.Absent || c.TemperatureC != nil {
			t.Fatalf("p5's zero report = %+v", c)
		}
		if c := f.rollCheckin(p1, "morning"); c.Revision != 1 || *c.TemperatureC != 38.6 {
			t.Fatalf("p1's record was overwritten: %+v", c)
		}
		if f.rollCheckin(p6, "morning") != nil {
			t.Fatal("the zero report covered a person away ill")
		}
		if _, loc := tc.post(rollPath(c1)+"/zero", url.Values{"date": {rollDay()}, "slot": {"morning"}}); !strings.Contains(loc, "zero=0") {
			t.Fatalf("second zero report = %s", loc)
		}
		// Another slot is another report.
		if _, loc := tc.post(rollPath(c1)+"/zero", url.Values{"date": {rollDay()}, "slot": {"noon"}}); !strings.Contains(loc, "zero=2") {
			t.Fatalf("noon zero report = %s", loc)
		}
		entries, err := f.db.AuditLog(ctx, domain.System(), store.AuditQuery{Username: "teacher", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if strings.Contains(e.Detail, "零报告") && e.Target == fmt.Sprintf("org:%d", c1.ID) {
				n++
			}
		}
		if n != 3 {
			t.Fatalf("%d zero-report audit entries, want 3", n)
		}
	})
}

func TestRollRemind(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		c1 := f.orgs["C1"]
		tc := f.rollClient("teacher")
		_, body := tc.page(rollPath(c1) + "?slot=morning")
		if !strings.Contains(body, "未打卡名单") || !strings.Contains(body, "个人暂未设置通知渠道") {
			t.Fatal("roll page lacks the missing list or says nothing about channels")
		}
		v := url.Values{"date": {rollDay()}, "slot": {"morning"}}
		// The teacher of C1 and the health officer of S1 hear about it.
		st, loc := tc.post(rollPath(c1)+"/remind", v)
		if st != http.StatusSeeOther || !strings.Contains(loc, "reminded=2") {
			t.Fatalf("remind = %d %s", st, loc)
		}
		if _, body := tc.page(loc); !strings.Contains(body, "已向 2 位负责人发送提醒") {
			t.Fatal("page does not say how many were reminded")
		}
		if _, loc := tc.post(rollPath(c1)+"/remind", v); !strings.Contains(loc, "reminded=0") {
			t.Fatalf("second remind = %s", loc)
		} else if _, body := tc.page(loc); !strings.Contains(body, "已提醒过") {
			t.Fatal("second press does not say it was already sent")
		}
		ns, err := f.db.DueNotifications(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		prefix := fmt.Sprintf("remind:%d:%s:morning:", c1.ID, rollDay())
		var got []store.Notification
		for _, n := range ns {
			if strings.HasPrefix(n.DedupeKey, prefix) {
				got = append(got, n)
			}
		}
		if len(got) != 2 {
			t.Fatalf("%d reminders enqueued, want 2: %+v", len(got), ns)
		}
		for _, n := range got {
			if n.Channel != "inbox" || !strings.Contains(n.Body, f.people["p1"].Name) || !strings.Contains(n.Link, rollPath(c1)) {
				t.Errorf("reminder = %+v", n)
			}
		}
		// Nobody missing, nothing sent.
		tc.post(rollPath(c1)+"/zero", v)
		if _, loc := tc.post(rollPath(c1)+"/remind", v); !strings.Contains(loc, "reminded=none") {
			t.Fatalf("remind with nobody missing = %s", loc)
		}
	})
}

func TestRollAbsentIll(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	ctx := context.Background()
	p1, c1 := f.people["p1"], f.orgs["C1"]
	p5 := &domain.Person{ExternalID: "p5", Name: "学生p5", OrgID: c1.ID}
	if err := f.db.CreatePerson(ctx, domain.System(), p5); err != nil {
		t.Fatal(err)
	}
	tc := f.rollClient("teacher")
	rows := map[*domain.Person]map[string][]string{
		p1: {"att": {"absent"}, "reason": {"illness"}, "sym": {"fever", "cough"}},
		p5: {"att": {"absent"}, "reason": {"other"}},
	}
	if st, loc := tc.post(rollPath(c1), rollForm(rows)); st != http.StatusSeeOther || !strings.Contains(loc, "saved=2") {
		t.Fatalf("absent rows = %d %s", st, loc)
	}
	abs, err := f.db.Absences(ctx, domain.System(), store.AbsenceQuery{OrgID: c1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(abs) != 1 || abs[0].PersonID != p1.ID || abs[0].StartDate != rollDay() || len(abs[0].Symptoms) != 2 || abs[0].ReportedBy != "teacher" {
		t.Fatalf("absences = %+v", abs)
	}
	if c := f.rollCheckin(p1, "morning"); !c.Absent || c.Note != "因病缺勤" {
		t.Fatalf("p1's record = %+v", c)
	}
	if c := f.rollCheckin(p5, "morning"); !c.Absent || c.Note != "事假" {
		t.Fatalf("p5's record = %+v", c)
	}
	// The roll links the row to its absence, and the noon check does not
	// open a second one.
	_, body := tc.page(rollPath(c1) + "?slot=noon")
	if !strings.Contains(body, fmt.Sprintf(`href="/absences/%d"`, abs[0].ID)) {
		t.Fatal("roll does not link the absent-ill row to its absence")
	}
	rows = map[*domain.Person]map[string][]string{p1: {"att": {"absent"}, "reason": {"illness"}}}
	v := rollForm(rows)
	v.Set("slot", "noon")
	if st, _ := tc.post(rollPath(c1), v); st != http.StatusSeeOther {
		t.Fatalf("noon absent row = %d", st)
	}
	if abs, _ := f.db.Absences(ctx, domain.System(), store.AbsenceQuery{OrgID: c1.ID}); len(abs) != 1 {
		t.Fatalf("%d absences after a second absent-ill row", len(abs))
	}
}

func TestAbsencePages(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		p1 := f.people["p1"]
		tc := f.rollClient("teacher")
		st, body := tc.page(fmt.Sprintf("/absences/new?person=%d", p1.ID))
		if st != 200 || !strings.Contains(body, `value="p1"`) || !strings.Contains(body, "水痘") || !strings.Contains(body, "其他") {
			t.Fatalf("new absence form = %d", st)
		}
		// A person of another class cannot be registered.
		form := url.Values{"external_id": {"p2"}, "start_date": {rollDay()}, "diagnosis": {"varicella"}}
		if st, body := tc.post("/absences", form); st != 400 || !strings.Contains(body, "external_id") {
			t.Fatalf("absence for p2 = %d", st)
		}
		form = url.Values{"external_id": {"p1"}, "start_date": {rollDay()}, "onset_date": {rollDay()}, "symptoms": {"rash", "fever"},
			"saw_doctor": {"1"}, "hospital": {"区人民医院"}, "diagnosis": {"varicella"}}
		st, loc := tc.post("/absences", form)
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/absences/") {
			t.Fatalf("register = %d %s", st, loc)
		}
		detail := strings.Split(loc, "?")[0]
		abs, _ := f.db.Absences(context.Background(), domain.System(), store.AbsenceQuery{})
		if len(abs) != 1 || !abs[0].CertificateRequired || abs[0].Diagnosis != "varicella" || !abs[0].SawDoctor || abs[0].Hospital != "区人民医院" {
			t.Fatalf("registered = %+v", abs)
		}
		if got := f.rollStatus(p1); got != "yellow" {
			t.Fatalf("status while absent = %s", got)
		}
		_, body = tc.page(detail)
		if !strings.Contains(body, "全部皮疹结痂干燥") || !strings.Contains(body, "未收到") || !strings.Contains(body, "区人民医院") {
			t.Fatal("detail lacks the return criterion, certificate state or hospital")
		}
		_, body = tc.page("/absences?open=1")
		if !strings.Contains(body, detail) || !strings.Contains(body, "缺勤中") {
			t.Fatal("open list lacks the absence")
		}

		// Back at school, no certificate yet: still yellow.
		st, loc = tc.post(detail, url.Values{"followup": {"电话随访：皮疹已结痂"}, "outcome": {"recovered"}, "return_date": {rollDay()},
			"diagnosis": {"varicella"}, "certificate_received": {""}})
		if st != http.StatusSeeOther {
			t.Fatalf("update = %d %s", st, loc)
		}
		st2, err := f.db.PersonStatus(context.Background(), domain.System(), p1.ID, "zh-CN")
		if err != nil || st2.Level != "yellow" || len(st2.Reasons) != 1 || st2.Reasons[0].Code != "return_certificate_missing" {
			t.Fatalf("status after return without certificate = %+v %v", st2, err)
		}
		_, body = tc.page(detail)
		if !strings.Contains(body, "电话随访：皮疹已结痂") || !strings.Contains(body, "待交复课证明") || !strings.Contains(body, "尚未收到复课证明") {
			t.Fatal("detail lacks the follow-up or the certificate state")
		}
		// A certificate from the future is refused, and the input is kept.
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		if st, body := tc.post(detail, url.Values{"certificate_received": {tomorrow}, "followup": {"待定"}}); st != 400 || !strings.Contains(body, "待定") {
			t.Fatalf("future certificate = %d", st)
		}
		// Certificate received: green, closed, gone from the open list.
		if st, _ := tc.post(detail, url.Values{"certificate_received": {rollDay()}}); st != http.StatusSeeOther {
			t.Fatalf("certificate = %d", st)
		}
		if got := f.rollStatus(p1); got != "green" {
			t.Fatalf("status after the certificate = %s", got)
		}
		if _, body := tc.page("/absences?open=1"); strings.Contains(body, detail) {
			t.Fatal("closed absence still in the open list")
		}
		if _, body := tc.page("/absences"); !strings.Contains(body, "已结案") {
			t.Fatal("list does not show the absence closed")
		}
		// Other diagnoses are free text and need no certificate.
		form = url.Values{"external_id": {"p1"}, "start_date": {rollDay()}, "diagnosis": {"other"}, "diagnosis_other": {"急性胃肠炎"}}
		st, loc = tc.post("/absences", form)
		if st != http.StatusSeeOther {
			t.Fatalf("register other = %d %s", st, loc)
		}
		if _, body := tc.page(strings.Split(loc, "?")[0]); !strings.Contains(body, "急性胃肠炎") || !strings.Contains(body, "不需要") {
			t.Fatal("free-text diagnosis not shown")
		}
		// Out of scope: another class's absence is not found.
		ctx := context.Background()
		a := &domain.Absence{PersonID: f.people["p2"].ID, StartDate: rollDay()}
		if err := f.db.CreateAbsence(ctx, domain.System(), a, rollDay()); err != nil {
			t.Fatal(err)
		}
		if st, _ := tc.page(fmt.Sprintf("/absences/%d", a.ID)); st != 404 {
			t.Fatalf("other class's absence = %d", st)
		}
	})
}

// On a day that is not a school day of the unit's calendar, the roll and
// the completion page say so and why, so that an empty roll does not read
// as a class that forgot to check in; school days, make-up Saturdays (调休)
// included, carry no such note.
func TestRollAndDailyNameDaysWithoutSchool(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		c1 := f.orgs["C1"]
		tc := f.rollClient("teacher")
		for _, tt := range []struct{ date, want string }{
			{"2026-10-01", "不是" + c1.Name + "的上学日（节假日 · 国庆节）"},
			{"2026-11-28", "不是" + c1.Name + "的上学日（周末）"},
			{"2026-10-10", ""},
			{"2026-11-23", ""},
		} {
			for _, path := range []string{rollPath(c1), fmt.Sprintf("/orgs/%d/daily", c1.ID)} {
				st, body := tc.page(path + "?slot=morning&date=" + tt.date)
				if st != http.StatusOK {
					t.Fatalf("%s %s = %d", path, tt.date, st)
				}
				if tt.want == "" && strings.Contains(body, "的上学日") || tt.want != "" && !strings.Contains(body, tt.want) {
					t.Errorf("%s on %s: want note %q in the page, no such note", path, tt.date, tt.want)
				}
			}
		}
	})
}

// The roll's symptom cells are written outside the template: they must
// escape what they write as the template would, and tick what is checked.
func TestSymptomCells(t *testing.T) {
	got := web.SymptomCells(7, []string{"cough", `x"><script>`}, []string{"咳嗽", "<b>&"}, map[string]bool{"cough": true})
	want := `<td class="sym"><label><input type="checkbox" name="sym_7" value="cough" data-col="sym-cough" checked><span class="sr">咳嗽</span></label></td>` +
		`<td class="sym"><label><input type="checkbox" name="sym_7" value="x&#34;&gt;&lt;script&gt;" data-col="sym-x&#34;&gt;&lt;script&gt;"><span class="sr">&lt;b&gt;&amp;</span></label></td>`
	if got != want {
		t.Fatalf("cells =\n%s\nwant\n%s", got, want)
	}
}
