package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
	"epiguard/internal/web"
)

// signInForm signs in through the HTML form, as a browser would.
func (f *fixture) signInForm(user string) *client {
	c := f.anon()
	resp, err := c.http.PostForm(f.srv.URL+"/login", url.Values{"username": {user}, "password": {password}, "next": {"/people"}})
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/people" {
		f.t.Fatalf("form sign-in as %s = %d → %s", user, resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

func (c *client) page(path string) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestPagesByRole(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1 := fmt.Sprint(f.people["p1"].ID)
	c1 := fmt.Sprint(f.orgs["C1"].ID)
	pages := []string{"/", "/orgs/" + c1, "/people", "/people?q=p1", "/people/" + p1, "/people/new", "/import", "/accounts", "/tokens", "/audit"}
	want := map[string][]int{
		"admin":   {200, 200, 200, 200, 200, 200, 200, 200, 200, 200},
		"health":  {200, 200, 200, 200, 200, 200, 200, 403, 403, 403},
		"teacher": {200, 200, 200, 200, 200, 403, 403, 403, 403, 403},
		"viewer":  {200, 200, 403, 403, 404, 403, 403, 403, 403, 403},
	}
	for role, codes := range want {
		c := f.signInForm(role)
		for i, p := range pages {
			st, body := c.page(p)
			if st != codes[i] {
				t.Errorf("%s GET %s = %d, want %d", role, p, st, codes[i])
			}
			if !strings.Contains(body, `<html lang="zh-CN">`) {
				t.Errorf("%s GET %s: not a zh-CN page", role, p)
			}
			if st == 200 && strings.Contains(body, "<b>") && strings.Contains(body, "role=\"alert\"") {
				t.Errorf("%s GET %s shows an error", role, p)
			}
		}
	}
	// Anonymous visitors are sent to sign in.
	st, _ := f.anon().page("/people")
	if st != http.StatusSeeOther {
		t.Fatalf("anonymous /people = %d", st)
	}
}

func TestPagesMaskAndEnglish(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1 := f.people["p1"]
	c := f.signInForm("health")
	_, body := c.page(fmt.Sprintf("/people/%d", p1.ID))
	if strings.Contains(body, p1.IDNumber) || !strings.Contains(body, p1.IDNumber[:3]+"***********"+p1.IDNumber[14:]) {
		t.Fatal("person page does not mask the identity number")
	}
	_, body = c.page(fmt.Sprintf("/people/%d?unmask=1", p1.ID))
	if !strings.Contains(body, p1.IDNumber) {
		t.Fatal("unmasked page lacks the identity number")
	}
	tc := f.signInForm("teacher")
	if st, _ := tc.page(fmt.Sprintf("/people/%d?unmask=1", p1.ID)); st != 403 {
		t.Fatalf("teacher unmask page = %d", st)
	}
	if st, _ := tc.page(fmt.Sprintf("/people/%d", f.people["p2"].ID)); st != 404 {
		t.Fatalf("teacher reads another class = %d", st)
	}
	// Switch to English.
	resp, _ := c.http.Get(f.srv.URL + "/lang/en?next=/people")
	resp.Body.Close()
	_, body = c.page("/people")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "People") {
		t.Fatal("English not selected")
	}
}

// TestOrgPageMasksResponsiblePhones: a unit's responsible persons are
// listed with their phone numbers masked, as every phone number on screen
// (SPEC §7.3), for every role but the admin who keeps them.
func TestOrgPageMasksResponsiblePhones(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c1 := f.orgs["C1"]
	resp := []domain.Responsible{{Role: "班主任", Name: "夏老师", Phone: "13800138000"}}
	if _, err := f.db.UpdateOrg(context.Background(), domain.System(), c1.ID, store.OrgUpdate{Responsible: &resp}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/orgs/%d", c1.ID)
	for _, user := range []string{"viewer", "teacher", "health"} {
		st, body := f.signInForm(user).page(path)
		if st != 200 || !strings.Contains(body, "夏老师") {
			t.Fatalf("%s: unit page = %d, or without its responsible person", user, st)
		}
		if strings.Contains(body, "13800138000") || !strings.Contains(body, "138****8000") {
			t.Errorf("%s: the responsible person's phone is not masked", user)
		}
	}
	if _, body := f.signInForm("admin").page(path); !strings.Contains(body, "13800138000") {
		t.Error("the admin's edit form lacks the phone number to keep")
	}
}

// TestPersonPageLinksOnlyUnitsInScope: a class teacher opens a pupil whose
// dorm room belongs to another part of the school; the room is named but
// not linked, since its page would answer "not found".
func TestPersonPageLinksOnlyUnitsInScope(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1, room := f.people["p1"], f.orgs["S2"]
	if err := f.db.SetMembership(context.Background(), domain.System(), p1.ID, room.ID, "", false); err != nil {
		t.Fatal(err)
	}
	link := fmt.Sprintf(`href="/orgs/%d"`, room.ID)
	_, body := f.signInForm("teacher").page(fmt.Sprintf("/people/%d", p1.ID))
	if !strings.Contains(body, room.Name) || strings.Contains(body, link) {
		t.Error("the teacher's person page links a unit outside the teacher's scope, or omits it")
	}
	if _, body = f.signInForm("admin").page(fmt.Sprintf("/people/%d", p1.ID)); !strings.Contains(body, link) {
		t.Error("the admin's person page does not link the unit in scope")
	}
}

// TestNavMarksOneEntryCurrent: the roll and the completion summary live
// under /orgs/, but only their own entry is the current page.
func TestNavMarksOneEntryCurrent(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c1 := f.orgs["C1"]
	tc := f.signInForm("teacher")
	for path, want := range map[string]string{
		fmt.Sprintf("/orgs/%d/roll", c1.ID):  fmt.Sprintf(`href="/orgs/%d/roll" aria-current="page"`, c1.ID),
		fmt.Sprintf("/orgs/%d/daily", c1.ID): fmt.Sprintf(`href="/orgs/%d/daily" aria-current="page"`, c1.ID),
		fmt.Sprintf("/orgs/%d", c1.ID):       `href="/orgs" aria-current="page"`,
	} {
		_, body := tc.page(path)
		nav, _, _ := strings.Cut(body, "</nav>")
		if n := strings.Count(nav, `aria-current="page"`); n != 1 || !strings.Contains(nav, want) {
			t.Errorf("%s: %d current entries in the navigation, want only %s", path, n, want)
		}
	}
}

// TestNotFoundPageSpeaksThePageLanguage: the error page of a unit out of
// scope says so in Chinese, without the store's English message.
func TestNotFoundPageSpeaksThePageLanguage(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	st, body := f.signInForm("teacher").page(fmt.Sprintf("/orgs/%d", f.orgs["C2"].ID))
	if st != 404 || !strings.Contains(body, "未找到") || strings.Contains(body, "not found") {
		t.Errorf("not-found page = %d, or not in Chinese only", st)
	}
}

func TestPageFormsWithCSRF(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.signInForm("admin")
	_, body := c.page(fmt.Sprintf("/orgs/%d", f.orgs["S1"].ID))
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no csrf token in the form")
	}
	post := func(path string, v url.Values) (int, string) {
		resp, err := c.http.PostForm(f.srv.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b) + resp.Header.Get("Location")
	}
	v := url.Values{"parent_id": {fmt.Sprint(f.orgs["S1"].ID)}, "kind": {"class"}, "code": {"C3"}, "name": {"初一(3)班"}, "responsible": {"班主任,王老师,13800138009"}}
	if st, _ := post("/orgs", v); st != 403 {
		t.Fatalf("form without CSRF = %d", st)
	}
	v.Set("csrf_token", m[1])
	if st, loc := post("/orgs", v); st != http.StatusSeeOther || !strings.Contains(loc, "notice=saved") {
		t.Fatalf("create unit = %d %s", st, loc)
	}
	v.Set("code", "C3")
	if st, body := post("/orgs", v); st != 409 || !strings.Contains(body, "already in use") {
		t.Fatalf("duplicate code = %d", st)
	}
	np := url.Values{"csrf_token": {m[1]}, "external_id": {"n1"}, "name": {"新同学"}, "kind": {"student"}, "org_code": {"C3"},
		"id_number": {"123"}}
	if st, body := post("/people", np); st != 400 || !strings.Contains(body, "id_number") {
		t.Fatalf("bad id number = %d", st)
	}
	np.Set("id_number", validID("11010520100307129"))
	if st, loc := post("/people", np); st != http.StatusSeeOther {
		t.Fatalf("create person = %d %s", st, loc)
	}
}

// TestTranslationsComplete fails when a template uses a message key that
// the catalog lacks.
func TestTranslationsComplete(t *testing.T) {
	keys := regexp.MustCompile(`\.L\.[TF] "([^"]+)"`)
	entries, _ := os.ReadDir("templates")
	for _, e := range entries {
		b, err := os.ReadFile("templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keys.FindAllStringSubmatch(string(b), -1) {
			if !web.HasMessage(m[1]) {
				t.Errorf("%s: no translation for %q", e.Name(), m[1])
			}
		}
	}
}

// A page that fails inside answers 500 with the error page in the page's
// language and nothing of the failure, not Go's bare English text.
func TestInternalErrorPage(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		tc := f.rollClient("teacher")
		f.db.Close()
		st, body := tc.page(rollPath(f.orgs["C1"]))
		if st != http.StatusInternalServerError || !strings.Contains(body, "服务器内部错误") || !strings.Contains(body, "<html") {
			t.Fatalf("page with the database gone = %d %q", st, body)
		}
		if strings.Contains(body, "sql") || strings.Contains(body, "closed") {
			t.Fatalf("the error page tells the failure: %q", body)
		}
	})
}

// Pages show moments in the installation's time zone: stored times are
// UTC, and a page that formats one as it is shows the API tokens of a
// Beijing school as created eight hours early, the day before.
func TestPagesShowLocalTimes(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 11, 28, 21, 33, 0, 0, time.UTC)
	if got := web.ViewTime(sh, "zh-CN", at); got != "2026年11月29日 05:33" {
		t.Fatalf("time = %q", got)
	}
	for name, text := range web.Templates() {
		if strings.Contains(text, "L.Time") {
			t.Errorf("%s formats a time with L.Time, which keeps its zone; use .Time", name)
		}
	}
}
