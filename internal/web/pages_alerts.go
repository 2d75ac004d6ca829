package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/cluster"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// The alert pages (SPEC §3.3): the list with its state tabs, and one
// alert with its numbers, a chart of the unit's recent days, the people
// behind it, its history and the forms that move it along its lifecycle.
// Health officers and admins act on alerts; class teachers follow their
// own units' and viewers the aggregates (no people).

// alertRoutes are the alert pages and API.
func (s *Server) alertRoutes() []route {
	return []route{
		{"GET", "/api/v1/alerts", signedIn, true, s.apiAlerts},
		{"GET", "/api/v1/alerts/{id}", signedIn, true, s.apiAlert},
		{"POST", "/api/v1/alerts/{id}/transitions", editors, true, s.apiAlertTransition},
		{"GET", "/alerts", signedIn, false, s.pageAlerts},
		{"GET", "/alerts/{id}", signedIn, false, s.pageAlert},
		{"POST", "/alerts/{id}/transitions", editors, false, s.pageAlertChange},
	}
}

var _ = addMessages(map[string][2]string{
	"alert.nav":                           {"预警", "Alerts"},
	"alert.nav.badge":                     {"（%d 条未关闭）", " (%d active)"},
	"alert.title":                         {"预警", "Alerts"},
	"alert.title.case":                    {"%s：1 例%s病例", "%s: a case of %s"},
	"alert.detail":                        {"预警详情", "Alert"},
	"alert.tabs":                          {"按状态筛选", "Filter by state"},
	"alert.tab.active":                    {"未关闭", "Active"},
	"alert.tab.all":                       {"全部", "All"},
	"alert.none":                          {"没有符合条件的预警。", "No alerts match."},
	"alert.col.alert":                     {"预警", "Alert"},
	"alert.col.org":                       {"单位", "Unit"},
	"alert.col.subject":                   {"症候群/病种", "Syndrome or disease"},
	"alert.col.level":                     {"级别", "Level"},
	"alert.col.value":                     {"数值", "Value"},
	"alert.col.dates":                     {"日期", "Dates"},
	"alert.col.due":                       {"报告时限", "Report by"},
	"alert.col.state":                     {"状态", "State"},
	"alert.state.open":                    {"待确认", "Open"},
	"alert.state.acknowledged":            {"已确认", "Acknowledged"},
	"alert.state.investigating":           {"调查处置中", "Investigating"},
	"alert.state.closed":                  {"已关闭", "Closed"},
	"alert.conclusion.":                   {"—", "—"},
	"alert.conclusion.choose":             {"请选择结论", "Choose a conclusion"},
	"alert.conclusion.outbreak_confirmed": {"确认为暴发疫情", "Outbreak confirmed"},
	"alert.conclusion.not_an_outbreak":    {"排除，非暴发疫情", "Not an outbreak"},
	"alert.conclusion.duplicate":          {"重复预警", "Duplicate"},
	"alert.level.signal":                  {"统计信号", "Statistical signal"},
	"alert.level.advice":                  {"处置建议", "Advice"},
	"alert.level.case":                    {"病例报告", "Notifiable case"},
	"alert.level.cluster":                 {"聚集性疫情", "Cluster"},
	"alert.level.outbreak":                {"暴发疫情", "Outbreak"},
	"alert.level.event":                   {"突发公共卫生事件", "Public health event"},
	"alert.source.rule":                   {"聚集性规则", "Cluster rule"},
	"alert.source.detector":               {"统计预警模型", "Statistical detector"},
	"alert.detector.default":              {"EARS C1/C2/C3 与 CUSUM 综合策略", "Default policy (EARS C1/C2/C3 and CUSUM)"},
	"alert.value.rule":                    {"%s（阈值 ≥ %s）", "%s (threshold ≥ %s)"},
	"alert.value.detector":                {"%s（统计上限 %s）", "%s (upper bound %s)"},
	"alert.overdue":                       {"已超时", "Overdue"},
	"alert.due.none":                      {"—", "—"},
	"alert.dates":                         {"%s 至 %s", "%s to %s"},
	"alert.first":                         {"第一页", "First page"},
	"alert.more":                          {"更早的预警", "Older alerts"},
	"alert.facts":                         {"基本信息", "Facts"},
	"alert.unit":                          {"单位", "Unit"},
	"alert.subject":                       {"症候群/病种", "Syndrome or disease"},
	"alert.source":                        {"触发依据", "Raised by"},
	"alert.code":                          {"规则/方法", "Rule or method"},
	"alert.citation":                      {"依据文件", "Source"},
	"alert.value":                         {"数值", "Value"},
	"alert.window":                        {"统计窗口", "Window"},
	"alert.window.days":                   {"%s 至 %s（%d 天）", "%s to %s (%d days)"},
	"alert.level":                         {"级别", "Level"},
	"alert.state":                         {"状态", "State"},
	"alert.conclusion":                    {"结论", "Conclusion"},
	"alert.assignee":                      {"负责人", "Assignee"},
	"alert.assignee.none":                 {"未指派", "Not assigned"},
	"alert.due":                           {"报告时限", "Report by"},
	"alert.ack_due":                       {"确认时限", "Acknowledge by"},
	"alert.escalations":                   {"超时升级次数", "Escalations"},
	"alert.fired":                         {"触发次数", "Times fired"},
	"alert.raised_at":                     {"产生时间", "Raised at"},
	"alert.actions":                       {"建议措施", "Suggested actions"},
	"alert.actions.none":                  {"无。", "None."},
	"alert.chart":                         {"近 30 天每日人数", "Daily counts, last 30 days"},
	"alert.chart.title":                   {"%s %s：%s 至 %s 每日人数", "%s, %s: daily counts from %s to %s"},
	"alert.chart.desc":                    {"最多 %d 人（%s）；深红色柱和浅红色背景为本预警的统计窗口。", "At most %d (%s); dark red bars on a light red ground are this alert's window."},
	"alert.chart.desc.none":               {"这 30 天没有记录到人数；浅红色背景为本预警的统计窗口。", "Nobody counted in these 30 days; the light red ground is this alert's window."},
	"alert.chart.legend.window":           {"预警窗口内", "In the alert's window"},
	"alert.chart.legend.other":            {"其他日期", "Other days"},
	"alert.chart.table":                   {"查看数据表", "Show the data as a table"},
	"alert.chart.date":                    {"日期", "Date"},
	"alert.chart.n":                       {"人数", "Count"},
	"alert.people":                        {"相关人员", "People behind the alert"},
	"alert.people.none":                   {"没有记录到相关人员。", "No people recorded."},
	"alert.people.hidden":                 {"您的账号只能查看汇总数据，不显示人员名单。", "Your account sees aggregates only: the people are not shown."},
	"alert.person.name":                   {"姓名", "Name"},
	"alert.person.number":                 {"学号/工号", "Number"},
	"alert.person.org":                    {"班级/单位", "Class or unit"},
	"alert.person.date":                   {"计入日期", "Counted on"},
	"alert.history":                       {"处理记录", "History"},
	"alert.event.at":                      {"时间", "Time"},
	"alert.event.actor":                   {"操作人", "By"},
	"alert.event.what":                    {"事项", "What"},
	"alert.event.note":                    {"说明", "Note"},
	"alert.event.system":                  {"系统", "System"},
	"alert.event.raised":                  {"产生预警", "Raised"},
	"alert.event.merged":                  {"合并新数据", "Merged a new firing"},
	"alert.event.transition":              {"状态变更", "State change"},
	"alert.event.note.kind":               {"备注", "Note"},
	"alert.event.assigned":                {"指派负责人", "Assigned"},
	"alert.event.escalated":               {"超时升级", "Escalated"},
	"alert.event.move":                    {"%s → %s", "%s → %s"},
	"alert.work":                          {"处理", "Act on this alert"},
	"alert.readonly":                      {"只有卫生/疫情报告人和管理员可以处理预警。", "Only health officers and administrators act on alerts."},
	"alert.ack":                           {"确认预警", "Acknowledge"},
	"alert.ack.hint":                      {"确认表示已收到并开始核实，停止超时升级。", "Acknowledging says you have it and are checking; it stops the escalation."},
	"alert.investigate":                   {"开始调查处置", "Start investigating"},
	"alert.close":                         {"关闭预警", "Close the alert"},
	"alert.close.note":                    {"关闭说明", "Closing note"},
	"alert.close.submit":                  {"关闭预警", "Close"},
	"alert.note":                          {"添加备注", "Add a note"},
	"alert.note.label":                    {"备注内容", "Note"},
	"alert.note.submit":                   {"添加备注", "Add note"},
	"alert.assign":                        {"指派负责人", "Assign"},
	"alert.assign.label":                  {"负责人", "Assignee"},
	"alert.assign.choose":                 {"请选择", "Choose"},
	"alert.assign.submit":                 {"指派", "Assign"},
	"alert.saved":                         {"已保存。", "Saved."},
	"alert.err.title":                     {"未能保存", "Not saved"},
	"alert.err.moved":                     {"该预警的状态已经变化（可能已有他人处理），不能执行此操作。请查看最新状态。", "The alert has moved on (someone may have acted on it): this step no longer applies. See its current state."},
	"alert.err.nothing":                   {"请填写备注，或选择要执行的操作。", "Write a note or choose what to do."},
	"alert.err.conclusion":                {"关闭预警需要选择结论。", "Choose a conclusion to close the alert."},
	"alert.err.note":                      {"备注最多 2000 字。", "A note has at most 2000 characters."},
	"alert.err.assignee":                  {"请选择您管理范围内的负责人。", "Choose an assignee within your scope."},
	"alert.field.to":                      {"操作", "Action"},
	"alert.back":                          {"返回预警列表", "Back to the alerts"},
})

