package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"epiguard/internal/browsertest"
	"epiguard/internal/domain"
	"epiguard/internal/secret"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
	"epiguard/internal/web"
)

var browser *browsertest.Browser

func TestMain(m *testing.M) {
	var stop func()
	browser, stop = browsertest.Start()
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	stop()
	testdb.Shutdown()
	os.Exit(code)
}

// fixture is a running server over a real store with two districts:
//
//	D1 示范区 > S1 实验中学 > C1, C2 (classes);  D1 > S2 阳光小学
//	D2 邻区 > S3
//
// people p1 (C1), p2 (C2), p3 (S2), p4 (S3), and one account per role.
type fixture struct {
	t      *testing.T
	db     *store.DB
	srv    *httptest.Server
	orgs   map[string]*domain.Org
	people map[string]*domain.Person
}

const password = "pw-1234"

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	box, _ := secret.NewBox(make([]byte, secret.KeySize))
	db, err := store.Open(ctx, dsn, store.Options{Box: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, orgs: map[string]*domain.Org{}, people: map[string]*domain.Person{}}
	org := func(parent, kind, code string) {
		o := &domain.Org{Kind: domain.OrgKind(kind), Code: code, Name: code + "名"}
		if parent != "" {
			o.ParentID = &f.orgs[parent].ID
		}
		if err := db.CreateOrg(ctx, domain.System(), o); err != nil {
			t.Fatal(err)
		}
		f.orgs[code] = o
	}
	org("", "district", "D1")
	org("D1", "school", "S1")
	org("S1", "class", "C1")
	org("S1", "class", "C2")
	org("D1", "school", "S2")
	org("", "district", "D2")
	org("D2", "school", "S3")
	for i, pc := range [][2]string{{"p1", "C1"}, {"p2", "C2"}, {"p3", "S2"}, {"p4", "S3"}} {
		p := &domain.Person{ExternalID: pc[0], Name: "学生" + pc[0], OrgID: f.orgs[pc[1]].ID,
			IDNumber: validID(fmt.Sprintf("1101052010030712%d", i)), Phone: fmt.Sprintf("1380013800%d", i)}
		if err := db.CreatePerson(ctx, domain.System(), p); err != nil {
			t.Fatal(err)
		}
		f.people[pc[0]] = p
	}
	for _, a := range []struct {
		user, role, org string
	}{{"admin", "admin", "D1"}, {"health", "health", "S1"}, {"teacher", "teacher", "C1"}, {"guard", "guard", "S1"},
		{"ops", "ops", "S1"}, {"viewer", "viewer", "D1"}} {
		acc := &domain.Account{Username: a.user, Role: domain.Role(a.role), OrgID: f.orgs[a.org].ID}
		if err := db.CreateAccount(ctx, domain.System(), acc, password); err != nil {
			t.Fatal(err)
		}
	}
	s, err := web.New(web.Config{DB: db, Location: time.UTC, PassKey: box.DerivedKey("gate pass")})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func validID(first17 string) string { return first17 + string(domain.IDNumberCheckChar(first17)) }

// client is a signed-in API client.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func (f *fixture) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: f.t, base: f.srv.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (f *fixture) signIn(user string) *client {
	c := f.anon()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if st := c.do("POST", "/api/v1/session", map[string]string{"username": user, "password": password}, &out); st != 200 {
		f.t.Fatalf("sign in %s: %d", user, st)
	}
	c.csrf = out.CSRF
	return c
}

// do sends a JSON request and decodes a JSON answer into out (if not nil).
func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func engines(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newFixture(t, e.DSN(t)))
		})
	}
}

