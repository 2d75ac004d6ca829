// Package notify delivers notifications to the places a unit has configured:
// WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书) group robots, e-mail over
// SMTP, and signed generic webhooks.
//
// It is the pure delivery layer under the durable outbox: the caller keeps
// the outbox rows, asks Plan how many requests a target may take now and how
// pending messages group into digests, calls Sender.Send once per group, and
// stores the outcome. Send makes exactly one request (or one SMTP
// transaction) per call; a failure is always a *DeliveryError that says
// whether a retry can help and how long to wait at least, and NextAttempt
// turns that into the next attempt's time.
//
// Robots have no idempotency key, so a request that timed out after the
// vendor accepted it can be delivered twice when retried; webhooks carry the
// delivery id in X-EpiGuard-Delivery and e-mails a Message-ID derived from it,
// so those receivers can recognise a resend.
package notify

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Kind names a delivery channel.
type Kind string

// The channels Send knows.
const (
	WeCom    Kind = "wecom"
	DingTalk Kind = "dingtalk"
	Feishu   Kind = "feishu"
	Email    Kind = "email"
	Webhook  Kind = "webhook"
)

// Kinds lists every channel, in the order a settings page shows them.
func Kinds() []Kind { return []Kind{WeCom, DingTalk, Feishu, Email, Webhook} }

// Target is where one channel delivers. The caller builds it from a unit's
// channel configuration, whose URL and secrets are stored encrypted.
type Target struct {
	Kind Kind
	// URL is the robot's webhook URL (the key or access token is part of it)
	// or the generic webhook's URL. Unused for e-mail.
	URL string
	// Secret is the DingTalk signing secret ("SEC…"), the Feishu signing
	// secret, or the generic webhook's HMAC key. Empty means unsigned.
	// WeCom robots have no signing, so it must be empty there.
	Secret string
	// SMTP is used for e-mail only.
	SMTP SMTPConfig
}

// SMTPConfig describes an SMTP submission server and the recipients.
type SMTPConfig struct {
	Addr     string // host:port, e.g. "smtp.example.edu.cn:587"
	Username string // AUTH PLAIN when not empty
	Password string
	From     string // "EpiGuard <noreply@example.edu.cn>" or a bare address
	To       []string
	TLS      TLSMode
}

// TLSMode says how the SMTP connection is protected.
type TLSMode string

// TLS modes. The zero value means TLSStartTLS, the safe default.
const (
	// TLSStartTLS requires STARTTLS; a server that does not offer it is an
	// error, so credentials and health data never cross the network in clear.
	TLSStartTLS TLSMode = "starttls"
	// TLSOpportunistic uses STARTTLS when the server offers it.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465),
	// as many Chinese mail providers expect.
	TLSImplicit TLSMode = "tls"
	// TLSNone never uses TLS; allowed only for a relay on the loopback
	// interface.
	TLSNone TLSMode = "none"
)

func (m TLSMode) orDefault() TLSMode {
	if m == "" {
		return TLSStartTLS
	}
	return m
}

// Message is one notification. Several messages sent together become a
// digest.
type Message struct {
	// ID is the stable event id (the outbox row's dedupe key or id). It is
	// the webhook's idempotency key and the root of the e-mail's Message-ID.
	ID    string
	Kind  string // the event's kind from the outbox, e.g. "alert"; webhooks pass it on
	Title string
	Body  string
	Link  string // absolute http(s) URL into EpiGuard; others are left out
	At    time.Time
}

// DefaultTimeout bounds one HTTP request, from dial to the end of the reply.
const DefaultTimeout = 10 * time.Second

// smtpTimeout bounds one whole SMTP transaction; mail servers greet slowly
// on purpose (anti-spam delays), so it is longer than the HTTP one.
const smtpTimeout = 60 * time.Second

// Sender delivers messages. Its zero value works; NewSender gives one that
// reuses connections.
type Sender struct {
	// HTTP makes the robot and webhook requests. When nil, each Send builds
	// a client as NewHTTPClient does and closes it afterwards. Redirects are
	// never followed, whatever this client says.
	HTTP *http.Client
	// Now is the clock for signatures and Date headers; time.Now when nil.
	Now func() time.Time
	// AllowLoopback accepts http:// URLs on 127.0.0.0/8, ::1 and localhost
	// in place of the vendors' hosts (paths are still checked), and lets
	// webhooks reach loopback addresses. For tests and local development.
	AllowLoopback bool
	// Lang chooses the language of the few words Send adds itself (digest
	// headings, link labels): "en" for English, anything else for Chinese.
	Lang string
	// HelloName is the name given in SMTP EHLO; "localhost" when empty.
	HelloName string
	// TLSConfig, when set, is the base for SMTP TLS (for example to trust a
	// private CA); ServerName is always set to the server's host.
	TLSConfig *tls.Config
}

// NewSender returns a Sender with a shared HTTP client from NewHTTPClient.
func NewSender(allowLoopback bool) *Sender {
	return &Sender{HTTP: NewHTTPClient(allowLoopback), AllowLoopback: allowLoopback}
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Send delivers msgs to one target as one request: a single message as
// itself, several as one digest. Sending no messages does nothing. Every
// error is a *DeliveryError.
func (s *Sender) Send(ctx context.Context, t Target, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := s.Validate(t); err != nil {
		return &DeliveryError{Kind: t.Kind, Code: "invalid_target", Msg: err.Error(), Err: err}
	}
	switch t.Kind {
	case WeCom:
		return s.sendWeCom(ctx, t, msgs)
	case DingTalk:
		return s.sendDingTalk(ctx, t, msgs)
	case Feishu:
		return s.sendFeishu(ctx, t, msgs)
	case Webhook:
		return s.sendWebhook(ctx, t, msgs)
	case Email:
		return s.sendEmail(ctx, t.SMTP, msgs)
	}
	// Validate has rejected every other kind.
	return &DeliveryError{Kind: t.Kind, Code: "invalid_target", Msg: fmt.Sprintf("unknown kind %q", t.Kind)}
}

// DeliveryID names one Send of msgs: the message's own id for a single
// message, and for a digest an id derived from all the message ids, so a
// retry of the same digest carries the same id.
func DeliveryID(msgs []Message) string {
	if len(msgs) == 1 {
		return msgs[0].ID
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return "digest-" + hex.EncodeToString(sum[:12])
}