// alertTabs are the state filters of the list, in tab order; "active" is
// every state but closed, "all" no filter.
var alertTabs = []string{"active", store.AlertOpen, store.AlertAcknowledged, store.AlertInvestigating, store.AlertClosed, "all"}

// alertReader admits the roles that follow alerts (SPEC §1): health
// officers and admins act on them, class teachers see their own units',
// viewers the aggregates. Gate guards and operations staff have no alert
// work, and the people behind an alert are sensitive.
func alertReader(rq *request) error {
	switch rq.acc.Role {
	case domain.RoleHealth, domain.RoleAdmin, domain.RoleTeacher, domain.RoleViewer:
		return nil
	}
	return domain.Errorf(domain.EForbidden, "your role (%s) does not follow alerts", rq.acc.Role)
}

// canChangeAlerts mirrors the editors access of the transition routes.
func canChangeAlerts(rq *request) bool { return editors.allowed(rq.acc.Role) }

// subjectName names a surveillance subject: a syndrome, or a disease by
// the name the diagnosis list gives it.
func subjectName(l *catalog, subject string) string {
	code, ok := strings.CutPrefix(subject, "disease:")
	if !ok {
		zh, en := cluster.SyndromeName(domain.Syndrome(subject))
		if l.lang == langEN {
			return en
		}
		return zh
	}
	if d, ok := cluster.FindDisease(code); ok {
		if l.lang == langEN {
			return d.NameEN
		}
		return d.NameZH
	}
	return code
}

