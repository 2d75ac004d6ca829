package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/cluster"
	"epiguard/internal/detect"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// detectorKinds are the units whose series the detectors watch: the
// places where people meet every day (a class, a dorm room) and the
// school and community that act on a signal. Grades, buildings and
// districts add series without adding information — each series brings
// about two false alarms per hundred days (see detect.Default) — so their
// rises show through the units below and above them.
var detectorKinds = []domain.OrgKind{"class", "dorm_room", "school", "community"}

// detectorHistory is how many school days of a series the detectors see:
// the default policy's baseline and a margin for holidays.
const detectorHistory = 40

// DailySummary says what a daily pass did.
type DailySummary struct {
	Date      string `json:"date"`
	Evaluated int    `json:"evaluated"` // (unit, subject) pairs checked against the rules
	Series    int    `json:"series"`    // unit×syndrome series the detectors ran over
	Raised    int    `json:"raised"`    // firings (new alerts and merges)
}

// RunDaily evaluates the cluster rules for every unit and subject with
// cases on date and runs the default detector over every unit's syndrome
// series of school days ending at date. It is idempotent: firings merge
// into the alerts already raised, so it can run several times a day and
// again after a restart.
func (s *Service) RunDaily(ctx context.Context, date string) (DailySummary, error) {
	sums, err := s.RunDays(ctx, []string{date})
	if len(sums) == 0 {
		return DailySummary{Date: date}, err
	}
	return sums[0], err
}

