package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
	"epiguard/internal/web"
)

// TestDailyChildrenField checks the shape of SPEC §4.2's completion
// summary: "children" is always there, [] for a unit without child units,
// and the entries in it carry the unit's figures without a "children" of
// their own.
func TestDailyChildrenField(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	admin := f.signIn("admin")
	var class map[string]json.RawMessage
	if st := admin.do("GET", fmt.Sprintf("/api/v1/orgs/%d/daily?date=2026-11-27", f.orgs["C1"].ID), nil, &class); st != 200 {
		t.Fatalf("class daily = %d", st)
	}
	if got := string(class["children"]); got != "[]" {
		t.Errorf(`class: "children" = %q, want []`, got)
	}
	var school struct {
		Children []map[string]json.RawMessage `json:"children"`
	}
	if st := admin.do("GET", fmt.Sprintf("/api/v1/orgs/%d/daily?date=2026-11-27", f.orgs["S1"].ID), nil, &school); st != 200 {
		t.Fatalf("school daily = %d", st)
	}
	if len(school.Children) != 2 {
		t.Fatalf("school: %d children, want 2", len(school.Children))
	}
	for _, c := range school.Children {
		if _, ok := c["children"]; ok {
			t.Errorf("child entry %s has a children field", c["code"])
		}
		for _, k := range []string{"org_id", "date", "expected", "checked_in", "missing", "abnormal", "absent_ill"} {
			if _, ok := c[k]; !ok {
				t.Errorf("child entry %s lacks %q", c["code"], k)
			}
		}
	}
}

// TestAbsencesAPI checks the illness absence list and registration of
// SPEC §4.2: the list pages with limit and next, and a second absence
// covering a day the person is already away answers 409.
func TestAbsencesAPI(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	health := f.signIn("health")
	ids := map[int64]bool{}
	for i, d := range []string{"2026-11-02", "2026-11-09", "2026-11-16"} {
		var a struct {
			ID int64 `json:"id"`
		}
		// Back on the 4th and the 11th; the last one still away.
		body := map[string]any{"person_id": f.people["p1"].ID, "start_date": d, "return_date": []string{"2026-11-04", "2026-11-11", ""}[i]}
		if st := health.do("POST", "/api/v1/absences", body, &a); st != 201 {
			t.Fatalf("absence from %s = %d", d, st)
		}
		ids[a.ID] = true
	}
	// p1 is away from the 16th with no return date: the 20th is covered.
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if st := health.do("POST", "/api/v1/absences", map[string]any{"person_id": f.people["p1"].ID, "start_date": "2026-11-20"}, &e); st != 409 || e.Error.Code != "conflict" {
		t.Errorf("second absence over an open one = %d %+v, want 409 conflict", st, e)
	}
	// Two to a page, newest first: two pages, every absence once.
	seen := map[int64]bool{}
	next := fmt.Sprintf("/api/v1/absences?org=%d&limit=2", f.orgs["S1"].ID)
	for pages := 0; next != ""; pages++ {
		if pages > 2 {
			t.Fatal("more than two pages")
		}
		var page struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
			Next *string `json:"next"`
		}
		if st := health.do("GET", next, nil, &page); st != 200 {
			t.Fatalf("GET %s = %d", next, st)
		}
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Errorf("absence %d twice", it.ID)
			}
			seen[it.ID] = true
		}
		next = ""
		if page.Next != nil {
			next = strings.TrimPrefix(*page.Next, f.srv.URL)
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("listed %d absences, want %d", len(seen), len(ids))
	}
}

// The completion page's child rows are written outside the template: they
// must escape what they write as the template would, and keep the
// syndromes' order.
func TestChildRows(t *testing.T) {
	got := string(web.ChildRows([]*store.DailyFigures{{OrgID: 12, Name: `初一<1>班 & "A"`, Expected: 50, CheckedIn: 48, Missing: 1, AbsentIll: 1,
		Abnormal: map[domain.Syndrome]int{domain.SynFever: 2}}}, []domain.Syndrome{domain.SynGI, domain.SynFever}, "2026-11-23", "noon"))
	want := `<tr><td><a href="/orgs/12/daily?date=2026-11-23&amp;slot=noon">初一&lt;1&gt;班 &amp; &#34;A&#34;</a></td>` +
		`<td class="num">50</td><td class="num">48</td><td class="num">1</td><td class="num">1</td><td class="num">0</td><td class="num">2</td></tr>` + "\n"
	if got != want {
		t.Fatalf("rows =\n%s\nwant\n%s", got, want)
	}
}