// TestScopeMatrix checks role × endpoint × (in scope, out of scope).
func TestScopeMatrix(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		// in: a target every role's scope contains; out: one outside it.
		in := map[string]string{"person": "p1", "org": "C1"}
		out := map[string]map[string]string{
			"admin":   {"person": "p4", "org": "S3"},
			"viewer":  {"person": "p4", "org": "S3"},
			"health":  {"person": "p3", "org": "S2"},
			"guard":   {"person": "p3", "org": "S2"},
			"ops":     {"person": "p3", "org": "S2"},
			"teacher": {"person": "p2", "org": "C2"},
		}
		type endpoint struct {
			name, method, path string // path has {person} or {org}
			body               any
			target             string
			want               map[string][2]int // role → {in, out}
		}
		eps := []endpoint{
			{"read person", "GET", "/api/v1/people/{person}", nil, "person", map[string][2]int{
				"admin": {200, 404}, "health": {200, 404}, "teacher": {200, 404}, "guard": {200, 404}, "ops": {200, 404}, "viewer": {404, 404}}},
			{"unmask person", "GET", "/api/v1/people/{person}?unmask=1", nil, "person", map[string][2]int{
				"admin": {200, 404}, "health": {200, 404}, "teacher": {403, 404}, "guard": {403, 404}, "ops": {403, 404}, "viewer": {404, 404}}},
			{"edit person", "PATCH", "/api/v1/people/{person}", map[string]any{"tags": []string{"key_person"}}, "person", map[string][2]int{
				"admin": {200, 404}, "health": {200, 404}, "teacher": {403, 404}, "guard": {403, 404}, "ops": {403, 404}, "viewer": {404, 404}}},
			{"rotate link", "POST", "/api/v1/people/{person}/token", nil, "person", map[string][2]int{
				"admin": {200, 404}, "health": {200, 404}, "teacher": {403, 404}, "guard": {403, 404}, "ops": {403, 404}, "viewer": {404, 404}}},
			{"list people of unit", "GET", "/api/v1/people?org={org}", nil, "org", map[string][2]int{
				"admin": {200, 404}, "health": {200, 404}, "teacher": {200, 404}, "guard": {200, 404}, "ops": {200, 404}, "viewer": {403, 403}}},
			{"read unit", "GET", "/api/v1/orgs/{org}", nil, "org", map[string][2]int{
				"admin": {200, 404}, "health": {200, 404}, "teacher": {200, 404}, "guard": {200, 404}, "ops": {200, 404}, "viewer": {200, 404}}},
			{"children of unit", "GET", "/api/v1/orgs?parent={org}", nil, "org", map[string][2]int{
				"admin": {200, 404}, "health": {200, 404}, "teacher": {200, 404}, "guard": {200, 404}, "ops": {200, 404}, "viewer": {200, 404}}},
			{"edit unit", "PATCH", "/api/v1/orgs/{org}", map[string]any{"name": "改名"}, "org", map[string][2]int{
				"admin": {200, 404}, "health": {403, 403}, "teacher": {403, 403}, "guard": {403, 403}, "ops": {403, 403}, "viewer": {403, 403}}},
			{"add person to unit", "POST", "/api/v1/people", map[string]any{"external_id": "new-{role}-{scope}", "name": "新人", "org_id": "{org}"}, "org", map[string][2]int{
				"admin": {201, 400}, "health": {201, 400}, "teacher": {403, 403}, "guard": {403, 403}, "ops": {403, 403}, "viewer": {403, 403}}},
			{"add account", "POST", "/api/v1/accounts", map[string]any{"username": "u-{role}-{scope}", "password": "abcd1234", "role": "teacher", "org_id": "{org}"}, "org", map[string][2]int{
				"admin": {201, 400}, "health": {403, 403}, "teacher": {403, 403}, "guard": {403, 403}, "ops": {403, 403}, "viewer": {403, 403}}},
		}
		clients := map[string]*client{}
		for role := range out {
			clients[role] = f.signIn(role)
		}
		for _, ep := range eps {
			for role, want := range ep.want {
				for i, scope := range []string{"in", "out"} {
					key := in[ep.target]
					if scope == "out" {
						key = out[role][ep.target]
					}
					var id int64
					if ep.target == "person" {
						id = f.people[key].ID
					} else {
						id = f.orgs[key].ID
					}
					path := strings.NewReplacer("{person}", fmt.Sprint(id), "{org}", fmt.Sprint(id)).Replace(ep.path)
					var body any
					if ep.body != nil {
						b, _ := json.Marshal(ep.body)
						s := strings.NewReplacer(`"{org}"`, fmt.Sprint(id), "{role}", role, "{scope}", scope).Replace(string(b))
						body = json.RawMessage(s)
					}
					var errBody struct {
						Error *struct{ Code string } `json:"error"`
					}
					got := clients[role].do(ep.method, path, body, &errBody)
					if got != want[i] {
						t.Errorf("%s as %s, %s of scope: %s %s = %d, want %d", ep.name, role, scope, ep.method, path, got, want[i])
					}
					if got >= 400 && (errBody.Error == nil || errBody.Error.Code == "") {
						t.Errorf("%s as %s: error body lacks the error object", ep.name, role)
					}
				}
			}
		}
		// Admin-only lists, no scope dimension.
		for role, c := range clients {
			want := 403
			if role == "admin" {
				want = 200
			}
			for _, p := range []string{"/api/v1/accounts", "/api/v1/tokens", "/api/v1/audit"} {
				if got := c.do("GET", p, nil, nil); got != want {
					t.Errorf("GET %s as %s = %d, want %d", p, role, got, want)
				}
			}
		}
	})
}

