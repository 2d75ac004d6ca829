package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/notify"
	"epiguard/internal/store"
)

// ChannelConfig is a channel's full target as an admin enters it. It is
// stored sealed (store.CreateChannel) and only ever shown masked.
type ChannelConfig struct {
	Kind   string `json:"kind"`
	URL    string `json:"url,omitempty"`
	Secret string `json:"secret,omitempty"`
	// E-mail.
	SMTPAddr     string   `json:"smtp_addr,omitempty"`
	SMTPUsername string   `json:"smtp_username,omitempty"`
	SMTPPassword string   `json:"smtp_password,omitempty"`
	SMTPTLS      string   `json:"smtp_tls,omitempty"`
	From         string   `json:"from,omitempty"`
	To           []string `json:"to,omitempty"`
}

// Target turns the configuration into what notify delivers to.
func (c ChannelConfig) Target() notify.Target {
	t := notify.Target{Kind: notify.Kind(c.Kind), URL: c.URL, Secret: c.Secret}
	if t.Kind == notify.Email {
		t.SMTP = notify.SMTPConfig{Addr: c.SMTPAddr, Username: c.SMTPUsername, Password: c.SMTPPassword,
			From: c.From, To: c.To, TLS: notify.TLSMode(c.SMTPTLS)}
	}
	return t
}

// Masked is the configuration as screens show it.
func (c ChannelConfig) Masked() string {
	m := notify.Mask(c.Target())
	switch m.Kind {
	case notify.Email:
		return strings.Join(c.To, ", ") + " via " + c.SMTPAddr
	default:
		s := m.URL
		if c.Secret != "" {
			s += " (" + m.Secret + ")"
		}
		return s
	}
}

// Events a channel may carry.
var ChannelEvents = []string{"alert", "escalation", "reminder", "report"}

// CheckChannel validates a channel and its configuration as an admin
// submits them, with field-specific errors.
func CheckChannel(ch *store.Channel, cfg ChannelConfig, allowLoopback bool) error {
	var v domain.Validation
	if strings.TrimSpace(ch.Name) == "" {
		v.Add("name", "required")
	} else if len([]rune(ch.Name)) > 100 {
		v.Add("name", "at most 100 characters")
	}
	kindOK := false
	for _, k := range notify.Kinds() {
		kindOK = kindOK || string(k) == cfg.Kind
	}
	if !kindOK {
		v.Add("kind", "must be one of wecom, dingtalk, feishu, email, webhook")
	}
	for _, e := range ch.Events {
		ok := false
		for _, x := range ChannelEvents {
			ok = ok || x == e
		}
		if !ok {
			v.Add("events", "unknown event %q: use alert, escalation, reminder, report", e)
		}
	}
	if ch.MinLevel != "" && levelRank(ch.MinLevel) < 0 {
		v.Add("min_level", "must be one of %s", strings.Join(Levels, ", "))
	}
	if kindOK {
		s := &notify.Sender{AllowLoopback: allowLoopback}
		if err := s.Validate(cfg.Target()); err != nil {
			var fe *notify.FieldError
			if errors.As(err, &fe) {
				v.Add(fe.Field, "%s", fe.Message)
			} else {
				v.Add("url", "%s", err.Error())
			}
		}
	}
	return v.Err()
}

// Levels of alerts in the order a channel's min_level filters them, lowest
// first: the detector's signal, then cluster.Levels, except that a single
// notifiable case ranks above all — it must be reported at once, so a
// group set to hear of outbreaks only still hears of it.
var Levels = []string{"signal", "advice", "cluster", "outbreak", "event", "case"}

func levelRank(l string) int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Deliverer sends the outbox's channel notifications within each
// target's rate limit, merging bursts into digests.
type Deliverer struct {
	DB     *store.DB
	Sender *notify.Sender
	Log    *slog.Logger
	// BaseURL makes links absolute ("https://epiguard.example.edu.cn");
	// robots drop relative links.
	BaseURL string
}