// Check-ins are health records: the people who keep them (class
// teachers, health officers, admins) may record them through the API;
// guards, operations staff and viewers may not, whatever their scope. A
// staff member at a screen records as staff: self and guardian check-ins
// come through personal links, or are relayed by an integration with an
// API token.
func TestCheckinAPIRolesAndSource(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1 := f.people["p1"].ID
	day := func(i int) string { return time.Now().UTC().AddDate(0, 0, -i).Format(time.DateOnly) }
	for i, tc := range []struct {
		role string
		want int
	}{{"admin", 201}, {"health", 201}, {"teacher", 201}, {"guard", 403}, {"ops", 403}, {"viewer", 403}} {
		var out struct {
			Error *struct{ Code string } `json:"error"`
		}
		got := f.signIn(tc.role).do("POST", "/api/v1/checkins", map[string]any{"person_id": p1, "date": day(i), "slot": "morning",
			"temperature_c": 36.6}, &out)
		if got != tc.want {
			t.Errorf("%s records a check-in: %d, want %d", tc.role, got, tc.want)
		}
	}
	teacher := f.signIn("teacher")
	var bad struct {
		Error struct {
			Fields []struct{ Field string }
		} `json:"error"`
	}
	if got := teacher.do("POST", "/api/v1/checkins", map[string]any{"person_id": p1, "date": day(0), "slot": "noon",
		"source": "guardian"}, &bad); got/100 != 4 || len(bad.Error.Fields) != 1 || bad.Error.Fields[0].Field != "source" {
		t.Errorf("a teacher's check-in as the guardian: %d %+v", got, bad)
	}
	// An integration's token may relay a guardian's check-in.
	admin := f.signIn("admin")
	var accs struct{ Items []domain.Account }
	admin.do("GET", "/api/v1/accounts", nil, &accs)
	var teacherID int64
	for _, a := range accs.Items {
		if a.Username == "teacher" {
			teacherID = a.ID
		}
	}
	var tok struct{ Token string }
	if st := admin.do("POST", "/api/v1/tokens", map[string]any{"account_id": teacherID, "name": "家校通"}, &tok); st != 201 {
		t.Fatalf("token = %d", st)
	}
	body := strings.NewReader(fmt.Sprintf(`{"person_id":%d,"date":%q,"slot":"noon","source":"guardian"}`, p1, day(0)))
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/checkins", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("relayed guardian check-in = %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

// A guard sees what the gate needs of a person, the status and its
// reasons, not two weeks of their check-ins with addresses and notes.
func TestPersonStatusForGuards(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	p1 := f.people["p1"].ID
	if st := f.signIn("teacher").do("POST", "/api/v1/checkins", map[string]any{"person_id": p1, "slot": "morning",
		"temperature_c": 38.4, "address": "花家地北里3号楼", "note": "夜里发烧"}, nil); st != 201 {
		t.Fatalf("check-in = %d", st)
	}
	path := fmt.Sprintf("/api/v1/people/%d/status", p1)
	var guard, health struct {
		Status   string
		Reasons  []any
		Checkins []any
		History  []any
	}
	if st := f.signIn("guard").do("GET", path, nil, &guard); st != 200 || guard.Status != "yellow" || len(guard.Reasons) == 0 ||
		len(guard.Checkins) != 0 || len(guard.History) != 0 {
		t.Errorf("guard = %d %+v", st, guard)
	}
	if st := f.signIn("health").do("GET", path, nil, &health); st != 200 || len(health.Checkins) != 1 || len(health.History) == 0 {
		t.Errorf("health officer = %d %+v", st, health)
	}
}
