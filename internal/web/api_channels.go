package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"epiguard/internal/alerting"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// Notification channels (SPEC §3.3): an admin points a unit's alerts at a
// group robot, a mailbox or a webhook. The target — robot URL with its
// key, signing secret, SMTP password — goes in once and never comes back
// out: answers and pages carry the masked form only.

// channelTargetInput is a channel's target as the API takes it. On create
// the fields the kind needs are given; on update an absent field keeps the
// stored value and "" clears an optional one (a signing secret).
type channelTargetInput struct {
	URL          *string   `json:"url"`
	Secret       *string   `json:"secret"`
	SMTPAddr     *string   `json:"smtp_addr"`
	SMTPUsername *string   `json:"smtp_username"`
	SMTPPassword *string   `json:"smtp_password"`
	SMTPTLS      *string   `json:"smtp_tls"`
	From         *string   `json:"from"`
	To           *[]string `json:"to"`
}

// apply writes the given fields over cfg and reports whether any was
// given.
func (in *channelTargetInput) apply(cfg *alerting.ChannelConfig) bool {
	if in == nil {
		return false
	}
	changed := false
	for _, f := range []struct {
		src *string
		dst *string
	}{{in.URL, &cfg.URL}, {in.Secret, &cfg.Secret}, {in.SMTPAddr, &cfg.SMTPAddr}, {in.SMTPUsername, &cfg.SMTPUsername},
		{in.SMTPPassword, &cfg.SMTPPassword}, {in.SMTPTLS, &cfg.SMTPTLS}, {in.From, &cfg.From}} {
		if f.src != nil {
			*f.dst = strings.TrimSpace(*f.src)
			changed = true
		}
	}
	if in.To != nil {
		cfg.To = nil
		for _, to := range *in.To {
			if to = strings.TrimSpace(to); to != "" {
				cfg.To = append(cfg.To, to)
			}
		}
		changed = true
	}
	return changed
}

// channelJSON is a channel as the API answers it, with the outcome of its
// newest delivery attempt (null before the first).
type channelJSON struct {
	*store.Channel
	LastDelivery *store.Delivery `json:"last_delivery"`
}

// deliveries returns a channel's newest delivery attempts; a test message
// carries no notification, and its ids are an empty list, not null.
func (s *Server) deliveries(ctx context.Context, id int64, limit int) ([]store.Delivery, error) {
	ds, err := s.db.Deliveries(ctx, store.ChannelTarget(id), limit)
	for i := range ds {
		if ds[i].NotificationIDs == nil {
			ds[i].NotificationIDs = []int64{}
		}
	}
	return ds, err
}

func (s *Server) lastDelivery(ctx context.Context, id int64) (*store.Delivery, error) {
	ds, err := s.deliveries(ctx, id, 1)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return &ds[0], nil
}

func (s *Server) channelJSON(ctx context.Context, c *store.Channel) (channelJSON, error) {
	d, err := s.lastDelivery(ctx, c.ID)
	return channelJSON{c, d}, err
}

// createChannel validates a new channel and its target and stores it; the
// audit entry names the channel, never its target.
func (s *Server) createChannel(ctx context.Context, rq *request, ch *store.Channel, cfg alerting.ChannelConfig) error {
	ch.Name = strings.TrimSpace(ch.Name)
	ch.Kind = cfg.Kind
	if err := alerting.CheckChannel(ch, cfg, s.allowLoopback); err != nil {
		return err
	}
	target, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("channel target: %w", err)
	}
	ch.TargetMasked, ch.CreatedBy = cfg.Masked(), rq.acc.Username
	if err := s.db.CreateChannel(ctx, rq.scope(), ch, string(target)); err != nil {
		return err
	}
	s.audit(ctx, rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: store.ChannelTarget(ch.ID),
		Detail: fmt.Sprintf("created %s channel %q for unit %d", ch.Kind, ch.Name, ch.OrgID)})
	return nil
}

// channelChange is an update of a channel: nil fields stay as they are.
type channelChange struct {
	Name     *string             `json:"name"`
	Events   *[]string           `json:"events"`
	MinLevel *string             `json:"min_level"`
	Enabled  *bool               `json:"enabled"`
	Target   *channelTargetInput `json:"target"`
}

