package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

func (f *fixture) personalLink(t *testing.T, person string) string {
	t.Helper()
	tok, err := f.db.RotatePersonToken(context.Background(), domain.System(), f.people[person].ID)
	if err != nil {
		t.Fatal(err)
	}
	return "/p/" + tok
}

func TestPersonalPageCheckin(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.anon()
	link := f.personalLink(t, "p1")
	st, body := c.page(link)
	if st != 200 || !strings.Contains(body, "一切正常，同昨日") || !strings.Contains(body, "学生p1") {
		t.Fatalf("personal page = %d", st)
	}
	post := func(v url.Values) (int, string) {
		resp, err := c.http.PostForm(f.srv.URL+link, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b) + resp.Header.Get("Location")
	}
	pid := fmt.Sprint(f.people["p1"].ID)
	// Another person's id on this link is refused.
	if st, _ := post(url.Values{"person_id": {fmt.Sprint(f.people["p2"].ID)}, "normal": {"1"}}); st != 400 {
		t.Fatalf("foreign person = %d", st)
	}
	if st, body := post(url.Values{"person_id": {pid}, "temperature_c": {"45"}}); st != 400 || !strings.Contains(body, "temperature_c") {
		t.Fatalf("bad temperature = %d", st)
	}
	st, loc := post(url.Values{"person_id": {pid}, "temperature_c": {"38.3"}, "symptoms": {"cough"}})
	if st != http.StatusSeeOther {
		t.Fatalf("fever check-in = %d %s", st, loc)
	}
	_, body = c.page(link + "?done=" + pid)
	if !strings.Contains(body, "status-yellow") || !strings.Contains(body, "38.3") || !strings.Contains(body, "打卡成功") {
		t.Fatalf("status after fever check-in missing:\n%s", body)
	}
	// The one-tap check-in revises today's record: green again.
	if st, _ := post(url.Values{"person_id": {pid}, "normal": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("one-tap = %d", st)
	}
	_, body = c.page(link)
	if !strings.Contains(body, "status-green") {
		t.Fatal("one-tap check-in did not turn the status green")
	}
	// The pass is a fresh PNG every time.
	a, b := f.passPNG(t, c, link, pid), f.passPNG(t, c, link, pid)
	if bytes.Equal(a, b) {
		t.Fatal("two pass images are identical: the token does not change")
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil || img.Bounds().Dx() != 240 {
		t.Fatalf("pass png: %v", err)
	}
	// A rotated link stops working.
	f.personalLink(t, "p1")
	if st, _ := c.page(link); st != 404 {
		t.Fatalf("old link = %d", st)
	}
}

func (f *fixture) passPNG(t *testing.T, c *client, link, pid string) []byte {
	resp, err := c.http.Get(f.srv.URL + link + "/pass.png?person=" + pid)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("pass.png = %d", resp.StatusCode)
	}
	return b
}

// TestPersonalPageWeight checks SPEC §7.1: the check-in page with
// everything it loads stays under 100 KB.
func TestPersonalPageWeight(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.anon()
	link := f.personalLink(t, "p1")
	_, body := c.page(link)
	total := len(body)
	for _, m := range regexp.MustCompile(`(?:src|href)="(/(?:static|p)/[^"]+)"`).FindAllStringSubmatch(body, -1) {
		u := strings.ReplaceAll(m[1], "&amp;", "&")
		resp, err := c.http.Get(f.srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		total += len(b)
	}
	t.Logf("check-in page with its assets: %d bytes", total)
	if total > 100*1024 {
		t.Fatalf("check-in page weighs %d bytes, more than 100 KB", total)
	}
}

func TestCheckinAPI(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		teacher := f.signIn("teacher")
		p1 := f.people["p1"].ID
		var e struct {
			Error struct {
				Code   string
				Fields []struct{ Field, Message string }
			}
		}
		body := map[string]any{"person_id": p1, "temperature_c": 33.9, "symptoms": []string{"cough", "bogus"}, "date": "2099-01-01", "slot": "night"}
		if st := teacher.do("POST", "/api/v1/checkins", body, &e); st != 400 || len(e.Error.Fields) != 4 {
			t.Fatalf("validation = %d %+v", st, e)
		}
		var out struct {
			ID       int64
			Status   string
			Reasons  []struct{ Code, Message string }
			Revision int
			Replayed bool
		}
		ok := map[string]any{"person_id": p1, "temperature_c": 38.5, "symptoms": []string{"sore_throat"}, "client_id": "x-1"}
		if st := teacher.do("POST", "/api/v1/checkins", ok, &out); st != 201 || out.Status != "yellow" || len(out.Reasons) == 0 {
			t.Fatalf("check-in = %d %+v", st, out)
		}
		first := out.ID
		if st := teacher.do("POST", "/api/v1/checkins", ok, &out); st != 200 || !out.Replayed || out.ID != first || out.Revision != 1 {
			t.Fatalf("retry = %d %+v", st, out)
		}
		ok["client_id"], ok["temperature_c"], ok["symptoms"] = "x-2", 36.6, []string{}
		if st := teacher.do("POST", "/api/v1/checkins", ok, &out); st != 200 || out.Revision != 2 || out.Status != "green" {
			t.Fatalf("revision = %d %+v", st, out)
		}
		// The teacher cannot check in a pupil of another class.
		other := map[string]any{"person_id": f.people["p2"].ID}
		if st := teacher.do("POST", "/api/v1/checkins", other, &e); st != 400 || e.Error.Fields[0].Field != "person_id" {
			t.Fatalf("other class = %d %+v", st, e)
		}
		var daily struct {
			Expected  int `json:"expected"`
			CheckedIn int `json:"checked_in"`
			Missing   int `json:"missing"`
		}
		admin := f.signIn("admin")
		if st := admin.do("GET", fmt.Sprintf("/api/v1/orgs/%d/daily", f.orgs["S1"].ID), nil, &daily); st != 200 || daily.Expected != 2 || daily.CheckedIn != 1 {
			t.Fatalf("daily = %d %+v", st, daily)
		}
		var status struct {
			Status   string
			History  []any
			Checkins []any
		}
		if st := teacher.do("GET", fmt.Sprintf("/api/v1/people/%d/status", p1), nil, &status); st != 200 || len(status.History) != 2 || len(status.Checkins) != 1 {
			t.Fatalf("status = %d %+v", st, status)
		}
	})
}