func TestSessionAndCSRF(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		anon := f.anon()
		var e struct {
			Error struct {
				Code   string
				Fields []struct{ Field, Message string }
			}
		}
		if st := anon.do("GET", "/api/v1/people", nil, &e); st != 401 || e.Error.Code != "unauthenticated" {
			t.Fatalf("anonymous list = %d %+v", st, e)
		}
		if st := anon.do("POST", "/api/v1/session", map[string]string{"username": "admin", "password": "nope"}, &e); st != 401 {
			t.Fatalf("wrong password = %d", st)
		}
		if st := anon.do("POST", "/api/v1/session", map[string]any{"username": "admin"}, &e); st != 400 || len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "password" {
			t.Fatalf("missing password = %d %+v", st, e)
		}
		if st := anon.do("POST", "/api/v1/session", map[string]any{"username": "admin", "pasword": "x"}, &e); st != 400 {
			t.Fatalf("unknown field = %d", st)
		}
		c := f.signIn("admin")
		first := c.csrf
		// A second sign-in from the same browser gets a new session.
		c2 := f.signIn("admin")
		if c2.csrf == first {
			t.Fatal("session not rotated at sign-in")
		}
		var sess struct {
			User struct{ Username string }
		}
		if st := c.do("GET", "/api/v1/session", nil, &sess); st != 200 || sess.User.Username != "admin" {
			t.Fatalf("session = %d %+v", st, sess)
		}
		c.csrf = ""
		if st := c.do("PATCH", fmt.Sprintf("/api/v1/orgs/%d", f.orgs["C1"].ID), map[string]string{"name": "x"}, &e); st != 403 {
			t.Fatalf("write without CSRF token = %d", st)
		}
		c.csrf = first
		if st := c.do("DELETE", "/api/v1/session", nil, nil); st != 204 {
			t.Fatalf("sign out = %d", st)
		}
		if st := c.do("GET", "/api/v1/session", nil, nil); st != 401 {
			t.Fatalf("after sign-out = %d", st)
		}
	})
}

func TestSignInRateLimit(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.anon()
	for i := 0; i < 10; i++ {
		c.do("POST", "/api/v1/session", map[string]string{"username": "teacher", "password": "wrong"}, nil)
	}
	if st := c.do("POST", "/api/v1/session", map[string]string{"username": "teacher", "password": password}, nil); st != 429 {
		t.Fatalf("11th attempt = %d, want 429", st)
	}
}

