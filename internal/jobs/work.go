package jobs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// DeliverOutbox delivers due notifications. The in-app inbox is delivered
// here; other channels arrive with their adapters and wait until then.
func DeliverOutbox(db *store.DB) func(ctx context.Context, now time.Time) error {
	return func(ctx context.Context, now time.Time) error {
		due, err := db.DueNotifications(ctx, 200)
		if err != nil {
			return err
		}
		for _, n := range due {
			if err := db.DeliverToInbox(ctx, n); err != nil {
				return fmt.Errorf("deliver %d: %w", n.ID, err)
			}
		}
		return nil
	}
}

// Reminders are the check-in reminder settings.
type Reminders struct {
	// Times of day ("08:00") at which missing check-ins are reminded.
	Times []string
	Loc   *time.Location
}

// RemindMissing sends, at each configured time, each teacher a digest of
// the people of their unit who have not checked in today, on the school
// days of the unit's calendar: not on holidays, breaks or closures, but on
// make-up days (调休). Dedupe keys make a second node or a restart send
// nothing twice.
func RemindMissing(db *store.DB, cfg Reminders) func(ctx context.Context, now time.Time) error {
	return func(ctx context.Context, now time.Time) error {
		local := now.In(cfg.Loc)
		clock := local.Format("15:04")
		today := local.Format(time.DateOnly)
		var due string
		for _, t := range cfg.Times {
			if clock >= t && (due == "" || t > due) {
				due = t
			}
		}
		if due == "" {
			return nil
		}
		// The job ticks every minute; each reminder time is done once,
		// by one node, rather than recomputed on every tick until midnight.
		key := today + " " + due
		if claimed, err := db.ClaimJob(ctx, "remind_missing", key, jobLease); err != nil || !claimed {
			return err
		}
		accounts, err := db.Accounts(ctx, domain.System())
		if err != nil {
			return err
		}
		// A unit's digest is made once, however many teachers it has.
		var units []int64
		teachers := map[int64][]*domain.Account{}
		for _, a := range accounts {
			if a.Role != domain.RoleTeacher || a.Disabled {
				continue
			}
			if teachers[a.OrgID] == nil {
				units = append(units, a.OrgID)
			}
			teachers[a.OrgID] = append(teachers[a.OrgID], a)
		}
		var ns []store.Notification
		for _, unit := range units {
			school, err := db.IsSchoolDay(ctx, unit, today)
			if err != nil {
				return err
			}
			if !school {
				continue
			}
			missing, err := db.Missing(ctx, domain.System(), unit, today, "")
			if err != nil {
				return err
			}
			if len(missing) == 0 {
				continue
			}
			names := make([]string, 0, len(missing))
			for i, m := range missing {
				if i == 20 {
					names = append(names, fmt.Sprintf("等 %d 人", len(missing)))
					break
				}
				names = append(names, m.Name)
			}
			n := store.Notification{Kind: "reminder",
				Title: fmt.Sprintf("%s 尚有 %d 人未打卡", teachers[unit][0].OrgName, len(missing)),
				Body:  strings.Join(names, "、"),
				Link:  fmt.Sprintf("/orgs/%d/roll?date=%s", unit, today)}
			prefix := fmt.Sprintf("remind:%d:%s:%s:auto:", unit, today, due)
			for _, a := range teachers[unit] {
				m := n
				// One digest per account, day and reminder time.
				m.Channel, m.Target, m.DedupeKey = "inbox", fmt.Sprintf("account:%d", a.ID), prefix+strconv.FormatInt(a.ID, 10)
				ns = append(ns, m)
			}
			// And one per channel of the unit that carries reminders.
			chs, err := db.ToChannels(ctx, unit, n, prefix)
			if err != nil {
				return err
			}
			ns = append(ns, chs...)
		}
		if len(ns) > 0 {
			if _, err := db.Enqueue(ctx, ns); err != nil {
				return err
			}
		}
		return db.MarkJobDone(ctx, "remind_missing", key)
	}
}

// jobLease is how long a node's claim on a daily job keeps the other
// nodes from running it: longer than a pass over a city takes.
const jobLease = 15 * time.Minute

// RefreshStatuses recomputes everyone's status once a day, after midnight,
// because some reasons depend on the date alone (missed check-in days,
// windows that end), and once after each change of the status rules, so
// that nobody keeps a status the rules in force would not give until
// their next record. One node does each run (ClaimJob).
func RefreshStatuses(db *store.DB, loc *time.Location) func(ctx context.Context, now time.Time) error {
	return func(ctx context.Context, now time.Time) error {
		today := now.In(loc).Format(time.DateOnly)
		rules, err := db.StatusRules(ctx)
		if err != nil {
			return err
		}
		version := fmt.Sprintf("rules v%d", rules.Version)
		cause := "daily"
		claimed, err := db.ClaimJob(ctx, "refresh_statuses", today, jobLease)
		if err != nil {
			return err
		}
		if !claimed {
			// Today's run is done or under way; a rule change since
			// then needs a run of its own.
			if claimed, err = db.ClaimJob(ctx, "refresh_statuses", version, jobLease); err != nil || !claimed {
				return err
			}
			cause = "rules"
		}
		ids, err := db.PeopleIDs(ctx, 0)
		if err != nil {
			return err
		}
		if err := db.RefreshStatuses(ctx, ids, today, cause); err != nil {
			return err
		}
		// A daily run uses the rules in force too.
		if err := db.MarkJobDone(ctx, "refresh_statuses", version); err != nil {
			return err
		}
		if cause == "daily" {
			return db.MarkJobDone(ctx, "refresh_statuses", today)
		}
		return nil
	}
}