// updateChannel applies a change to a channel in the caller's scope. The
// stored target is the base of a target change, so an admin can replace
// the secret without typing the URL again; the kind never changes (a robot
// is not a mailbox). The whole channel is checked again either way.
func (s *Server) updateChannel(ctx context.Context, rq *request, id int64, c channelChange) (*store.Channel, error) {
	ch, err := s.db.Channel(ctx, rq.scope(), id)
	if err != nil {
		return nil, err
	}
	_, plain, err := s.db.ChannelSecret(ctx, id)
	if err != nil {
		return nil, err
	}
	var cfg alerting.ChannelConfig
	if err := json.Unmarshal([]byte(plain), &cfg); err != nil {
		return nil, fmt.Errorf("channel %d: stored target: %w", id, err)
	}
	var changed []string
	if c.Name != nil {
		ch.Name = strings.TrimSpace(*c.Name)
		changed = append(changed, "name")
	}
	if c.Events != nil {
		ch.Events = *c.Events
		changed = append(changed, "events")
	}
	if c.MinLevel != nil {
		ch.MinLevel = *c.MinLevel
		changed = append(changed, "min_level")
	}
	if c.Enabled != nil {
		ch.Enabled = *c.Enabled
		changed = append(changed, fmt.Sprintf("enabled=%v", ch.Enabled))
	}
	target := ""
	if c.Target.apply(&cfg) {
		cfg.Kind = ch.Kind
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("channel target: %w", err)
		}
		target = string(b)
		ch.TargetMasked = cfg.Masked()
		changed = append(changed, "target")
	}
	if err := alerting.CheckChannel(ch, cfg, s.allowLoopback); err != nil {
		return nil, err
	}
	if err := s.db.UpdateChannel(ctx, rq.scope(), ch, target); err != nil {
		return nil, err
	}
	s.audit(ctx, rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: store.ChannelTarget(id),
		Detail: fmt.Sprintf("updated channel %q: %s", ch.Name, strings.Join(changed, ", "))})
	return s.db.Channel(ctx, rq.scope(), id)
}

func (s *Server) deleteChannel(ctx context.Context, rq *request, id int64) error {
	ch, err := s.db.Channel(ctx, rq.scope(), id)
	if err != nil {
		return err
	}
	if err := s.db.DeleteChannel(ctx, rq.scope(), id); err != nil {
		return err
	}
	s.audit(ctx, rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: store.ChannelTarget(id),
		Detail: fmt.Sprintf("deleted %s channel %q", ch.Kind, ch.Name)})
	return nil
}

// testChannel sends a test message now and answers the attempt as the
// delivery log recorded it. A failure is the caller's to fix (a wrong
// key, a robot removed from its group), so it is a 400 that says what
// the receiver answered.
func (s *Server) testChannel(ctx context.Context, rq *request, id int64) (*store.Delivery, error) {
	ch, err := s.db.Channel(ctx, rq.scope(), id)
	if err != nil {
		return nil, err
	}
	sendErr := s.deliverer.SendTest(ctx, rq.scope(), id, displayName(rq.acc))
	outcome := "ok"
	if sendErr != nil {
		if domain.ErrorCode(sendErr) == domain.EInternal {
			return nil, sendErr
		}
		outcome = "failed"
	}
	s.audit(ctx, rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: store.ChannelTarget(id),
		Detail: fmt.Sprintf("sent a test message to %q: %s", ch.Name, outcome)})
	if sendErr != nil {
		return nil, sendErr
	}
	return s.lastDelivery(ctx, id)
}

func (s *Server) apiChannels(w http.ResponseWriter, r *http.Request, rq *request) error {
	chs, err := s.db.Channels(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	page, err := pageOf(r, chs)
	if err != nil {
		return err
	}
	// Only the page's channels look up their newest delivery.
	out := list[channelJSON]{Items: make([]channelJSON, 0, len(page.Items)), Next: page.Next, Total: page.Total}
	for _, c := range page.Items {
		cj, err := s.channelJSON(r.Context(), c)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, cj)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiCreateChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		OrgID    int64              `json:"org_id"`
		Kind     string             `json:"kind"`
		Name     string             `json:"name"`
		Events   []string           `json:"events"`
		MinLevel string             `json:"min_level"`
		Enabled  *bool              `json:"enabled"`
		Target   channelTargetInput `json:"target"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ch := &store.Channel{OrgID: in.OrgID, Name: in.Name, Events: in.Events, MinLevel: in.MinLevel, Enabled: in.Enabled == nil || *in.Enabled}
	cfg := alerting.ChannelConfig{Kind: in.Kind}
	in.Target.apply(&cfg)
	if err := s.createChannel(r.Context(), rq, ch, cfg); err != nil {
		return err
	}
	c, err := s.db.Channel(r.Context(), rq.scope(), ch.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, channelJSON{Channel: c})
	return nil
}

func (s *Server) apiChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.db.Channel(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	cj, err := s.channelJSON(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cj)
	return nil
}

func (s *Server) apiUpdateChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var c channelChange
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	ch, err := s.updateChannel(r.Context(), rq, id, c)
	if err != nil {
		return err
	}
	cj, err := s.channelJSON(r.Context(), ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cj)
	return nil
}

func (s *Server) apiDeleteChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.deleteChannel(r.Context(), rq, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiTestChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.testChannel(r.Context(), rq, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiChannelDeliveries(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.db.Channel(r.Context(), rq.scope(), id); err != nil {
		return err
	}
	page, err := pageOfNewest(r, func(n int) ([]store.Delivery, error) { return s.deliveries(r.Context(), id, n) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