// Run delivers what is due once. Each target is independent: a broken
// robot does not hold up another school's mailbox.
func (d *Deliverer) Run(ctx context.Context, now time.Time) error {
	claimed, err := d.DB.ClaimDue(ctx, 2*time.Minute, 500)
	if err != nil {
		return err
	}
	var errs []error
	for target, ns := range claimed {
		if err := d.deliver(ctx, now, target, ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func ids(ns []store.Notification) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func (d *Deliverer) deliver(ctx context.Context, now time.Time, target string, ns []store.Notification) error {
	giveUp := func(reason string) error {
		return d.DB.FinishDelivery(ctx, store.DeliveryResult{Target: target, IDs: ids(ns), Error: reason})
	}
	id, ok := store.ChannelOfTarget(target)
	if !ok {
		return giveUp("unknown target " + target)
	}
	ch, plain, err := d.DB.ChannelSecret(ctx, id)
	if domain.ErrorCode(err) == domain.ENotFound {
		return giveUp("channel deleted")
	}
	if err != nil {
		return err
	}
	if !ch.Enabled {
		return giveUp("channel disabled")
	}
	var cfg ChannelConfig
	if err := json.Unmarshal([]byte(plain), &cfg); err != nil {
		return giveUp("channel configuration unreadable")
	}
	t := cfg.Target()
	sent, err := d.DB.SentSince(ctx, target, now.Add(-time.Minute))
	if err != nil {
		return err
	}
	plan := notify.Plan(notify.LimitFor(t.Kind), now, sent, ns)
	for _, group := range plan.Now {
		msgs := make([]notify.Message, len(group))
		for i, n := range group {
			msgs[i] = notify.Message{ID: n.DedupeKey, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: d.link(n.Link), At: n.CreatedAt}
		}
		start := time.Now()
		err := d.Sender.Send(ctx, t, msgs)
		res := store.DeliveryResult{Target: target, IDs: ids(group), Attempted: true, OK: err == nil, Duration: time.Since(start)}
		if err != nil {
			res.Error = err.Error()
			attempts := 0
			for _, n := range group {
				attempts = max(attempts, n.Attempts)
			}
			if at, retry := notify.NextAttempt(err, attempts+1, now); retry {
				res.RetryAt = at
			}
			d.Log.Warn("notification delivery failed", "target", target, "kind", t.Kind, "messages", len(group), "err", err)
		}
		if err := d.DB.FinishDelivery(ctx, res); err != nil {
			return err
		}
	}
	if len(plan.Held) > 0 {
		return d.DB.FinishDelivery(ctx, store.DeliveryResult{Target: target, IDs: ids(plan.Held), RetryAt: plan.Next,
			Error: fmt.Sprintf("rate limit: held until %s", plan.Next.Format(time.TimeOnly))})
	}
	return nil
}

func (d *Deliverer) link(l string) string {
	if l == "" || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || d.BaseURL == "" {
		return l
	}
	return strings.TrimRight(d.BaseURL, "/") + l
}

// SendTest sends one test message to a channel now, outside the outbox,
// and records the attempt in the channel's delivery log: the "send test"
// button of the channel settings.
func (d *Deliverer) SendTest(ctx context.Context, sc domain.Scope, channelID int64, by string) error {
	if _, err := d.DB.Channel(ctx, sc, channelID); err != nil {
		return err
	}
	_, plain, err := d.DB.ChannelSecret(ctx, channelID)
	if err != nil {
		return err
	}
	var cfg ChannelConfig
	if err := json.Unmarshal([]byte(plain), &cfg); err != nil {
		return fmt.Errorf("channel %d: %w", channelID, err)
	}
	now := time.Now()
	msg := notify.Message{ID: fmt.Sprintf("test-%d-%d", channelID, now.UnixNano()), Kind: "test",
		Title: "EpiGuard 测试消息 / test message",
		Body:  "这是一条测试消息，说明该通知渠道配置正确。发送人：" + by + "\nThis is a test: the channel works.",
		At:    now}
	start := time.Now()
	sendErr := d.Sender.Send(ctx, cfg.Target(), []notify.Message{msg})
	res := store.DeliveryResult{Target: store.ChannelTarget(channelID), Attempted: true, OK: sendErr == nil, Duration: time.Since(start)}
	if sendErr != nil {
		res.Error = sendErr.Error()
	}
	if err := d.DB.FinishDelivery(ctx, res); err != nil {
		return err
	}
	if sendErr != nil {
		return &domain.Error{Code: domain.EInvalid, Message: "the test message was not delivered",
			Fields: []domain.FieldError{{Field: "channel", Message: sendErr.Error()}}}
	}
	return nil
}
