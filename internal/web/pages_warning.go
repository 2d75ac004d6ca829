package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/cluster"
	"epiguard/internal/domain"
)

// The early-warning settings: the cluster rules of SPEC §5.2 (one set for
// the installation, versioned) and each school's calendar. Both are
// edited as the JSON their packages document, validated on save with
// field-specific messages, beside a readable table of what holds.

func (s *Server) warningRoutes() []route {
	return []route{
		{"GET", "/api/v1/cluster-rules", signedIn, true, s.apiClusterRules},
		{"PUT", "/api/v1/cluster-rules", adminOnly, true, s.apiSaveClusterRules},
		{"GET", "/api/v1/orgs/{id}/calendar", signedIn, true, s.apiCalendar},
		{"PUT", "/api/v1/orgs/{id}/calendar", adminOnly, true, s.apiSaveCalendar},
		{"GET", "/cluster-rules", signedIn, false, s.pageClusterRules},
		{"POST", "/cluster-rules", adminOnly, false, s.pageSaveClusterRules},
		{"GET", "/orgs/{id}/calendar", signedIn, false, s.pageCalendar},
		{"POST", "/orgs/{id}/calendar", adminOnly, false, s.pageSaveCalendar},
	}
}

var _ = addMessages(map[string][2]string{
	"crules.nav":           {"预警规则", "Cluster rules"},
	"crules.title":         {"聚集性疫情预警规则", "Cluster rules"},
	"crules.version":       {"当前版本 %d", "Version %d in force"},
	"crules.defaults":      {"（出厂默认规则）", "(the shipped defaults)"},
	"crules.hint":          {"每条规则：统计的症候群或病种、适用的单位类型、时间窗（上学日、自然日或本学期）、阈值（人数、当日新增或占比），触发后的级别、报告时限、建议措施和依据。以 JSON 编辑，保存前逐项校验，每次保存生成新版本并立即生效。", "Each rule: the syndrome or disease it counts, the unit kinds, the window (school days, calendar days or the term), the threshold (people, new today, or a share), and the level, report deadline, actions and source of what it raises. Edited as JSON, validated field by field on save; every save is a new version, in force at once."},
	"crules.code":          {"代码", "Code"},
	"crules.name":          {"名称", "Name"},
	"crules.counts":        {"统计", "Counts"},
	"crules.kinds":         {"单位", "Units"},
	"crules.window":        {"时间窗", "Window"},
	"crules.threshold":     {"阈值", "Threshold"},
	"crules.level":         {"级别", "Level"},
	"crules.deadline":      {"报告时限", "Report within"},
	"crules.source":        {"依据", "Source"},
	"crules.enabled":       {"启用", "On"},
	"crules.edit":          {"编辑规则（JSON）", "Edit the rules (JSON)"},
	"crules.saved":         {"规则已保存为新版本。", "Saved as a new version."},
	"crules.reset":         {"恢复出厂默认规则", "Restore the shipped defaults"},
	"cal.title":            {"校历", "School calendar"},
	"cal.source.own":       {"本单位的校历。", "This unit's own calendar."},
	"cal.source.inherited": {"沿用上级单位的校历。保存后本单位将使用自己的校历。", "Inherited from a unit above; saving gives this unit its own."},
	"cal.source.default":   {"尚未设置校历，使用全国默认校历（学期、法定节假日及调休）。", "No calendar set: the national default (terms, public holidays and make-up days) holds."},
	"cal.source.every_day": {"社区类单位每天都计入统计，无需校历。", "Community units count every day; no school calendar applies."},
	"cal.hint":             {"学期（terms）、周末（weekend）、节假日（holidays）、调休上课日（makeup_days）和停课日（closures）。日期格式 YYYY-MM-DD。预警规则与统计预警只计上学日。", "Terms, weekend, holidays, make-up school days (makeup_days) and closures. Dates are YYYY-MM-DD. Cluster rules and detectors count school days only."},
	"cal.next":             {"今后 21 天", "The next 21 days"},
	"cal.date":             {"日期", "Date"},
	"cal.day":              {"是否上学", "School day"},
	"cal.why":              {"说明", "Why"},
	"cal.edit":             {"编辑校历（JSON）", "Edit the calendar (JSON)"},
	"cal.saved":            {"校历已保存。", "Calendar saved."},
	"cal.terms":            {"学期", "Terms"},
	"cal.holidays":         {"节假日", "Holidays"},
	"cal.makeup":           {"调休上课", "Make-up school days"},
	"cal.kind.open":        {"每天计入", "Every day counts"},
	"cal.kind.closure":     {"停课", "Closed"},
	"cal.kind.holiday":     {"节假日", "Holiday"},
	"cal.kind.break":       {"假期（学期外）", "Break (between terms)"},
	"cal.kind.makeup":      {"调休上课", "Make-up school day"},
	"cal.kind.weekend":     {"周末", "Weekend"},
	"cal.kind.school":      {"上学日", "School day"},
})

func (s *Server) apiClusterRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	rules, version, err := s.alerts.Rules(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": version, "rules": rules, "diseases": cluster.Diseases(), "levels": cluster.Levels()})
	return nil
}

