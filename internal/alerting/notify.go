package alerting

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// recipients are who hear of an alert at one escalation step: inbox
// accounts and channels.
type recipients struct {
	accounts []*domain.Account
	channels []*store.Channel
}

// stepsFor returns, nearest first, the groups of accounts responsible for
// a unit: the health officers (and, for a class, its teacher) of the unit
// or its nearest ancestor that has any, then those of the next ancestor
// up, and so on. Step 0 hears of a new alert; step k of its k-th
// escalation. Admins join the health officers of their level: when a
// school has no doctor on the system, its administrator is who is left.
func (s *Service) stepsFor(ctx context.Context, orgID int64) ([][]*domain.Account, error) {
	accs, err := s.DB.ResponsibleAccounts(ctx, orgID, domain.RoleHealth, domain.RoleAdmin, domain.RoleTeacher)
	if err != nil {
		return nil, err
	}
	var steps [][]*domain.Account
	depth := -1
	for _, a := range accs {
		// A teacher hears of their own unit only, never of a school's.
		if a.Role == domain.RoleTeacher && a.OrgID != orgID {
			continue
		}
		d := strings.Count(a.OrgPath, "/")
		if d != depth {
			steps = append(steps, nil)
			depth = d
		}
		steps[len(steps)-1] = append(steps[len(steps)-1], a)
	}
	// A level where only a teacher sits is joined to the next one, so the
	// first step always reaches someone who can act on the alert.
	for len(steps) > 1 && onlyTeachers(steps[0]) {
		steps = append([][]*domain.Account{append(steps[0], steps[1]...)}, steps[2:]...)
	}
	return steps, nil
}

func onlyTeachers(as []*domain.Account) bool {
	for _, a := range as {
		if a.Role != domain.RoleTeacher {
			return false
		}
	}
	return true
}

// channelsFor returns the channels that carry an event kind for a unit and
// an alert level.
func (s *Service) channelsFor(ctx context.Context, orgID int64, kind, level string) ([]*store.Channel, error) {
	chs, err := s.DB.ChannelsFor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []*store.Channel
	for _, c := range chs {
		if !c.Carries(kind) {
			continue
		}
		if c.MinLevel != "" && levelRank(level) < levelRank(c.MinLevel) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// message is the text of an alert notification, in Chinese: robots post
// to Chinese work groups and inboxes are read in the default language.
func message(a *store.Alert, kind string, loc *time.Location) (title, body string) {
	prefix := "【预警】"
	switch kind {
	case "escalation":
		prefix = "【预警未处理·升级】"
	case "update":
		prefix = "【预警更新】"
	}
	title = prefix + a.Title
	var b strings.Builder
	fmt.Fprintf(&b, "单位：%s\n", a.OrgName)
	fmt.Fprintf(&b, "日期：%s", a.LastDate)
	if a.FirstDate != a.LastDate {
		fmt.Fprintf(&b, "（自 %s）", a.FirstDate)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "数值：%s（阈值 %s）\n", num(a.Value), num(a.Threshold))
	if a.ReportDueAt != nil {
		fmt.Fprintf(&b, "报告时限：%s 前\n", a.ReportDueAt.In(loc).Format("2006-01-02 15:04"))
	}
	if a.Actions != "" {
		fmt.Fprintf(&b, "建议措施：%s\n", a.Actions)
	}
	if a.SourceRef != "" {
		fmt.Fprintf(&b, "依据：%s\n", a.SourceRef)
	}
	if kind == "escalation" {
		fmt.Fprintf(&b, "该预警已 %d 次超时未确认，请尽快处理。\n", a.Escalations+1)
	}
	return title, strings.TrimSpace(b.String())
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// notifications builds one notification per account and channel for an
// alert event. The dedupe key names the alert, the event and the target,
// so an event re-evaluated (a restart, a second node, the daily pass after
// the on-the-fly one) never notifies the same target twice.
func (s *Service) notifications(a *store.Alert, kind, event string, r recipients) []store.Notification {
	title, body := message(a, kind, s.Loc)
	link := "/alerts/" + strconv.FormatInt(a.ID, 10)
	var out []store.Notification
	key := "alert:" + strconv.FormatInt(a.ID, 10) + ":" + event + ":"
	for _, acc := range r.accounts {
		target := "account:" + strconv.FormatInt(acc.ID, 10)
		out = append(out, store.Notification{Channel: "inbox", Target: target, Kind: kind, Title: title, Body: body, Link: link,
			DedupeKey: key + target})
	}
	for _, c := range r.channels {
		target := store.ChannelTarget(c.ID)
		out = append(out, store.Notification{Channel: c.Kind, Target: target, Kind: kind, Title: title, Body: body, Link: link,
			DedupeKey: key + target})
	}
	return out
}

// Escalate moves every open alert whose acknowledgement is overdue one
// step up the responsibility chain: the next level's health officers and
// administrators, and the channels that carry escalations. Run by a job.
func (s *Service) Escalate(ctx context.Context, now time.Time) error {
	due, err := s.DB.UnacknowledgedDue(ctx, now)
	if err != nil {
		return err
	}
	for _, a := range due {
		steps, err := s.stepsFor(ctx, a.OrgID)
		if err != nil {
			return err
		}
		var r recipients
		next := a.Escalations + 1
		if next < len(steps) {
			r.accounts = steps[next]
		} else if len(steps) > 0 {
			// Nobody higher: remind the top of the chain again.
			r.accounts = steps[len(steps)-1]
		}
		if r.channels, err = s.channelsFor(ctx, a.OrgID, "escalation", a.Level); err != nil {
			return err
		}
		var nextDue *time.Time
		if next < len(steps) {
			t := now.Add(s.ackWithin(a.Level))
			nextDue = &t
		}
		names := make([]string, len(r.accounts))
		for i, acc := range r.accounts {
			names[i] = acc.DisplayName
			if names[i] == "" {
				names[i] = acc.Username
			}
		}
		note := "超时未确认，已通知：" + strings.Join(names, "、")
		ns := s.notifications(a, "escalation", "escalation"+strconv.Itoa(next), r)
		if _, err := s.DB.EscalateAlert(ctx, a, nextDue, note, ns); err != nil {
			return err
		}
	}
	return nil
}

// ackWithin is how long an alert may stay unacknowledged before it is
// escalated: half an hour for the levels that must be reported within two
// hours, two hours for the others.
func (s *Service) ackWithin(level string) time.Duration {
	if s.AckWithin > 0 {
		return s.AckWithin
	}
	switch level {
	case "outbreak", "event", "case":
		return 30 * time.Minute
	}
	return 2 * time.Hour
}