// ruleInfo is what the alert pages need of a cluster rule.
type ruleInfo struct {
	Name [2]string // Chinese, English
	// Person marks a rule about a single case, whose alert titles name
	// the person.
	Person bool
}

// ruleNames describes the cluster rules in force by code, for the alert
// list and page; a rule saved under a new code is named too. An alert
// whose rule was since removed shows its code.
func (s *Server) ruleNames(ctx context.Context) map[string]ruleInfo {
	rules, _, err := s.alerts.Rules(ctx)
	if err != nil {
		s.log.Warn("cluster rules for alert names", "err", err)
		rules = cluster.DefaultRules()
	}
	out := map[string]ruleInfo{}
	for _, r := range rules {
		out[r.Code] = ruleInfo{Name: [2]string{r.NameZH, r.NameEN}, Person: r.Applies(cluster.KindPerson)}
	}
	return out
}

// codeName names what raised an alert: a rule by its name, a detector by
// its method.
func codeName(l *catalog, a *store.Alert, names map[string]ruleInfo) string {
	if a.Source == "detector" {
		if key := "alert.detector." + a.Code; hasMessage(key) {
			return l.T(key)
		}
		return a.Code
	}
	if n, ok := names[a.Code]; ok {
		if l.lang == langEN {
			return n.Name[1]
		}
		return n.Name[0]
	}
	return a.Code
}

