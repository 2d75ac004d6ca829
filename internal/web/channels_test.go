package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
	"epiguard/internal/web"
)

// fakeRobot stands in for a WeCom group robot on this machine and records
// what it was sent.
type fakeRobot struct {
	srv    *httptest.Server
	status int
	mu     sync.Mutex
	paths  []string
	bodies []string
}

func newFakeRobot(t *testing.T, status int) *fakeRobot {
	fr := &fakeRobot{status: status}
	fr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fr.mu.Lock()
		fr.paths = append(fr.paths, r.URL.RequestURI())
		fr.bodies = append(fr.bodies, string(b))
		status := fr.status
		fr.mu.Unlock()
		if status != http.StatusOK {
			http.Error(w, "robot broken", status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(fr.srv.Close)
	return fr
}

// url is the robot's webhook URL with its key: the secret part.
func (fr *fakeRobot) url(key string) string { return fr.srv.URL + "/cgi-bin/webhook/send?key=" + key }

func (fr *fakeRobot) setStatus(status int) {
	fr.mu.Lock()
	fr.status = status
	fr.mu.Unlock()
}

func (fr *fakeRobot) requests() ([]string, []string) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return append([]string(nil), fr.paths...), append([]string(nil), fr.bodies...)
}

// loopback returns the fixture served by a second server over the same
// store that accepts channels on this machine, as tests need.
func (f *fixture) loopback() *fixture {
	f.t.Helper()
	s, err := web.New(web.Config{DB: f.db, PassKey: make([]byte, 32), AllowLoopbackTargets: true})
	if err != nil {
		f.t.Fatal(err)
	}
	g := *f
	g.srv = httptest.NewServer(s.Handler())
	f.t.Cleanup(g.srv.Close)
	return &g
}

type channelOut struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Kind         string          `json:"kind"`
	TargetMasked string          `json:"target_masked"`
	Enabled      bool            `json:"enabled"`
	Events       []string        `json:"events"`
	LastDelivery *store.Delivery `json:"last_delivery"`
}

// raw sends a JSON request and returns the status and the raw body, for
// checking that a secret appears nowhere in it.
func (c *client) raw(method, path string, body any) (int, string) {
	c.t.Helper()
	var out json.RawMessage
	st := c.do(method, path, body, &out)
	return st, string(out)
}

func fromJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

