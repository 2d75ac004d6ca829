package notify

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// deliveryErr asserts err is a *DeliveryError and returns it.
func deliveryErr(t *testing.T, err error) *DeliveryError {
	t.Helper()
	var de *DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("want *DeliveryError, got %T: %v", err, err)
	}
	return de
}

func TestWeComSingle(t *testing.T) {
	f := newWeComFake(t, "k-1234-abcd")
	tg := Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=k-1234-abcd"}
	if err := testSender().Send(context.Background(), tg, msgs(1)); err != nil {
		t.Fatal(err)
	}
	got := f.requests()
	if len(got) != 1 {
		t.Fatalf("requests: %d", len(got))
	}
	content := got[0]["markdown"].(map[string]any)["content"].(string)
	want := "**三年级二班 流感样病例聚集 1** <font color=\"comment\">05-06 08:31</font>\n" +
		"3 天内 3 人发热伴咳嗽。\n请于 24 小时内报告。\n" +
		"[查看详情](https://epiguard.example.edu.cn/alerts/1)"
	if content != want {
		t.Errorf("content:\n%s\nwant:\n%s", content, want)
	}
	if got[0]["msgtype"] != "markdown" {
		t.Errorf("msgtype %v", got[0]["msgtype"])
	}
}

func TestWeComDigest(t *testing.T) {
	f := newWeComFake(t, "key1")
	tg := Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}
	s := testSender()
	s.Lang = "en"
	if err := s.Send(context.Background(), tg, msgs(3)); err != nil {
		t.Fatal(err)
	}
	content := f.requests()[0]["markdown"].(map[string]any)["content"].(string)
	if !strings.HasPrefix(content, "**3 notifications**\n\n**1. 三年级二班 流感样病例聚集 1**") {
		t.Errorf("digest heading: %q", content)
	}
	for i := 1; i <= 3; i++ {
		m := msg(i)
		if !strings.Contains(content, "**"+strconv.Itoa(i)+". "+m.Title+"**") || !strings.Contains(content, "[Open]("+m.Link+")") {
			t.Errorf("message %d missing from digest:\n%s", i, content)
		}
	}
}

func TestWeComLongBodyTruncated(t *testing.T) {
	f := newWeComFake(t, "key1")
	tg := Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}
	m := msg(1)
	m.Body = strings.Repeat("疫情", 2000) // 12000 bytes
	if err := testSender().Send(context.Background(), tg, []Message{m}); err != nil {
		t.Fatal(err)
	}
	content := f.requests()[0]["markdown"].(map[string]any)["content"].(string)
	if len(content) > 4096 || !utf8.ValidString(content) {
		t.Fatalf("content %d bytes, valid %v", len(content), utf8.ValidString(content))
	}
	if !strings.HasSuffix(content, "…\n[查看详情]("+m.Link+")") {
		t.Errorf("body not cut before the link: ...%q", content[len(content)-80:])
	}
}

func TestWeComDigestKeepsEveryTitle(t *testing.T) {
	f := newWeComFake(t, "key1")
	tg := Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}
	ms := msgs(10)
	for i := range ms {
		ms[i].Body = strings.Repeat("发热 ", 300)
	}
	if err := testSender().Send(context.Background(), tg, ms); err != nil {
		t.Fatal(err)
	}
	content := f.requests()[0]["markdown"].(map[string]any)["content"].(string)
	if len(content) > 4096 {
		t.Fatalf("content %d bytes", len(content))
	}
	for _, m := range ms {
		if !strings.Contains(content, m.Title) || !strings.Contains(content, m.Link) {
			t.Errorf("%s lost from the digest", m.ID)
		}
	}
}

func TestMarkdownNeutralisesLinksAndTags(t *testing.T) {
	f := newWeComFake(t, "key1")
	tg := Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}
	m := Message{ID: "x", Title: "[点我](https://evil.example)", Body: `<font color="warning">假警报</font>`, Link: "javascript:alert(1)"}
	if err := testSender().Send(context.Background(), tg, []Message{m}); err != nil {
		t.Fatal(err)
	}
	content := f.requests()[0]["markdown"].(map[string]any)["content"].(string)
	if strings.ContainsAny(content, "[]<>") {
		t.Errorf("markup got through: %q", content)
	}
	if strings.Contains(content, "javascript") {
		t.Errorf("non-http link kept: %q", content)
	}
}