// alertNum shows a count or a bound without trailing zeros, at most two
// decimals.
func alertNum(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// isPercent reports whether a rule alert's value is a percentage of the
// unit (the class-suspension rule's "≥ 30 % of the class"): raiseRule then
// stores the percentages, and the finding in Detail says so.
func isPercent(a *store.Alert) bool {
	if a.Source != "rule" {
		return false
	}
	var d struct {
		PercentThreshold float64 `json:"percent_threshold"`
	}
	if json.Unmarshal(a.Detail, &d) != nil {
		return false
	}
	return d.PercentThreshold > 0 && a.Threshold == d.PercentThreshold
}

// valueText is an alert's number against its threshold or bound.
func valueText(l *catalog, a *store.Alert) string {
	v, t := alertNum(a.Value), alertNum(a.Threshold)
	if isPercent(a) {
		v, t = v+"%", t+"%"
	}
	if a.Source == "detector" {
		return l.F("alert.value.detector", v, t)
	}
	return l.F("alert.value.rule", v, t)
}

// textOf picks the language of a bilingual field, falling back to the
// Chinese one.
func textOf(l *catalog, zh, en string) string {
	if l.lang == langEN && en != "" {
		return en
	}
	return zh
}

// alertRow is an alert as the pages show it.
type alertRow struct {
	A        *store.Alert
	Title    string
	Subject  string
	CodeName string
	Value    string
	Due      string
	Overdue  bool
}

func (s *Server) alertRow(l *catalog, sc domain.Scope, a *store.Alert, names map[string]ruleInfo) alertRow {
	// An account without person-level access (a district viewer) reads an
	// older single-case alert without the person's name, as in the API.
	a = s.alertFor(sc, a, names)
	row := alertRow{A: a, Title: textOf(l, a.Title, a.TitleEN), Subject: subjectName(l, a.Subject), CodeName: codeName(l, a, names),
		Value: valueText(l, a), Overdue: s.reportOverdue(a)}
	if row.Title == "" {
		row.Title = a.OrgName + " · " + row.Subject
	}
	if a.ReportDueAt != nil {
		row.Due = l.Time(a.ReportDueAt.In(s.loc))
	}
	return row
}

// reportOverdue reports an alert still open past its report deadline.
func (s *Server) reportOverdue(a *store.Alert) bool {
	return a.State != store.AlertClosed && a.ReportDueAt != nil && s.now().After(*a.ReportDueAt)
}

type alertTab struct {
	State, Href string
	Current     bool
}

type alertsData struct {
	Rows  []alertRow
	Tabs  []alertTab
	Org   *domain.Org
	State string
	First string // the first page's URL when paging
	Next  string
}

func (s *Server) pageAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := alertReader(rq); err != nil {
		return err
	}
	q := r.URL.Query()
	orgID, err := queryID(q, "org")
	if err != nil {
		return err
	}
	before, err := queryID(q, "before")
	if err != nil {
		return err
	}
	state := q.Get("state")
	if state == "" {
		state = "active"
	}
	if !slices.Contains(alertTabs, state) {
		return fieldErr("state", "must be one of %s", strings.Join(alertTabs, ", "))
	}
	ctx := r.Context()
	d := alertsData{State: state}
	if orgID != 0 {
		if d.Org, err = s.db.Org(ctx, rq.scope(), orgID); err != nil {
			return err
		}
	}
	link := func(state string, before int64) string {
		v := url.Values{"state": {state}}
		if orgID != 0 {
			v.Set("org", strconv.FormatInt(orgID, 10))
		}
		if before != 0 {
			v.Set("before", strconv.FormatInt(before, 10))
		}
		return "/alerts?" + v.Encode()
	}
	for _, t := range alertTabs {
		d.Tabs = append(d.Tabs, alertTab{State: t, Href: link(t, 0), Current: t == state})
	}
	storeState := state
	if state == "all" {
		storeState = ""
	}
	const pageSize = 50
	list, err := s.db.Alerts(ctx, rq.scope(), store.AlertQuery{OrgID: orgID, State: storeState, BeforeID: before, Limit: pageSize})
	if err != nil {
		return err
	}
	l := catalogs[rq.lang]
	names := s.ruleNames(ctx)
	for _, a := range list {
		d.Rows = append(d.Rows, s.alertRow(l, rq.scope(), a, names))
	}
	if len(list) == pageSize {
		d.Next = link(state, list[len(list)-1].ID)
	}
	if before != 0 {
		d.First = link(state, 0)
	}
	return s.render(w, r, rq, http.StatusOK, "alerts", "alert.title", d, nil)
}