func TestBearerTokenAndAudit(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	admin := f.signIn("admin")
	var accs struct {
		Items []domain.Account
	}
	admin.do("GET", "/api/v1/accounts", nil, &accs)
	var guardID int64
	for _, a := range accs.Items {
		if a.Username == "guard" {
			guardID = a.ID
		}
	}
	var tok struct {
		ID    int64
		Token string
	}
	if st := admin.do("POST", "/api/v1/tokens", map[string]any{"account_id": guardID, "name": "东门闸机"}, &tok); st != 201 || tok.Token == "" {
		t.Fatalf("issue token = %d", st)
	}
	dev := &client{t: t, base: f.srv.URL, http: http.DefaultClient}
	req, _ := http.NewRequest("GET", f.srv.URL+fmt.Sprintf("/api/v1/people/%d", f.people["p1"].ID), nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := dev.http.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("bearer read = %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	// The scheme name is case-insensitive (RFC 9110 §11.1): devices that
	// send "bearer" work too.
	lower, _ := http.NewRequest("GET", req.URL.String(), nil)
	lower.Header.Set("Authorization", "bearer "+tok.Token)
	if resp, err := dev.http.Do(lower); err != nil || resp.StatusCode != 200 {
		t.Fatalf("lower-case bearer read = %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	var p domain.Person
	admin.do("GET", fmt.Sprintf("/api/v1/people/%d?unmask=1", f.people["p1"].ID), nil, &p)
	if p.IDNumber != f.people["p1"].IDNumber {
		t.Fatalf("unmasked id = %q", p.IDNumber)
	}
	var masked domain.Person
	admin.do("GET", fmt.Sprintf("/api/v1/people/%d", f.people["p1"].ID), nil, &masked)
	if masked.IDNumber != "" || !strings.Contains(masked.IDNumberMasked, "*") || masked.PhoneMasked != "138****8000" {
		t.Fatalf("masked = %+v", masked)
	}
	var log struct {
		Items []domain.AuditEntry
	}
	admin.do("GET", "/api/v1/audit?action=unmask", nil, &log)
	if len(log.Items) != 1 || log.Items[0].Username != "admin" {
		t.Fatalf("unmask audit = %+v", log.Items)
	}
	if st := admin.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), nil, nil); st != 204 {
		t.Fatalf("revoke = %d", st)
	}
	resp, _ = dev.http.Do(req)
	if resp.StatusCode != 401 {
		t.Fatalf("revoked token = %d", resp.StatusCode)
	}
}

func TestImportAPI(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		c := f.signIn("health")
		upload := func(name, content string, skip bool) (int, map[string]any) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write([]byte(content))
			mw.WriteField("org", "S1")
			if skip {
				mw.WriteField("skip_invalid", "1")
			}
			mw.Close()
			req, _ := http.NewRequest("POST", c.base+"/api/v1/people/import", &b)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("X-CSRF-Token", c.csrf)
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		good := "学号,姓名,班级编码\nx1,甲,C1\nx2,乙,C2\n"
		st, out := upload("a.csv", good, false)
		if st != 200 || out["imported"].(float64) != 2 || out["summary"] != "imported 2, updated 0, invalid 0" {
			t.Fatalf("import = %d %v", st, out)
		}
		st, out = upload("a.csv", good, false)
		if st != 200 || out["imported"].(float64) != 0 || out["updated"].(float64) != 0 {
			t.Fatalf("re-import = %d %v", st, out)
		}
		bad := "学号,姓名,班级编码\nx3,丙,C9\n"
		st, out = upload("b.csv", bad, false)
		rep, _ := out["report"].(map[string]any)
		if st != 422 || rep == nil || rep["lines"].([]any)[0] != `2:班级编码: unknown org code "C9" under S1` {
			t.Fatalf("bad import = %d %v", st, out)
		}
		st, out = upload("c.csv", "\x00\x01\x02garbage", false)
		if st != 400 || out["error"].(map[string]any)["code"] != "invalid_input" {
			t.Fatalf("garbage = %d %v", st, out)
		}
		// The teacher may not import.
		tc := f.signIn("teacher")
		if st := tc.do("POST", "/api/v1/people/import", nil, nil); st != 403 {
			t.Fatalf("teacher import = %d", st)
		}
	})
}

func TestOpsEndpoints(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.anon()
	var h map[string]string
	if st := c.do("GET", "/healthz", nil, &h); st != 200 || h["status"] != "ok" {
		t.Fatalf("healthz = %d %v", st, h)
	}
	if st := c.do("GET", "/readyz", nil, &h); st != 200 {
		t.Fatalf("readyz = %d", st)
	}
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `epiguard_http_requests_total{route="GET /healthz",status="200"} 1`) ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics:\n%s", b)
	}
	for _, hdr := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if resp.Header.Get(hdr) == "" {
			t.Errorf("missing header %s", hdr)
		}
	}
	var doc map[string]any
	if st := c.do("GET", "/api/v1/openapi.json", nil, &doc); st != 200 || doc["openapi"] == nil {
		t.Fatalf("openapi = %d", st)
	}
	f.db.Close()
	if st := c.do("GET", "/readyz", nil, nil); st != 503 {
		t.Fatalf("readyz with the database closed = %d", st)
	}
}

func TestAPIUnknownPathsAnswerJSON(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.signIn("admin")
	var e struct{ Error struct{ Code string } }
	if st := c.do("GET", "/api/v1/nothing-here", nil, &e); st != 404 || e.Error.Code != "not_found" {
		t.Fatalf("unknown path = %d %+v", st, e)
	}
	if st := c.do("PUT", "/api/v1/orgs", nil, &e); st != 404 || e.Error.Code != "not_found" {
		t.Fatalf("wrong method = %d %+v", st, e)
	}
	// A form post cannot sign in through the JSON API (login CSRF).
	resp, err := http.Post(f.srv.URL+"/api/v1/session", "text/plain", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("text/plain sign-in = %d", resp.StatusCode)
	}
}

