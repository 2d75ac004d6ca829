package notify

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWebhookSingle(t *testing.T) {
	f := newWebhookFake(t, "hook-secret")
	tg := Target{Kind: Webhook, URL: f.srv.URL + "/epiguard", Secret: "hook-secret"}
	if err := testSender().Send(context.Background(), tg, msgs(1)); err != nil {
		t.Fatal(err)
	}
	got := f.requests()[0]
	want := `{"id":"evt-1","kind":"alert","title":"三年级二班 流感样病例聚集 1","body":"3 天内 3 人发热伴咳嗽。\n请于 24 小时内报告。","link":"https://epiguard.example.edu.cn/alerts/1","at":"2025-05-06T08:31:00+08:00"}`
	if got["raw"] != want {
		t.Errorf("body:\n%s\nwant:\n%s", got["raw"], want)
	}
	if got["delivery"] != "evt-1" {
		t.Errorf("delivery id %v", got["delivery"])
	}
	r := f.rawRequests()[0]
	if r.Header.Get(HeaderTimestamp) != "1746491400" {
		t.Errorf("timestamp %q", r.Header.Get(HeaderTimestamp))
	}
}

func TestWebhookDigestIsStable(t *testing.T) {
	f := newWebhookFake(t, "")
	tg := Target{Kind: Webhook, URL: f.srv.URL + "/epiguard"}
	for range 2 {
		if err := testSender().Send(context.Background(), tg, msgs(2)); err != nil {
			t.Fatal(err)
		}
	}
	got := f.requests()
	if got[0]["delivery"] != got[1]["delivery"] || !strings.HasPrefix(got[0]["delivery"].(string), "digest-") {
		t.Errorf("delivery ids %v, %v", got[0]["delivery"], got[1]["delivery"])
	}
	raw := got[0]["raw"].(string)
	if !strings.HasPrefix(raw, `{"id":"`+got[0]["delivery"].(string)+`","messages":[{"id":"evt-1",`) ||
		!strings.Contains(raw, `{"id":"evt-2","kind":"alert"`) {
		t.Errorf("digest body: %s", raw)
	}
	if f.rawRequests()[0].Header.Get(HeaderSignature) != "" {
		t.Error("unsigned target sent a signature")
	}
}

func TestWebhookWrongSecretIsPermanent(t *testing.T) {
	f := newWebhookFake(t, "right")
	err := testSender().Send(context.Background(), Target{Kind: Webhook, URL: f.srv.URL, Secret: "wrong"}, msgs(1))
	if de := deliveryErr(t, err); de.Retryable || de.Status != 401 || !strings.Contains(de.Msg, "bad signature") {
		t.Errorf("got %+v", de)
	}
}

func TestWebhookStatuses(t *testing.T) {
	date := t0.Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, c := range []struct {
		status    int
		header    map[string]string
		ok        bool
		retryable bool
		after     time.Duration
	}{
		{200, nil, true, false, 0},
		{202, nil, true, false, 0},
		{301, map[string]string{"Location": "https://example.com/"}, false, false, 0},
		{400, nil, false, false, 0},
		{404, nil, false, false, 0},
		{410, nil, false, false, 0},
		{408, nil, false, true, 0},
		{429, map[string]string{"Retry-After": "30"}, false, true, 30 * time.Second},
		{429, map[string]string{"Retry-After": date}, false, true, 90 * time.Second},
		{503, map[string]string{"Retry-After": "999999"}, false, true, time.Hour},
		{500, nil, false, true, 0},
	} {
		f := newWebhookFake(t, "s")
		f.setReply(reply{status: c.status, header: c.header, body: "nope"})
		err := testSender().Send(context.Background(), Target{Kind: Webhook, URL: f.srv.URL, Secret: "s"}, msgs(1))
		if c.ok {
			if err != nil {
				t.Errorf("%d: %v", c.status, err)
			}
			continue
		}
		de := deliveryErr(t, err)
		if de.Retryable != c.retryable || de.RetryAfter != c.after || de.Status != c.status {
			t.Errorf("%d %v: got %+v", c.status, c.header, de)
		}
	}
}

// Known answers computed with openssl, so the helpers match the documented
// constructions byte for byte:
//
//	printf '1746491400.{"id":"1"}' | openssl dgst -sha256 -hmac key
//	printf '' | openssl dgst -sha256 -hmac $'1746491400\nfeishu-secret' -binary | base64
//	printf '1746491400000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
func TestSignatureKnownAnswers(t *testing.T) {
	if got := WebhookSignature("key", "1746491400", []byte(`{"id":"1"}`)); got != "sha256=c313c1b6ae5d183193b5445dee0d486b20b83b5ef9a5ccc4aaa3e6366b43d528" {
		t.Errorf("webhook: %s", got)
	}
	if got := FeishuSign("feishu-secret", "1746491400"); got != "/Sb+J0NW/L79zGG7TakgDeg0J39pbTBe5XZcaNc9AlY=" {
		t.Errorf("feishu: %s", got)
	}
	if got := DingTalkSign("SECabc", "1746491400000"); got != "jEiXLPZO8vtMcto9GJaLg3H9xDd+xO7yfQ/J15b2n+I=" {
		t.Errorf("dingtalk: %s", got)
	}
}