func (s *Server) apiSaveClusterRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Rules []cluster.Rule `json:"rules"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.saveClusterRules(r, rq, in.Rules)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": v, "rules": in.Rules})
	return nil
}

func (s *Server) saveClusterRules(r *http.Request, rq *request, rules []cluster.Rule) (int, error) {
	if rules == nil {
		return 0, fieldErr("rules", "required: a list of rules")
	}
	v, err := s.alerts.SaveRules(r.Context(), rq.scope(), rules, rq.acc.Username)
	if err != nil {
		return 0, err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: "cluster_rules", Detail: fmt.Sprintf("saved version %d", v)})
	return v, nil
}

type clusterRulesData struct {
	Version  int
	Defaults bool
	Rules    []cluster.Rule
	JSON     string
	CanEdit  bool
}

func (s *Server) pageClusterRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	rules, version, err := s.alerts.Rules(r.Context())
	if err != nil {
		return err
	}
	doc, _ := json.MarshalIndent(rules, "", "  ")
	return s.render(w, r, rq, http.StatusOK, "cluster_rules", "crules.title",
		clusterRulesData{version, version == 1, rules, string(doc), rq.acc.Role == domain.RoleAdmin}, nil)
}

// pageSaveClusterRules saves the rules typed into the form's JSON editor;
// on a mistake the page comes back with the text as typed and the
// messages.
func (s *Server) pageSaveClusterRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := r.ParseForm(); err != nil {
		return fieldErr("body", "malformed form")
	}
	text := r.PostForm.Get("rules")
	if r.PostForm.Get("reset") == "1" {
		doc, _ := json.Marshal(cluster.DefaultRules())
		text = string(doc)
	}
	var rules []cluster.Rule
	err := strictJSON(text, "rules", &rules)
	if err == nil {
		_, err = s.saveClusterRules(r, rq, rules)
	}
	if err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		current, version, rerr := s.alerts.Rules(r.Context())
		if rerr != nil {
			return rerr
		}
		return s.render(w, r, rq, http.StatusUnprocessableEntity, "cluster_rules", "crules.title",
			clusterRulesData{version, version == 1, current, text, true}, err)
	}
	return seeOther(w, r, "/cluster-rules?notice=crules.saved")
}

// strictJSON decodes a form field's JSON, refusing unknown fields, with
// the error named after the field.
func strictJSON(text, field string, v any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fieldErr(field, "not valid JSON: %s", err.Error())
	}
	return nil
}

func (s *Server) apiCalendar(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.db.Org(r.Context(), rq.scope(), id); err != nil {
		return err
	}
	uc, err := s.alerts.CalendarFor(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"org_id": id, "source": uc.Source, "from_org_id": uc.FromOrgID, "calendar": uc.Calendar})
	return nil
}

func (s *Server) apiSaveCalendar(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var c calendar.Calendar
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	if err := s.saveCalendar(r, rq, id, &c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"org_id": id, "source": "own", "calendar": c})
	return nil
}

func (s *Server) saveCalendar(r *http.Request, rq *request, id int64, c *calendar.Calendar) error {
	if err := s.alerts.SaveCalendar(r.Context(), rq.scope(), id, c, rq.acc.Username); err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", id), Detail: "saved the school calendar"})
	return nil
}

type calendarData struct {
	Org     *domain.Org
	Source  string
	Cal     *calendar.Calendar
	Days    []calendar.DayInfo
	JSON    string
	CanEdit bool
}

func (s *Server) pageCalendar(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showCalendar(w, r, rq, "", http.StatusOK, nil)
}

func (s *Server) showCalendar(w http.ResponseWriter, r *http.Request, rq *request, text string, status int, formErr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	org, err := s.db.Org(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	uc, err := s.alerts.CalendarFor(r.Context(), id)
	if err != nil {
		return err
	}
	if text == "" {
		doc, _ := json.MarshalIndent(uc.Calendar, "", "  ")
		text = string(doc)
	}
	d := calendarData{Org: org, Source: uc.Source, Cal: uc.Calendar, JSON: text, CanEdit: rq.acc.Role == domain.RoleAdmin}
	day := s.now().In(s.loc)
	for i := range 21 {
		if info, err := uc.Calendar.Describe(day.AddDate(0, 0, i).Format(time.DateOnly)); err == nil {
			d.Days = append(d.Days, info)
		}
	}
	return s.render(w, r, rq, status, "calendar", "cal.title", d, formErr)
}

func (s *Server) pageSaveCalendar(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return fieldErr("body", "malformed form")
	}
	text := r.PostForm.Get("calendar")
	var c calendar.Calendar
	err = strictJSON(text, "calendar", &c)
	if err == nil {
		err = s.saveCalendar(r, rq, id, &c)
	}
	if err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showCalendar(w, r, rq, text, http.StatusUnprocessableEntity, err)
	}
	return seeOther(w, r, fmt.Sprintf("/orgs/%d/calendar?notice=cal.saved", id))
}