// TestJSONDecodeErrors checks that a malformed body is reported in the
// API's terms: the JSON field and what it must be, not Go's types.
func TestJSONDecodeErrors(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	c := f.signIn("admin")
	for _, tc := range []struct {
		body         string
		field, words string
	}{
		{`{"person_id":1,"temperature_c":"hot"}`, "temperature_c", "must be a number"},
		{`{"person_id":"one"}`, "person_id", "must be an integer"},
		{`{"person_id":1,"symptoms":"cough"}`, "symptoms", "must be an array"},
		{`{"person_id":1,"on_campus":"yes"}`, "on_campus", "must be true or false"},
		{`{"person_id":1,"tempC":36.5}`, "tempC", "unknown field"},
	} {
		var e struct {
			Error struct {
				Code   string
				Fields []struct{ Field, Message string }
			}
		}
		if st := c.do("POST", "/api/v1/checkins", json.RawMessage(tc.body), &e); st != 400 || len(e.Error.Fields) != 1 ||
			e.Error.Fields[0].Field != tc.field || !strings.Contains(e.Error.Fields[0].Message, tc.words) || strings.Contains(e.Error.Fields[0].Message, "json:") {
			t.Errorf("%s = %d %+v, want 400 on %s: %s", tc.body, st, e, tc.field, tc.words)
		}
	}
}

// TestListsPage checks SPEC §4.2 on the lists the store answers whole:
// they take limit (1 to 1000) and their next links walk every item once.
func TestListsPage(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	ctx := context.Background()
	admin := f.signIn("admin")
	var accs struct{ Items []domain.Account }
	admin.do("GET", "/api/v1/accounts", nil, &accs)
	var adminID int64
	for _, a := range accs.Items {
		if a.Username == "admin" {
			adminID = a.ID
		}
	}
	for i := range 3 {
		n := store.Notification{Channel: "inbox", Target: fmt.Sprintf("account:%d", adminID), Kind: "reminder",
			Title: fmt.Sprintf("消息%d", i), DedupeKey: fmt.Sprintf("list-test-%d", i)}
		if _, err := f.db.Enqueue(ctx, []store.Notification{n}); err != nil {
			t.Fatal(err)
		}
	}
	due, err := f.db.DueNotifications(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range due {
		if err := f.db.DeliverToInbox(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path  string
		limit int
		want  int
	}{
		{fmt.Sprintf("/api/v1/orgs?parent=%d", f.orgs["D1"].ID), 1, 2}, // S1, S2
		{"/api/v1/accounts", 4, 6},
		{"/api/v1/inbox", 2, 3},
	} {
		seen := map[int64]bool{}
		next := fmt.Sprintf("%s%slimit=%d", tc.path, map[bool]string{true: "&", false: "?"}[strings.Contains(tc.path, "?")], tc.limit)
		for pages := 0; next != ""; pages++ {
			if pages > tc.want {
				t.Fatalf("%s: more pages than items", tc.path)
			}
			var page struct {
				Items []struct{ ID int64 }
				Next  *string
			}
			if st := admin.do("GET", next, nil, &page); st != 200 || len(page.Items) > tc.limit {
				t.Fatalf("GET %s = %d with %d items, want at most %d", next, st, len(page.Items), tc.limit)
			}
			for _, it := range page.Items {
				if seen[it.ID] {
					t.Fatalf("%s: item %d twice", tc.path, it.ID)
				}
				seen[it.ID] = true
			}
			next = ""
			if page.Next != nil {
				next = *page.Next
			}
		}
		if len(seen) != tc.want {
			t.Errorf("%s: %d items over all pages, want %d", tc.path, len(seen), tc.want)
		}
		for _, bad := range []string{"0", "1001", "x"} {
			if st := admin.do("GET", tc.path+map[bool]string{true: "&", false: "?"}[strings.Contains(tc.path, "?")]+"limit="+bad, nil, nil); st != 400 {
				t.Errorf("%s with limit=%s = %d, want 400", tc.path, bad, st)
			}
		}
	}
}