func TestChannelAPI(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		const key, badKey, dingSecret = "wecomKEY-0123456789abcdef", "brokenKEY-9876543210fedcba", "SECdingtalk0123456789abcdefSECRET"
		good, broken := newFakeRobot(t, http.StatusOK), newFakeRobot(t, http.StatusInternalServerError)
		lf := f.loopback()
		admin := lf.signIn("admin")
		s1 := f.orgs["S1"].ID

		// Validation, field by field; loopback targets only where allowed.
		for _, c := range []struct {
			who   *client
			body  map[string]any
			field string
		}{
			{admin, map[string]any{"org_id": s1, "kind": "wecom", "name": "群", "target": map[string]any{"url": "https://example.com/hook"}}, "url"},
			{admin, map[string]any{"org_id": s1, "kind": "wecom", "name": "群", "target": map[string]any{"url": good.url(key), "secret": "x"}}, "secret"},
			{admin, map[string]any{"org_id": s1, "kind": "pager", "name": "群", "target": map[string]any{"url": good.url(key)}}, "kind"},
			{admin, map[string]any{"org_id": s1, "kind": "wecom", "name": " ", "target": map[string]any{"url": good.url(key)}}, "name"},
			{admin, map[string]any{"org_id": s1, "kind": "wecom", "name": "群", "events": []string{"gossip"}, "target": map[string]any{"url": good.url(key)}}, "events"},
			{admin, map[string]any{"org_id": f.orgs["S3"].ID, "kind": "wecom", "name": "群", "target": map[string]any{"url": good.url(key)}}, "org_id"},
			{admin, map[string]any{"org_id": s1, "kind": "email", "name": "邮件", "target": map[string]any{"smtp_addr": "smtp.example.edu.cn:465", "smtp_tls": "tls", "from": "x@example.edu.cn"}}, "smtp.to"},
			{f.signIn("admin"), map[string]any{"org_id": s1, "kind": "wecom", "name": "群", "target": map[string]any{"url": good.url(key)}}, "url"},
		} {
			var e errOut
			if st := c.who.do("POST", "/api/v1/channels", c.body, &e); st != 400 || e.field() != c.field {
				t.Errorf("create %v = %d %+v, want 400 on %s", c.body, st, e, c.field)
			}
		}
		if st := lf.signIn("health").do("GET", "/api/v1/channels", nil, nil); st != 403 {
			t.Errorf("health lists channels: %d", st)
		}

		st, body := admin.raw("POST", "/api/v1/channels", map[string]any{"org_id": s1, "kind": "wecom", "name": "实验中学防控群",
			"target": map[string]any{"url": good.url(key)}})
		if st != http.StatusCreated || strings.Contains(body, key) {
			t.Fatalf("create = %d %s", st, body)
		}
		ch := fromJSON[channelOut](t, body)
		if !ch.Enabled || ch.Kind != "wecom" || !strings.Contains(ch.TargetMasked, "key=****cdef") || len(ch.Events) != 0 || ch.LastDelivery != nil {
			t.Fatalf("created channel = %+v", ch)
		}
		path := fmt.Sprintf("/api/v1/channels/%d", ch.ID)

		// Sending a test reaches the robot and is logged.
		st, body = admin.raw("POST", path+"/test", nil)
		if st != 200 || !fromJSON[store.Delivery](t, body).OK {
			t.Fatalf("test = %d %s", st, body)
		}
		paths, bodies := good.requests()
		if len(paths) != 1 || paths[0] != "/cgi-bin/webhook/send?key="+key || !strings.Contains(bodies[0], `"msgtype":"markdown"`) ||
			!strings.Contains(bodies[0], "测试消息") {
			t.Fatalf("robot got %v %v", paths, bodies)
		}

		// A robot that fails: a clear 400 and a failed entry in the log.
		if st := admin.do("PATCH", path, map[string]any{"name": "实验中学防控群（新）", "target": map[string]any{"url": broken.url(badKey)}}, &ch); st != 200 ||
			!strings.Contains(ch.TargetMasked, "key=****dcba") || ch.Name != "实验中学防控群（新）" {
			t.Fatalf("patch = %d %+v", st, ch)
		}
		var e errOut
		st, body = admin.raw("POST", path+"/test", nil)
		e = fromJSON[errOut](t, body)
		if st != 400 || e.Error.Code != "invalid_input" || e.field() != "channel" || !strings.Contains(e.Error.Fields[0].Message, "500") {
			t.Fatalf("failing test = %d %s", st, body)
		}
		if n, _ := broken.requests(); len(n) != 1 {
			t.Errorf("broken robot got %d requests", len(n))
		}
		st, body = admin.raw("GET", path+"/deliveries", nil)
		log := fromJSON[struct {
			Items []store.Delivery `json:"items"`
			Next  *string          `json:"next"`
		}](t, body)
		if st != 200 || len(log.Items) != 2 || log.Items[0].OK || !strings.Contains(log.Items[0].Error, "500") || !log.Items[1].OK || log.Next != nil {
			t.Fatalf("deliveries = %d %s", st, body)
		}

		// The secret is nowhere: list, detail, deliveries, audit.
		for _, p := range []string{"/api/v1/channels", path, path + "/deliveries", "/api/v1/audit?action=admin_change"} {
			st, body := admin.raw("GET", p, nil)
			if st != 200 || strings.Contains(body, key) || strings.Contains(body, badKey) {
				t.Errorf("GET %s = %d, secret shown: %v", p, st, strings.Contains(body, key) || strings.Contains(body, badKey))
			}
			if p == path {
				if d := fromJSON[channelOut](t, body).LastDelivery; d == nil || d.OK {
					t.Errorf("last delivery = %+v", d)
				}
			}
		}
		if _, body := admin.raw("GET", "/api/v1/audit?action=admin_change", nil); !strings.Contains(body, fmt.Sprintf("channel:%d", ch.ID)) {
			t.Error("channel changes are not audited")
		}

		// A DingTalk secret can be replaced without the URL; "" clears it.
		st, body = admin.raw("POST", "/api/v1/channels", map[string]any{"org_id": s1, "kind": "dingtalk", "name": "钉钉群",
			"events": []string{"alert", "report"}, "min_level": "cluster", "enabled": false,
			"target": map[string]any{"url": "https://oapi.dingtalk.com/robot/send?access_token=abc123def456", "secret": dingSecret}})
		if st != 201 || strings.Contains(body, dingSecret) || strings.Contains(body, "abc123def456") {
			t.Fatalf("create dingtalk = %d %s", st, body)
		}
		ding := fromJSON[channelOut](t, body)
		if ding.Enabled || len(ding.Events) != 2 || !strings.Contains(ding.TargetMasked, "(****CRET)") {
			t.Fatalf("dingtalk = %+v", ding)
		}
		dpath := fmt.Sprintf("/api/v1/channels/%d", ding.ID)
		if st := admin.do("PATCH", dpath, map[string]any{"target": map[string]any{"secret": "SECanother0123456789XYZW"}}, &ding); st != 200 ||
			!strings.Contains(ding.TargetMasked, "access_token=****f456 (****XYZW)") || ding.Enabled {
			t.Errorf("replace secret = %d %+v", st, ding)
		}
		if st := admin.do("PATCH", dpath, map[string]any{"target": map[string]any{"secret": ""}}, &ding); st != 200 || strings.Contains(ding.TargetMasked, "(") {
			t.Errorf("clear secret = %d %+v", st, ding)
		}
		if st := admin.do("PATCH", dpath, map[string]any{"min_level": "loud"}, &e); st != 400 || e.field() != "min_level" {
			t.Errorf("bad min level = %d %+v", st, e)
		}

		// Out of scope answers 404; deleting works once.
		other := &store.Channel{OrgID: f.orgs["S3"].ID, Kind: "wecom", Name: "邻区", TargetMasked: "x", Enabled: true}
		if err := f.db.CreateChannel(context.Background(), domain.System(), other, `{"kind":"wecom"}`); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{fmt.Sprintf("/api/v1/channels/%d", other.ID), fmt.Sprintf("/api/v1/channels/%d/deliveries", other.ID)} {
			if st := admin.do("GET", p, nil, nil); st != 404 {
				t.Errorf("GET %s out of scope = %d", p, st)
			}
		}
		if st := admin.do("POST", fmt.Sprintf("/api/v1/channels/%d/test", other.ID), nil, nil); st != 404 {
			t.Errorf("test out of scope = %d", st)
		}
		if st := admin.do("DELETE", dpath, nil, nil); st != 204 {
			t.Errorf("delete = %d", st)
		}
		if st := admin.do("DELETE", dpath, nil, nil); st != 404 {
			t.Errorf("delete twice = %d", st)
		}
	})
}