// seriesDays is how many days the alert's chart and series cover.
const seriesDays = 30

type seriesPoint struct {
	Date string `json:"date"`
	N    int    `json:"n"`
}

// seriesEnd is the last day of an alert's series: today while the alert
// is active, the day it was closed once it is (what the officer saw when
// closing it), and never before its own last day.
func (s *Server) seriesEnd(a *store.Alert) string {
	end := s.today()
	if a.ClosedAt != nil {
		end = min(end, a.ClosedAt.In(s.loc).Format(time.DateOnly))
	}
	return max(end, a.LastDate)
}

// alertSeries returns the daily counts of the alert's subject in its unit
// over the seriesDays days up to seriesEnd, days without cases as zero.
func (s *Server) alertSeries(ctx context.Context, a *store.Alert) ([]seriesPoint, error) {
	end, err := time.Parse(time.DateOnly, s.seriesEnd(a))
	if err != nil {
		return nil, fmt.Errorf("alert %d series: %w", a.ID, err)
	}
	first := end.AddDate(0, 0, -(seriesDays - 1))
	counts, err := s.db.SubjectSeries(ctx, a.OrgID, first.Format(time.DateOnly), end.Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	byDate := map[string]int{}
	for _, c := range counts {
		if c.Subject == a.Subject {
			byDate[c.Date] = c.N
		}
	}
	out := make([]seriesPoint, 0, seriesDays)
	for i := range seriesDays {
		d := first.AddDate(0, 0, i).Format(time.DateOnly)
		out = append(out, seriesPoint{Date: d, N: byDate[d]})
	}
	return out, nil
}

// The chart's geometry in SVG user units; the stylesheet scales it to the
// page's width.
const (
	chartLeft   = 40 // room for the y-axis labels
	chartTop    = 12
	chartPlotH  = 160
	chartSlot   = 20 // one day
	chartBarW   = 14
	chartBottom = 28 // room for the date labels
)

type chartBar struct {
	X, Y, H  int
	Date     string
	N        int
	InWindow bool
	Label    string // the date under every seventh bar, counted from the last
	LabelX   int
}

type chartTick struct {
	Y     int
	Label int
}

// chart is a server-drawn bar chart: no script, readable by screen
// readers through its title, description and the table beside it.
type chart struct {
	Width, Height          int
	Left, PlotRight, BaseY int
	LabelY, TickX          int
	BarW                   int
	// WinX and WinW span the alert's window (WinW 0: not in the chart).
	WinX, WinW  int
	Bars        []chartBar
	Ticks       []chartTick
	Title, Desc string
}

// niceStep is the tick step that gives at most five ticks above zero.
func niceStep(top int) int {
	for _, base := range []int{1, 10, 100, 1000, 10000, 100000} {
		for _, m := range []int{1, 2, 5} {
			if step := base * m; top <= 5*step {
				return step
			}
		}
	}
	return top
}

func buildChart(l *catalog, a *store.Alert, orgName, subject string, pts []seriesPoint) chart {
	c := chart{Width: chartLeft + len(pts)*chartSlot + 8, Height: chartTop + chartPlotH + chartBottom, Left: chartLeft,
		PlotRight: chartLeft + len(pts)*chartSlot, BaseY: chartTop + chartPlotH, LabelY: chartTop + chartPlotH + 18,
		TickX: chartLeft - 6, BarW: chartBarW}
	peak, peakDate := 0, ""
	for _, p := range pts {
		if p.N > peak {
			peak, peakDate = p.N, p.Date
		}
	}
	step := niceStep(max(peak, 1))
	top := max(step, (peak+step-1)/step*step)
	for v := 0; v <= top; v += step {
		c.Ticks = append(c.Ticks, chartTick{Y: c.BaseY - v*chartPlotH/top, Label: v})
	}
	for i, p := range pts {
		h := p.N * chartPlotH / top
		if p.N > 0 && h < 2 {
			h = 2 // a single case stays visible
		}
		b := chartBar{X: chartLeft + i*chartSlot + (chartSlot-chartBarW)/2, Y: c.BaseY - h, H: h, Date: p.Date, N: p.N,
			InWindow: p.Date >= a.FirstDate && p.Date <= a.LastDate, LabelX: chartLeft + i*chartSlot + chartSlot/2}
		if (len(pts)-1-i)%7 == 0 {
			b.Label = p.Date[5:]
		}
		if b.InWindow {
			if c.WinW == 0 {
				c.WinX = chartLeft + i*chartSlot
			}
			c.WinW += chartSlot
		}
		c.Bars = append(c.Bars, b)
	}
	if len(pts) > 0 {
		c.Title = l.F("alert.chart.title", orgName, subject, pts[0].Date, pts[len(pts)-1].Date)
	}
	c.Desc = l.F("alert.chart.desc", peak, peakDate)
	if peak == 0 {
		c.Desc = l.T("alert.chart.desc.none")
	}
	return c
}

type eventView struct {
	At, Actor, What, Note string
}

func (s *Server) eventViews(l *catalog, a *store.Alert) []eventView {
	out := make([]eventView, 0, len(a.Events))
	for _, e := range a.Events {
		v := eventView{At: l.Time(e.At.In(s.loc)), Actor: e.Actor, Note: e.Note}
		if v.Actor == "" {
			v.Actor = l.T("alert.event.system")
		}
		switch e.Kind {
		case "transition":
			v.What = l.F("alert.event.move", l.T("alert.state."+e.From), l.T("alert.state."+e.To))
			// Closing stores "conclusion: note"; show the conclusion in words.
			for _, c := range store.AlertConclusions {
				if rest, ok := strings.CutPrefix(e.Note, c+":"); ok && e.To == store.AlertClosed {
					v.Note = strings.TrimSpace(l.T("alert.conclusion."+c) + " " + strings.TrimSpace(rest))
				}
			}
		case "note":
			v.What = l.T("alert.event.note.kind")
		default:
			if key := "alert.event." + e.Kind; hasMessage(key) {
				v.What = l.T(key)
			} else {
				v.What = e.Kind
			}
		}
		out = append(out, v)
	}
	return out
}

type alertData struct {
	alertRow
	Level      string
	Source     string
	Actions    []string
	Chart      chart
	Series     []seriesPoint
	Events     []eventView
	PersonView bool
	RaisedAt   string
	AckDue     string
	CanChange  bool
	Assignees  []*domain.Account
	AssigneeID int64 // 0 when nobody is assigned
	// What a failed form posted, so nothing typed is lost.
	Form url.Values
	// Forms that apply in the alert's state.
	CanAck, CanInvestigate, CanClose bool
	Conclusions                      []string
}

func (s *Server) pageAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := alertReader(rq); err != nil {
		return err
	}
	return s.showAlert(w, r, rq, nil, nil)
}