func TestRobotErrors(t *testing.T) {
	type tc struct {
		name      string
		reply     reply
		retryable bool
		after     time.Duration
		status    int
		code      string
	}
	cases := map[Kind][]tc{
		WeCom: {
			{"rate limited", reply{body: `{"errcode":45009,"errmsg":"api freq out of limit"}`}, true, time.Minute, 200, "45009"},
			{"system busy", reply{body: `{"errcode":-1,"errmsg":"system busy"}`}, true, 0, 200, "-1"},
			{"robot removed", reply{body: `{"errcode":93000,"errmsg":"invalid webhook url"}`}, false, 0, 200, "93000"},
			{"bad gateway", reply{status: 502, body: "<html>bad gateway</html>"}, true, 0, 502, "http_status"},
			{"429 with Retry-After", reply{status: 429, body: "slow down", header: map[string]string{"Retry-After": "7"}}, true, 7 * time.Second, 429, "http_status"},
			{"proxy page", reply{body: "<html>login to the wifi</html>"}, true, 0, 200, "bad_response"},
			{"forbidden", reply{status: 403, body: "no"}, false, 0, 403, "http_status"},
			{"redirect", reply{status: 302, header: map[string]string{"Location": "https://elsewhere.example/"}}, false, 0, 302, "redirect"},
		},
		DingTalk: {
			{"too fast", reply{body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`}, true, 10 * time.Minute, 200, "130101"},
			{"keyword", reply{body: `{"errcode":310000,"errmsg":"keywords not in content"}`}, false, 0, 200, "310000"},
			{"busy with Retry-After", reply{status: 503, body: `{"errcode":-1,"errmsg":"系统繁忙"}`, header: map[string]string{"Retry-After": "120"}}, true, 2 * time.Minute, 503, "-1"},
		},
		Feishu: {
			{"too many", reply{body: `{"code":9499,"msg":"Too Many Request","data":{}}`}, true, time.Minute, 200, "9499"},
			{"rate limit 11232", reply{status: 400, body: `{"code":11232,"msg":"frequency limited"}`}, true, time.Minute, 400, "11232"},
			{"gateway 429", reply{status: 429, body: `{"code":99991400,"msg":"request trigger frequency limit"}`, header: map[string]string{"X-Ogw-Ratelimit-Reset": "90"}}, true, 90 * time.Second, 429, "99991400"},
			{"old StatusCode ok", reply{body: `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`}, false, 0, 0, ""},
			{"old StatusCode error", reply{body: `{"StatusCode":19024,"StatusMessage":"Key Words Not Found"}`}, false, 0, 200, "19024"},
		},
	}
	for kind, list := range cases {
		for _, c := range list {
			t.Run(string(kind)+"/"+c.name, func(t *testing.T) {
				var f *fake
				var tg Target
				switch kind {
				case WeCom:
					f = newWeComFake(t, "key1")
					tg = Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}
				case DingTalk:
					f = newDingTalkFake(t, "tok1", "")
					tg = Target{Kind: DingTalk, URL: f.srv.URL + "/robot/send?access_token=tok1"}
				case Feishu:
					f = newFeishuFake(t, "hook-1", "")
					tg = Target{Kind: Feishu, URL: f.srv.URL + "/open-apis/bot/v2/hook/hook-1"}
				}
				f.setReply(c.reply)
				err := testSender().Send(context.Background(), tg, msgs(1))
				if c.code == "" {
					if err != nil {
						t.Fatalf("want success, got %v", err)
					}
					return
				}
				de := deliveryErr(t, err)
				if de.Retryable != c.retryable || de.RetryAfter != c.after || de.Status != c.status || de.Code != c.code || de.Kind != kind {
					t.Errorf("got %+v\nwant retryable=%v after=%v status=%d code=%s", de, c.retryable, c.after, c.status, c.code)
				}
				if strings.Contains(err.Error(), "key1") || strings.Contains(err.Error(), "tok1") || strings.Contains(err.Error(), "hook-1") {
					t.Errorf("error leaks the robot's key: %v", err)
				}
			})
		}
	}
}

func TestDingTalkSigned(t *testing.T) {
	secret := "SECb6b0c5f3a1e24c4c9d8b2f0e0a9c7d5e3f1a2b3c4d5e6f708192a3b4c5d6e7f8"
	f := newDingTalkFake(t, "tok1", secret)
	tg := Target{Kind: DingTalk, URL: f.srv.URL + "/robot/send?access_token=tok1", Secret: secret}
	if err := testSender().Send(context.Background(), tg, msgs(2)); err != nil {
		t.Fatal(err)
	}
	got := f.requests()
	if len(got) != 1 {
		t.Fatalf("requests: %d", len(got))
	}
	md := got[0]["markdown"].(map[string]any)
	if md["title"] != "2 条通知" {
		t.Errorf("title %q", md["title"])
	}
	text := md["text"].(string)
	if !strings.HasPrefix(text, "**2 条通知**\n\n**1. 三年级二班 流感样病例聚集 1** 05-06 08:31  \n3 天内 3 人发热伴咳嗽。  \n请于 24 小时内报告。  \n[查看详情](https://epiguard.example.edu.cn/alerts/1)\n\n**2. ") {
		t.Errorf("text:\n%q", text)
	}
	// The timestamp is milliseconds and the sign travels url-encoded.
	u := f.rawRequests()[0].URL
	if q := u.Query(); q.Get("timestamp") != "1746491400000" {
		t.Errorf("timestamp %q", q.Get("timestamp"))
	}
	_, sign, _ := strings.Cut(u.RawQuery, "sign=")
	if sign, _, _ = strings.Cut(sign, "&"); sign == "" || strings.ContainsAny(sign, "+/=") {
		t.Errorf("sign not url-encoded: %s", u.RawQuery)
	}
}

func TestDingTalkSignatureRejected(t *testing.T) {
	secret := "SECright"
	f := newDingTalkFake(t, "tok1", secret)
	url := f.srv.URL + "/robot/send?access_token=tok1"
	for name, c := range map[string]struct {
		secret string
		clock  time.Time
	}{
		"wrong secret":    {"SECwrong", t0},
		"stale timestamp": {secret, t0.Add(-61 * time.Minute)},
		"no signature":    {"", t0},
	} {
		t.Run(name, func(t *testing.T) {
			s := testSender()
			s.Now = fixedClock(c.clock)
			err := s.Send(context.Background(), Target{Kind: DingTalk, URL: url, Secret: c.secret}, msgs(1))
			de := deliveryErr(t, err)
			if de.Retryable || de.Code != "310000" {
				t.Errorf("got %+v", de)
			}
			if strings.Contains(err.Error(), "sign=") || (c.secret != "" && strings.Contains(err.Error(), c.secret)) {
				t.Errorf("error shows the signature: %v", err)
			}
		})
	}
}

func TestFeishuSigned(t *testing.T) {
	f := newFeishuFake(t, "3f1c2a9e-0d7b-4b8e-9a61-5c2f7e8d9b10", "feishu-secret")
	tg := Target{Kind: Feishu, URL: f.srv.URL + "/open-apis/bot/v2/hook/3f1c2a9e-0d7b-4b8e-9a61-5c2f7e8d9b10", Secret: "feishu-secret"}
	if err := testSender().Send(context.Background(), tg, msgs(1)); err != nil {
		t.Fatal(err)
	}
	got := f.requests()[0]
	if got["timestamp"] != "1746491400" || got["msg_type"] != "post" {
		t.Errorf("timestamp %v msg_type %v", got["timestamp"], got["msg_type"])
	}
	post := got["content"].(map[string]any)["post"].(map[string]any)["zh_cn"].(map[string]any)
	if post["title"] != "三年级二班 流感样病例聚集 1" {
		t.Errorf("title %v", post["title"])
	}
	lines := post["content"].([]any)
	want := []string{
		`[map[href: tag:text text:3 天内 3 人发热伴咳嗽。` + "\n" + `请于 24 小时内报告。]]`,
		`[map[href: tag:text text:05-06 08:31]]`,
		`[map[href:https://epiguard.example.edu.cn/alerts/1 tag:a text:查看详情]]`,
	}
	if len(lines) != len(want) {
		t.Fatalf("lines: %v", lines)
	}
	for i := range want {
		if g := sprint(lines[i]); g != want[i] {
			t.Errorf("line %d: %s, want %s", i, g, want[i])
		}
	}
}

func TestFeishuDigestAndSize(t *testing.T) {
	f := newFeishuFake(t, "hook1", "")
	tg := Target{Kind: Feishu, URL: f.srv.URL + "/open-apis/bot/v2/hook/hook1"}
	ms := msgs(20)
	for i := range ms {
		ms[i].Body = strings.Repeat("咳嗽", 1000) // 6 KB each, 120 KB in all
	}
	if err := testSender().Send(context.Background(), tg, ms); err != nil {
		t.Fatal(err) // the fake refuses bodies over 20 KB
	}
	post := f.requests()[0]["content"].(map[string]any)["post"].(map[string]any)["zh_cn"].(map[string]any)
	if post["title"] != "20 条通知" {
		t.Errorf("title %v", post["title"])
	}
	flat := sprint(post["content"])
	for _, m := range ms {
		if !strings.Contains(flat, m.Link) {
			t.Errorf("%s lost", m.ID)
		}
	}
	if !strings.Contains(flat, "1. 三年级二班 流感样病例聚集 1  05-06 08:31") {
		t.Errorf("numbered head missing: %.300s", flat)
	}
}

func TestFeishuSignatureRejected(t *testing.T) {
	f := newFeishuFake(t, "hook1", "right")
	for name, c := range map[string]struct {
		secret string
		clock  time.Time
	}{
		"wrong secret":    {"wrong", t0},
		"stale timestamp": {"right", t0.Add(2 * time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			s := testSender()
			s.Now = fixedClock(c.clock)
			err := s.Send(context.Background(), Target{Kind: Feishu, URL: f.srv.URL + "/open-apis/bot/v2/hook/hook1", Secret: c.secret}, msgs(1))
			if de := deliveryErr(t, err); de.Retryable || de.Code != "19021" {
				t.Errorf("got %+v", de)
			}
		})
	}
}

func TestRedirectNotFollowedWithCallersClient(t *testing.T) {
	hit := make(chan struct{}, 1)
	other := newWebhookFake(t, "")
	other.srv.Config.Handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit <- struct{}{} })
	f := newWeComFake(t, "key1")
	f.setReply(reply{status: http.StatusTemporaryRedirect, header: map[string]string{"Location": other.srv.URL}})
	s := &Sender{HTTP: f.srv.Client(), AllowLoopback: true} // a client that would follow
	err := s.Send(context.Background(), Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}, msgs(1))
	if de := deliveryErr(t, err); de.Code != "redirect" || de.Retryable {
		t.Errorf("got %+v", de)
	}
	select {
	case <-hit:
		t.Error("redirect was followed")
	default:
	}
}

func TestNetworkErrorsAreRetryableAndMasked(t *testing.T) {
	f := newWeComFake(t, "secret-key-0001")
	url := f.srv.URL + "/cgi-bin/webhook/send?key=secret-key-0001"
	f.srv.Close() // nothing listens any more
	err := testSender().Send(context.Background(), Target{Kind: WeCom, URL: url}, msgs(1))
	de := deliveryErr(t, err)
	if !de.Retryable || de.Code != "network" {
		t.Errorf("got %+v", de)
	}
	if strings.Contains(err.Error(), "secret-key-0001") || strings.Contains(de.Msg, "secret-key-0001") {
		t.Errorf("error leaks the key: %v", err)
	}
	if !strings.Contains(err.Error(), "key=****0001") {
		t.Errorf("error should name the masked URL: %v", err)
	}
}

func TestContextCancelled(t *testing.T) {
	f := newWeComFake(t, "key1")
	release := make(chan struct{})
	f.srv.Config.Handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release })
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := testSender().Send(ctx, Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}, msgs(1))
	de := deliveryErr(t, err)
	if !de.Retryable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %+v (%v)", de, err)
	}
}