func TestChannelPages(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t)).loopback()
	const key, dingSecret = "pageKEY-0123456789abcdef", "SECpage0123456789abcdefSECRET"
	robot := newFakeRobot(t, http.StatusOK)
	admin := f.rollClient("admin")

	st, body := admin.page("/channels")
	if st != 200 || !strings.Contains(body, `href="/channels"`) || !strings.Contains(body, `name="smtp_addr"`) || !strings.Contains(body, "企业微信机器人") {
		t.Fatalf("channels page = %d", st)
	}
	if st, _ := f.signInForm("health").page("/channels"); st != 403 {
		t.Errorf("health's channels page = %d", st)
	}

	form := func(kind, name, u, secret string) url.Values {
		return url.Values{"org_code": {"S1"}, "kind": {kind}, "name": {name}, "url": {u}, "secret": {secret},
			"events": {"alert", "escalation"}, "enabled": {"1"}}
	}
	// A wrong URL: the form says so and does not echo what was typed.
	st, body = admin.post("/channels", form("wecom", "错误的群", "https://example.com/hook?key="+key, ""))
	if st != 400 || !strings.Contains(body, "地址不正确") || strings.Contains(body, key) || !strings.Contains(body, `value="错误的群"`) {
		t.Fatalf("bad create = %d", st)
	}
	st, loc := admin.post("/channels", form("wecom", "防控工作群", robot.url(key), ""))
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/channels/") {
		t.Fatalf("create = %d %s", st, loc)
	}
	chPath, _, _ := strings.Cut(loc, "?")
	st, loc = admin.post("/channels", form("dingtalk", "钉钉群", "https://oapi.dingtalk.com/robot/send?access_token=tok0123456789", dingSecret))
	if st != http.StatusSeeOther {
		t.Fatalf("create dingtalk = %d %s", st, loc)
	}
	dingPath, _, _ := strings.Cut(loc, "?")

	if st, loc := admin.post(chPath+"/test", url.Values{}); st != http.StatusSeeOther || !strings.Contains(loc, "notice=channel.test.ok") {
		t.Fatalf("page test = %d %s", st, loc)
	}
	if paths, _ := robot.requests(); len(paths) != 1 {
		t.Fatalf("robot got %v", paths)
	}
	st, body = admin.page(chPath)
	if st != 200 {
		t.Fatalf("channel page = %d", st)
	}
	for _, want := range []string{"防控工作群", "key=****cdef", `id="send-test"`, "发送记录", "成功"} {
		if !strings.Contains(body, want) {
			t.Errorf("channel page lacks %q", want)
		}
	}
	if strings.Contains(body, `name="clear_secret"`) {
		t.Error("a WeCom channel offers to clear a secret it cannot have")
	}
	for _, p := range []string{"/channels", chPath, dingPath} {
		_, body := admin.page(p)
		if strings.Contains(body, key) || strings.Contains(body, dingSecret) || strings.Contains(body, "tok0123456789") {
			t.Errorf("%s shows a secret", p)
		}
	}

	// Edit with the target left blank keeps it; the robot still answers.
	if st, loc := admin.post(chPath, url.Values{"name": {"防控工作群2"}, "events": {"alert"}, "enabled": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("edit = %d %s", st, loc)
	}
	if st, _ := admin.post(chPath+"/test", url.Values{}); st != http.StatusSeeOther {
		t.Errorf("test after edit = %d", st)
	}
	if paths, _ := robot.requests(); len(paths) != 2 || paths[1] != "/cgi-bin/webhook/send?key="+key {
		t.Errorf("after edit the robot got %v", paths)
	}
	// The robot breaks: the page says what it answered.
	robot.setStatus(http.StatusInternalServerError)
	st, body = admin.post(chPath+"/test", url.Values{})
	if st != 400 || !strings.Contains(body, "测试消息未送达") || !strings.Contains(body, "500") || !strings.Contains(body, "失败") {
		t.Errorf("failing page test = %d", st)
	}

	// Disable from the list, then delete with the confirmation.
	if st, _ := admin.post(chPath+"/enabled", url.Values{"enabled": {"0"}}); st != http.StatusSeeOther {
		t.Errorf("disable = %d", st)
	}
	if _, body := admin.page("/channels"); !strings.Contains(body, "已停用") {
		t.Error("the list does not show the channel disabled")
	}
	if st, body := admin.post(chPath+"/delete", url.Values{}); st != 400 || !strings.Contains(body, "请勾选确认") {
		t.Errorf("delete without confirmation = %d", st)
	}
	if st, loc := admin.post(chPath+"/delete", url.Values{"confirm": {"1"}}); st != http.StatusSeeOther || loc != "/channels?notice=channel.deleted" {
		t.Errorf("delete = %d %s", st, loc)
	}
	if st, _ := admin.page(chPath); st != 404 {
		t.Errorf("deleted channel page = %d", st)
	}
}