func (s *Server) showAlert(w http.ResponseWriter, r *http.Request, rq *request, form url.Values, formErr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc := rq.scope()
	a, err := s.db.Alert(ctx, sc, id)
	if err != nil {
		return err
	}
	series, err := s.alertSeries(ctx, a)
	if err != nil {
		return err
	}
	l := catalogs[rq.lang]
	d := alertData{alertRow: s.alertRow(l, sc, a, s.ruleNames(ctx)), Level: l.T("alert.level." + a.Level), Source: l.T("alert.source." + a.Source),
		Series: series, Events: s.eventViews(l, a), PersonView: sc.PersonLevel, RaisedAt: l.Time(a.CreatedAt.In(s.loc)),
		CanChange: canChangeAlerts(rq), Form: form, Conclusions: store.AlertConclusions}
	d.Chart = buildChart(l, a, a.OrgName, d.Subject, series)
	for _, x := range strings.FieldsFunc(textOf(l, a.Actions, a.ActionsEN), func(r rune) bool { return r == '；' || r == ';' }) {
		if x = strings.TrimSpace(x); x != "" {
			d.Actions = append(d.Actions, x)
		}
	}
	if a.AssigneeID != nil {
		d.AssigneeID = *a.AssigneeID
	}
	if a.AckDueAt != nil && a.State == store.AlertOpen {
		d.AckDue = l.Time(a.AckDueAt.In(s.loc))
	}
	if d.CanChange {
		d.CanAck = a.State == store.AlertOpen
		d.CanInvestigate = a.State == store.AlertOpen || a.State == store.AlertAcknowledged
		d.CanClose = a.State != store.AlertClosed
		if d.Assignees, err = s.db.AlertAssignees(ctx, sc); err != nil {
			return err
		}
	}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	return s.render(w, r, rq, http.StatusOK, "alert", "alert.detail", d, formErr)
}