// TestPersonalPageAbsence checks that a person or guardian reports an
// illness absence from the personal link (SPEC §1, §3.2), without an
// account, and that a second tap does not register it twice.
func TestPersonalPageAbsence(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.anon()
	link := f.personalLink(t, "p1")
	st, body := c.page(link)
	if st != 200 || !strings.Contains(body, `action="`+link+`/absences"`) {
		t.Fatalf("personal page = %d, no illness absence form", st)
	}
	post := func(v url.Values) (int, string) {
		resp, err := c.http.PostForm(f.srv.URL+link+"/absences", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b) + resp.Header.Get("Location")
	}
	pid := fmt.Sprint(f.people["p1"].ID)
	if st, _ := post(url.Values{"person_id": {fmt.Sprint(f.people["p2"].ID)}}); st != 400 {
		t.Fatalf("foreign person = %d", st)
	}
	if st, body := post(url.Values{"person_id": {pid}, "onset_date": {"2999-01-01"}}); st != 400 || !strings.Contains(body, "onset_date") {
		t.Fatalf("onset in the future = %d", st)
	}
	report := url.Values{"person_id": {pid}, "symptoms": {"fever", "cough"}, "saw_doctor": {"1"}, "hospital": {"市一医院"}, "diagnosis": {"influenza"}}
	for i := range 2 {
		if st, loc := post(report); st != http.StatusSeeOther || !strings.Contains(loc, "reported="+pid) {
			t.Fatalf("report %d = %d %s", i+1, st, loc)
		}
	}
	list, err := f.db.Absences(context.Background(), domain.System(), store.AbsenceQuery{OrgID: f.orgs["C1"].ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("absences after two taps = %d %v, want 1", len(list), err)
	}
	a := list[0]
	if a.PersonID != f.people["p1"].ID || a.Source != "self" || !a.SawDoctor || a.Diagnosis != "influenza" || !a.CertificateRequired {
		t.Errorf("absence = %+v", a)
	}
	_, body = c.page(link + "?reported=" + pid)
	if !strings.Contains(body, "status-yellow") || !strings.Contains(body, "已登记因病缺勤") {
		t.Errorf("page after the report lacks the notice or the yellow status:\n%s", body)
	}
}

// TestPersonalPageErrorsTranslated checks SPEC §7.4 on the page parents
// use on their phones: a form error reads in the page's language, not in
// the API's English.
func TestPersonalPageErrorsTranslated(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.anon()
	link := f.personalLink(t, "p1")
	pid := fmt.Sprint(f.people["p1"].ID)
	post := func(path string, v url.Values) string {
		resp, err := c.http.PostForm(f.srv.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 {
			t.Fatalf("POST %s = %d, want 400", path, resp.StatusCode)
		}
		return string(b)
	}
	for _, tc := range []struct {
		path string
		form url.Values
		want string
	}{
		{link, url.Values{"person_id": {pid}, "temperature_c": {"45"}}, "34.0 至 43.0"},
		{link, url.Values{"person_id": {pid}, "temperature_c": {"abc"}}, "36.5"},
		{link, url.Values{"person_id": {pid}, "region_code": {"12"}}, "6 位"},
		{link + "/absences", url.Values{"person_id": {pid}, "onset_date": {"2999-01-01"}}, "发病日期"},
	} {
		body := post(tc.path, tc.form)
		if !strings.Contains(body, tc.want) || strings.Contains(body, "invalid input") || strings.Contains(body, "must be") {
			t.Errorf("%v: error not in Chinese (want %q):\n%s", tc.form, tc.want, body)
		}
	}
	resp, err := c.http.Get(f.srv.URL + "/lang/en?next=" + link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if body := post(link, url.Values{"person_id": {pid}, "temperature_c": {"45"}}); !strings.Contains(body, "between 34.0 and 43.0") {
		t.Errorf("English error:\n%s", body)
	}
}