func TestDialGuardBlocksLoopback(t *testing.T) {
	f := newWebhookFake(t, "")
	// Validation lets loopback through, the client's dialer does not.
	s := &Sender{HTTP: NewHTTPClient(false), Now: fixedClock(t0), AllowLoopback: true}
	err := s.Send(context.Background(), Target{Kind: Webhook, URL: f.srv.URL + "/hook"}, msgs(1))
	if de := deliveryErr(t, err); de.Retryable || de.Code != "blocked_address" {
		t.Errorf("got %+v", de)
	}
	if len(f.requests()) != 0 {
		t.Error("request reached the server")
	}
}

func TestZeroSenderWorks(t *testing.T) {
	f := newWeComFake(t, "key1")
	s := &Sender{AllowLoopback: true}
	if err := s.Send(context.Background(), Target{Kind: WeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=key1"}, msgs(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Target{Kind: WeCom, URL: "nonsense"}, nil); err != nil {
		t.Errorf("no messages should be a no-op, got %v", err)
	}
}

func TestInvalidTargetIsPermanent(t *testing.T) {
	err := testSender().Send(context.Background(), Target{Kind: WeCom, URL: "https://example.com/hook"}, msgs(1))
	de := deliveryErr(t, err)
	var fe *FieldError
	if de.Retryable || de.Code != "invalid_target" || !errors.As(err, &fe) || fe.Field != "url" {
		t.Errorf("got %+v", de)
	}
}