// RunDays is RunDaily for several dates in order, oldest first, as the
// days would have been run one after the other: a catch-up after downtime
// or a replay of history. The detectors' counts are read once for all.
func (s *Service) RunDays(ctx context.Context, dates []string) ([]DailySummary, error) {
	if len(dates) == 0 {
		return nil, nil
	}
	for i, d := range dates {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, fmt.Errorf("daily alert pass: date %q: %w", d, err)
		}
		if i > 0 && d <= dates[i-1] {
			return nil, fmt.Errorf("daily alert pass: dates out of order at %q", d)
		}
	}
	u := s.newUnits()
	rules, _, err := s.Rules(ctx)
	if err != nil {
		return nil, err
	}
	// The syndrome series of every unit with any case in the detectors'
	// history (a unit without cases cannot alarm), for all the dates.
	firstDay, _ := time.Parse(time.DateOnly, dates[0])
	first := firstDay.AddDate(0, 0, -detectorHistory*7/5-30).Format(time.DateOnly)
	counts, err := s.DB.SubjectCounts(ctx, first, dates[len(dates)-1])
	if err != nil {
		return nil, err
	}
	series := map[seriesKey]map[string]int{}
	var order []seriesKey
	for _, c := range counts {
		if !slices.Contains(domain.AllSyndromes, domain.Syndrome(c.Subject)) {
			continue
		}
		k := seriesKey{c.OrgID, c.Subject}
		if series[k] == nil {
			series[k] = map[string]int{}
			order = append(order, k)
		}
		series[k][c.Date] = c.N
	}
	var out []DailySummary
	for _, date := range dates {
		sum, err := s.runDay(ctx, u, rules, date, series, order)
		out = append(out, sum)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

type seriesKey struct {
	org     int64
	subject string
}

func (s *Service) runDay(ctx context.Context, u *units, rules []cluster.Rule, date string, series map[seriesKey]map[string]int, order []seriesKey) (DailySummary, error) {
	sum := DailySummary{Date: date}
	start := time.Now()
	// Rules: every (unit, subject) with someone counted on the date.
	today, err := s.DB.SubjectCounts(ctx, date, date)
	if err != nil {
		return sum, err
	}
	for _, c := range today {
		n, err := s.evaluate(ctx, u, rules, c.OrgID, c.Subject, date, 0)
		if err != nil {
			return sum, err
		}
		sum.Evaluated++
		sum.Raised += n
		if !strings.HasPrefix(c.Subject, "disease:") {
			continue
		}
		// Single-case rules are about a person in their own unit: the
		// on-the-fly path knows who; here each case of the day is looked
		// at, so a case the on-the-fly path missed is still reported.
		ps, err := s.DB.SubjectPeople(ctx, c.OrgID, c.Subject, []string{date})
		if err != nil {
			return sum, err
		}
		for _, p := range ps {
			if p.OrgID != c.OrgID {
				continue
			}
			n, err := s.evaluate(ctx, u, rules, c.OrgID, c.Subject, date, p.PersonID)
			if err != nil {
				return sum, err
			}
			sum.Raised += n
		}
	}
	rulesTook := time.Since(start)
	// Detectors: one school-day window per calendar, shared by its units.
	windows := map[*calendar.Calendar][]string{}
	var x []float64
	var pts []detect.Point
	for _, k := range order {
		o, err := u.org(ctx, k.org)
		if err != nil {
			return sum, err
		}
		if !slices.Contains(detectorKinds, o.Kind) {
			continue
		}
		cal, err := u.calendar(ctx, o)
		if err != nil {
			return sum, err
		}
		days, ok := windows[cal]
		if !ok {
			if cal.IsSchoolDay(date) {
				days, _ = cal.SchoolDaysBack(date, detectorHistory)
			}
			windows[cal] = days
		}
		if len(days) == 0 {
			continue
		}
		x = slices.Grow(x[:0], len(days))[:len(days)]
		cases := false
		for i, d := range days {
			x[i] = float64(series[k][d])
			cases = cases || x[i] > 0
		}
		if !cases {
			continue // all zeros never alarm
		}
		sum.Series++
		pts = detect.AppendDefault(pts[:0], x, detect.Params{})
		last := pts[len(pts)-1]
		if last.Alarm != detect.Alarmed {
			continue
		}
		// The rules and the detector are combined: where a cluster rule
		// already raised an alert for these cases, in the unit or below
		// it, the detector's signal would only repeat it.
		if covered, err := s.DB.RuleAlertCovers(ctx, o.ID, k.subject, date); err != nil {
			return sum, err
		} else if covered {
			continue
		}
		if err := s.raiseDetector(ctx, o, k.subject, date, days, x, last); err != nil {
			return sum, err
		}
		sum.Raised++
	}
	s.Log.Debug("daily alert pass", "date", date, "evaluated", sum.Evaluated, "series", sum.Series, "raised", sum.Raised,
		"rules", rulesTook, "detectors", time.Since(start)-rulesTook)
	return sum, nil
}

func (s *Service) raiseDetector(ctx context.Context, o *domain.Org, subject, date string, days []string, x []float64, p detect.Point) error {
	n := x[len(x)-1]
	ub := p.UB
	if math.IsNaN(ub) || math.IsInf(ub, 0) {
		ub = 0
	}
	detail, _ := json.Marshal(map[string]any{"method": "default", "days": days, "counts": x, "ub": ub})
	zh, en := cluster.SyndromeName(domain.Syndrome(subject))
	a := &store.Alert{OrgID: o.ID, OrgName: o.Name, OrgKind: string(o.Kind), Subject: subject, Source: "detector", Code: "default",
		Level: "signal", FirstDate: date, LastDate: date, WindowDays: 1, Value: n, Threshold: math.Round(ub*100) / 100,
		Detail: detail,
		Title: fmt.Sprintf("%s %s %s 人，高于统计预警上限 %s（%s）", o.Name, zh, strconv.FormatFloat(n, 'f', -1, 64),
			strconv.FormatFloat(math.Round(ub*100)/100, 'f', -1, 64), "EARS C2 统计预警"),
		TitleEN: fmt.Sprintf("%s: %s %g, above the statistical bound %.2f (EARS C2, default policy)", o.Name, en, n, ub),
		Actions: "核实病例、查看近期趋势；必要时开展流调并加强晨午检与因病缺勤追踪",
		ActionsEN: "Verify the cases and the recent trend; investigate if needed and step up the morning/noon checks and " +
			"illness-absence follow-up",
		SourceRef: "EARS C2（21 个上学日基线，α=0.01，σ≥1，≥3 例），见 SPEC §5.5"}
	// A signal on consecutive school days is one alert: merge with any
	// signal of the last three school days.
	since := days[max(0, len(days)-3)]
	people, err := s.DB.SubjectPeople(ctx, o.ID, subject, []string{date})
	if err != nil {
		return err
	}
	var ap []store.AlertPerson
	for _, p := range people {
		ap = append(ap, store.AlertPerson{PersonID: p.PersonID, Date: p.Date})
	}
	return s.raise(ctx, a, ap, since, date, nil)
}

// Job returns the daily pass as a scheduler job: at each of the given
// times of day ("10:00") it runs once for today, remembered in job_runs
// so a restart or a second node does not repeat it.
func (s *Service) Job(times []string) func(ctx context.Context, now time.Time) error {
	return func(ctx context.Context, now time.Time) error {
		local := now.In(s.Loc)
		date := local.Format(time.DateOnly)
		hm := local.Format("15:04")
		due := ""
		for _, t := range times {
			if t <= hm && t > due {
				due = t
			}
		}
		if due == "" {
			return nil
		}
		key := date + " " + due
		// One node runs the pass; the others find it claimed.
		if claimed, err := s.DB.ClaimJob(ctx, "detect", key, 15*time.Minute); err != nil || !claimed {
			return err
		}
		sum, err := s.RunDaily(ctx, date)
		if err != nil {
			return err
		}
		s.Log.Info("daily alert pass", "date", date, "at", due, "evaluated", sum.Evaluated, "series", sum.Series, "raised", sum.Raised)
		return s.DB.MarkJobDone(ctx, "detect", key)
	}
}
