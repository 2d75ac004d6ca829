package notify

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
)

func emailTarget(addr string, mode TLSMode) Target {
	return Target{Kind: Email, SMTP: SMTPConfig{
		Addr:     addr,
		Username: "robot@school.example",
		Password: "pa55word",
		From:     "疫情防控 <robot@school.example>",
		To:       []string{"王老师 <wang@school.example>", "li@school.example"},
		TLS:      mode,
	}}
}

// readMail parses a received message and decodes its subject and body.
func readMail(t *testing.T, data string) (*mail.Message, string, string) {
	t.Helper()
	if strings.Contains(strings.ReplaceAll(data, "\r\n", ""), "\n") {
		t.Error("bare LF in the message")
	}
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(m.Body)
	body, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 76 {
			t.Errorf("body line of %d characters", len(line))
		}
	}
	return m, subject, string(body)
}

func TestEmailPlainRelayWithAuth(t *testing.T) {
	f := newFakeSMTP(t, func(f *fakeSMTP) { f.user, f.pass = "robot@school.example", "pa55word" })
	// PlainAuth sends credentials in clear only to localhost, which this is.
	if err := testSender().Send(context.Background(), emailTarget(f.addr(), TLSNone), msgs(1)); err != nil {
		t.Fatal(err)
	}
	got := f.received()
	if len(got) != 1 {
		t.Fatalf("mails: %d", len(got))
	}
	g := got[0]
	if !g.authed || g.tls || g.from != "robot@school.example" || strings.Join(g.to, ",") != "wang@school.example,li@school.example" {
		t.Errorf("envelope %+v", g)
	}
	m, subject, body := readMail(t, g.data)
	if subject != "三年级二班 流感样病例聚集 1" {
		t.Errorf("subject %q", subject)
	}
	if !strings.HasPrefix(m.Header.Get("Subject"), "=?UTF-8?b?") {
		t.Errorf("subject not RFC 2047: %q", m.Header.Get("Subject"))
	}
	for k, want := range map[string]string{
		"Message-Id":                "<epiguard.evt-1@school.example>",
		"Date":                      "Tue, 06 May 2025 08:30:00 +0800",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "base64",
		"Auto-Submitted":            "auto-generated",
		"X-Epiguard-Delivery":       "evt-1",
	} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	from, err := m.Header.AddressList("From")
	if err != nil || from[0].Name != "疫情防控" || from[0].Address != "robot@school.example" {
		t.Errorf("From %v %v", from, err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "王老师" {
		t.Errorf("To %v %v", to, err)
	}
	want := "三年级二班 流感样病例聚集 1  2025-05-06 08:31\r\n\r\n3 天内 3 人发热伴咳嗽。\r\n请于 24 小时内报告。\r\n\r\n查看详情: https://epiguard.example.edu.cn/alerts/1\r\n"
	if body != want {
		t.Errorf("body:\n%q\nwant:\n%q", body, want)
	}
}

func TestEmailDigestAndLongSubject(t *testing.T) {
	f := newFakeSMTP(t, nil)
	tg := emailTarget(f.addr(), TLSNone)
	tg.SMTP.Username, tg.SMTP.Password = "", ""
	ms := msgs(3)
	if err := testSender().Send(context.Background(), tg, ms); err != nil {
		t.Fatal(err)
	}
	m, subject, body := readMail(t, f.received()[0].data)
	if subject != "3 条通知" {
		t.Errorf("subject %q", subject)
	}
	id := m.Header.Get("Message-Id")
	if id != "<epiguard."+DeliveryID(ms)+"@school.example>" {
		t.Errorf("Message-ID %q", id)
	}
	for i, x := range ms {
		if !strings.Contains(body, string(rune('1'+i))+". "+x.Title) || !strings.Contains(body, x.Link) {
			t.Errorf("message %d missing:\n%s", i+1, body)
		}
	}

	long := msg(1)
	long.Title = strings.Repeat("晨午检缺勤通报", 8) + " (ASCII tail)"
	long.ID = "row 42 / 事件"
	if err := testSender().Send(context.Background(), tg, []Message{long}); err != nil {
		t.Fatal(err)
	}
	raw := f.received()[1].data
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
	}
	m, subject, _ = readMail(t, raw)
	if subject != long.Title {
		t.Errorf("long subject %q", subject)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasPrefix(id, "<epiguard.h") || strings.ContainsAny(id, " /") {
		t.Errorf("unsafe id not hashed: %q", id)
	}
}

func TestEmailStartTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	f := newFakeSMTP(t, func(f *fakeSMTP) { f.cert = cert; f.user, f.pass = "robot@school.example", "pa55word" })
	s := testSender()
	s.TLSConfig = &tls.Config{RootCAs: pool}
	for _, mode := range []TLSMode{"", TLSStartTLS, TLSOpportunistic} {
		if err := s.Send(context.Background(), emailTarget(f.addr(), mode), msgs(1)); err != nil {
			t.Fatalf("%q: %v", mode, err)
		}
	}
	for _, g := range f.received() {
		if !g.tls || !g.authed {
			t.Errorf("mail not sent under TLS with AUTH: %+v", g)
		}
	}

	// Without trusting the certificate the failure is permanent.
	err := testSender().Send(context.Background(), emailTarget(f.addr(), TLSStartTLS), msgs(1))
	if de := deliveryErr(t, err); de.Retryable || de.Code != "tls_certificate" {
		t.Errorf("untrusted certificate: %+v", de)
	}
}

func TestEmailStartTLSRequiredButMissing(t *testing.T) {
	f := newFakeSMTP(t, func(f *fakeSMTP) { f.user, f.pass = "robot@school.example", "pa55word" })
	err := testSender().Send(context.Background(), emailTarget(f.addr(), TLSStartTLS), msgs(1))
	if de := deliveryErr(t, err); de.Retryable || de.Code != "starttls_unavailable" {
		t.Errorf("got %+v", de)
	}
	if len(f.received()) != 0 {
		t.Error("mail sent without TLS")
	}
	// Opportunistic goes on in clear (allowed here only because it is localhost).
	if err := testSender().Send(context.Background(), emailTarget(f.addr(), TLSOpportunistic), msgs(1)); err != nil {
		t.Fatal(err)
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	f := newFakeSMTP(t, func(f *fakeSMTP) {
		f.cert, f.implicit = cert, true
		f.user, f.pass = "robot@school.example", "pa55word"
	})
	s := testSender()
	s.TLSConfig = &tls.Config{RootCAs: pool}
	if err := s.Send(context.Background(), emailTarget(f.addr(), TLSImplicit), msgs(1)); err != nil {
		t.Fatal(err)
	}
	if g := f.received(); len(g) != 1 || !g[0].tls {
		t.Errorf("got %+v", g)
	}
}

func TestEmailErrors(t *testing.T) {
	f := newFakeSMTP(t, func(f *fakeSMTP) { f.user, f.pass = "robot@school.example", "pa55word" })
	for _, c := range []struct {
		name      string
		edit      func(*SMTPConfig)
		retryable bool
		status    int
		code      string
	}{
		{"unknown recipient", func(c *SMTPConfig) { c.To = []string{"bad@school.example"} }, false, 550, "rcpt"},
		{"mailbox busy", func(c *SMTPConfig) { c.To = []string{"busy@school.example"} }, true, 450, "rcpt"},
		{"wrong password", func(c *SMTPConfig) { c.Password = "nope" }, false, 535, "auth"},
		{"nobody listening", func(c *SMTPConfig) { c.Addr = "127.0.0.1:1" }, true, 0, "connect"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg := emailTarget(f.addr(), TLSNone)
			c.edit(&tg.SMTP)
			err := testSender().Send(context.Background(), tg, msgs(1))
			de := deliveryErr(t, err)
			if de.Retryable != c.retryable || de.Status != c.status || de.Code != c.code {
				t.Errorf("got %+v", de)
			}
			if strings.Contains(err.Error(), "pa55word") || strings.Contains(err.Error(), "nope") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestEmailContextCancelled(t *testing.T) {
	f := newFakeSMTP(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tg := emailTarget(f.addr(), TLSNone)
	tg.SMTP.Username, tg.SMTP.Password = "", ""
	err := testSender().Send(ctx, tg, msgs(1))
	if de := deliveryErr(t, err); !de.Retryable {
		t.Errorf("got %+v", de)
	}
}
