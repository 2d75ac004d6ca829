package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The fakes below re-implement what each vendor checks, independently of
// the code under test: the request shape, the size limit and the signature
// (with its one-hour window). Their clock is the test's fixed one.

var cst = time.FixedZone("CST", 8*3600)

// t0 is the tests' "now".
var t0 = time.Date(2025, 5, 6, 8, 30, 0, 0, cst)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// testSender is a Sender whose clock is t0 and which may talk to httptest
// servers on loopback.
func testSender() *Sender {
	return &Sender{HTTP: NewHTTPClient(true), Now: fixedClock(t0), AllowLoopback: true}
}

func msg(i int) Message {
	return Message{
		ID:    fmt.Sprintf("evt-%d", i),
		Kind:  "alert",
		Title: fmt.Sprintf("三年级二班 流感样病例聚集 %d", i),
		Body:  fmt.Sprintf("3 天内 %d 人发热伴咳嗽。\n请于 24 小时内报告。", i+2),
		Link:  fmt.Sprintf("https://epiguard.example.edu.cn/alerts/%d", i),
		At:    t0.Add(time.Duration(i) * time.Minute),
	}
}

func msgs(n int) []Message {
	out := make([]Message, n)
	for i := range out {
		out[i] = msg(i + 1)
	}
	return out
}

// reply is a canned answer a fake gives instead of its normal one.
type reply struct {
	status int
	body   string
	header map[string]string
}

func (r reply) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header().Set(k, v)
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	io.WriteString(w, r.body)
}

// fake is what the vendor fakes share: the server, the requests seen and an
// optional canned reply.
type fake struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []map[string]any // decoded JSON bodies of accepted requests
	raw    []*http.Request
	canned *reply
	now    time.Time
}

func (f *fake) setReply(r reply) { f.mu.Lock(); f.canned = &r; f.mu.Unlock() }

func (f *fake) requests() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.got...)
}

func (f *fake) rawRequests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.raw...)
}

func sprint(v any) string { return fmt.Sprint(v) }

func (f *fake) record(r *http.Request, body map[string]any) *reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raw = append(f.raw, r)
	if f.canned != nil {
		return f.canned
	}
	f.got = append(f.got, body)
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// strictDecode decodes a JSON body into v, refusing unknown fields.
func strictDecode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func asMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// newWeComFake serves the WeCom robot API for one key.
func newWeComFake(t *testing.T, key string) *fake {
	f := &fake{now: t0}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != key {
			writeJSON(w, map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
			return
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeJSON(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
			return
		}
		var body struct {
			MsgType  string `json:"msgtype"`
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		if err := strictDecode(r, &body); err != nil || body.MsgType != "markdown" {
			writeJSON(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
			return
		}
		c := body.Markdown.Content
		if c == "" || len(c) > 4096 || !utf8.ValidString(c) {
			writeJSON(w, map[string]any{"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
			return
		}
		if cr := f.record(r, asMap(body)); cr != nil {
			cr.write(w)
			return
		}
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// newDingTalkFake serves the DingTalk robot API for one token and, when
// secret is set, checks 加签 as DingTalk documents it.
func newDingTalkFake(t *testing.T, token, secret string) *fake {
	f := &fake{now: t0}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method != http.MethodPost || r.URL.Path != "/robot/send" || q.Get("access_token") != token {
			writeJSON(w, map[string]any{"errcode": 300001, "errmsg": "token is not exist"})
			return
		}
		if secret != "" {
			ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			mac := hmac.New(sha256.New, []byte(secret))
			fmt.Fprintf(mac, "%s\n%s", q.Get("timestamp"), secret)
			want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
			age := f.now.Sub(time.UnixMilli(ms))
			if err != nil || age > time.Hour || age < -time.Hour || !hmac.Equal([]byte(q.Get("sign")), []byte(want)) {
				writeJSON(w, map[string]any{"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"})
				return
			}
		}
		var body struct {
			MsgType  string `json:"msgtype"`
			Markdown struct {
				Title string `json:"title"`
				Text  string `json:"text"`
			} `json:"markdown"`
		}
		if err := strictDecode(r, &body); err != nil || body.MsgType != "markdown" || body.Markdown.Title == "" || body.Markdown.Text == "" {
			writeJSON(w, map[string]any{"errcode": 40035, "errmsg": "缺少参数 json"})
			return
		}
		if cr := f.record(r, asMap(body)); cr != nil {
			cr.write(w)
			return
		}
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

type feishuBody struct {
	Timestamp string `json:"timestamp"`
	Sign      string `json:"sign"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Post struct {
			ZhCN struct {
				Title   string `json:"title"`
				Content [][]struct {
					Tag  string `json:"tag"`
					Text string `json:"text"`
					Href string `json:"href"`
				} `json:"content"`
			} `json:"zh_cn"`
		} `json:"post"`
	} `json:"content"`
}

// newFeishuFake serves a Feishu custom bot for one hook id and, when secret
// is set, checks the signature as Feishu documents it.
func newFeishuFake(t *testing.T, hook, secret string) *fake {
	f := &fake{now: t0}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/open-apis/bot/v2/hook/"+hook {
			w.WriteHeader(http.StatusNotFound)
			writeJSON(w, map[string]any{"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
			return
		}
		data, _ := io.ReadAll(r.Body)
		if len(data) > 20<<10 {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"code": 9499, "msg": "request body too large"})
			return
		}
		var body feishuBody
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil || body.MsgType != "post" || body.Content.Post.ZhCN.Title == "" {
			writeJSON(w, map[string]any{"code": 19002, "msg": "params error, msg_type need"})
			return
		}
		if secret != "" {
			sec, err := strconv.ParseInt(body.Timestamp, 10, 64)
			mac := hmac.New(sha256.New, []byte(body.Timestamp+"\n"+secret))
			want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
			age := f.now.Sub(time.Unix(sec, 0))
			if err != nil || age > time.Hour || age < -time.Hour || body.Sign != want {
				writeJSON(w, map[string]any{"code": 19021, "data": map[string]any{}, "msg": "sign match fail or timestamp is not within one hour from current time"})
				return
			}
		}
		if cr := f.record(r, asMap(body)); cr != nil {
			cr.write(w)
			return
		}
		writeJSON(w, map[string]any{"code": 0, "data": map[string]any{}, "msg": "success"})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// newWebhookFake is a receiver that verifies the signature the way the
// package documents it, and records the raw body.
func newWebhookFake(t *testing.T, secret string) *fake {
	f := &fake{now: t0}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		ts := r.Header.Get("X-EpiGuard-Timestamp")
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
			r.Header.Get("X-EpiGuard-Delivery") == "" || ts == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if secret != "" {
			mac := hmac.New(sha256.New, []byte(secret))
			io.WriteString(mac, ts+".")
			mac.Write(data)
			want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
			sec, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || f.now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute ||
				!hmac.Equal([]byte(r.Header.Get("X-EpiGuard-Signature")), []byte(want)) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
		} else if r.Header.Get("X-EpiGuard-Signature") != "" {
			http.Error(w, "unexpected signature", http.StatusBadRequest)
			return
		}
		m := map[string]any{"raw": string(data), "delivery": r.Header.Get("X-EpiGuard-Delivery")}
		if cr := f.record(r, m); cr != nil {
			cr.write(w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(f.srv.Close)
	return f
}