// pageAlertChange applies one of the alert page's forms: a transition
// (acknowledge, investigate, close with a conclusion), a note or an
// assignment. A refusal shows the page again with the reason and what was
// typed.
func (s *Server) pageAlertChange(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		return fieldErr("form", "too large or malformed")
	}
	f := r.PostForm
	c := store.AlertChange{To: f.Get("to"), Conclusion: f.Get("conclusion"), Note: strings.TrimSpace(f.Get("note"))}
	if v := f.Get("assignee_id"); v != "" {
		if c.AssigneeID, err = strconv.ParseInt(v, 10, 64); err != nil || c.AssigneeID <= 0 {
			return s.showAlert(w, r, rq, f, alertFormError(catalogs[rq.lang], fieldErr("assignee_id", "must be an account id")))
		}
	}
	if _, err := s.db.ChangeAlert(r.Context(), rq.scope(), id, c, displayName(rq.acc)); err != nil {
		if code := domain.ErrorCode(err); code == domain.EInternal || code == domain.ENotFound {
			return err
		}
		return s.showAlert(w, r, rq, f, alertFormError(catalogs[rq.lang], err))
	}
	return seeOther(w, r, fmt.Sprintf("/alerts/%d?notice=alert.saved", id))
}

// alertFormError says in the page's language why ChangeAlert refused a
// form: the store's messages are the API's (English) and name JSON fields.
func alertFormError(l *catalog, err error) error {
	out := &domain.Error{Code: domain.ErrorCode(err), Message: l.T("alert.err.title")}
	if out.Code == domain.EConflict {
		out.Message = l.T("alert.err.moved")
		return out
	}
	msgs := map[string]string{"to": "alert.err.nothing", "conclusion": "alert.err.conclusion", "note": "alert.err.note",
		"assignee_id": "alert.err.assignee"}
	labels := map[string]string{"to": "alert.field.to", "conclusion": "alert.conclusion", "note": "alert.note.label",
		"assignee_id": "alert.assign.label"}
	for _, fe := range domain.ErrorFields(err) {
		if key, ok := msgs[fe.Field]; ok {
			fe.Message = l.T(key)
		}
		if key, ok := labels[fe.Field]; ok {
			fe.Field = l.T(key)
		}
		out.Fields = append(out.Fields, fe)
	}
	return out
}
