package web

import (
	"fmt"
	"net/http"
	"strings"

	"epiguard/internal/domain"
	"epiguard/internal/status"
)

var _ = addMessages(map[string][2]string{
	"nav.rules":        {"状态规则", "Status rules"},
	"rules.title":      {"健康状态规则", "Health status rules"},
	"rules.version":    {"当前版本 %d", "Version %d in force"},
	"rules.hint":       {"每条规则是一个基于下列事实的表达式（expr 语法，如 temperature >= 37.3 && \"cough\" in symptoms）。命中任一规则即取最严重的等级，所有命中的规则都作为原因显示。提示语中可用 {{事实名}} 插入数值。保存前会校验，每次保存生成新版本。", "Each rule is an expression over the facts below (expr syntax, e.g. temperature >= 37.3 && \"cough\" in symptoms). The worst level of the matching rules wins and every match is shown as a reason. Messages may insert values with {{fact}}. Rules are validated on save; every save is a new version."},
	"rules.code":       {"代码", "Code"},
	"rules.level":      {"等级", "Level"},
	"rules.when":       {"条件表达式", "Condition"},
	"rules.message_zh": {"提示（中文）", "Message (Chinese)"},
	"rules.message_en": {"提示（英文）", "Message (English)"},
	"rules.source":     {"依据", "Source"},
	"rules.delete":     {"删除此规则", "Delete this rule"},
	"rules.new":        {"新规则（留空则忽略）", "New rule (ignored when empty)"},
	"rules.facts":      {"可用事实", "Facts"},
	"rules.fact":       {"事实", "Fact"},
	"rules.type":       {"类型", "Type"},
	"rules.meaning":    {"含义", "Meaning"},
	"rules.saved":      {"规则已保存为新版本：一两分钟内所有人的健康状态将按新规则重新计算，之后的打卡也按新规则计算。", "Saved as a new version: everyone's status is recomputed with it within a minute or two, and every record from now on."},
	"rules.rule":       {"规则 %d", "Rule %d"},
})

type rulesData struct {
	Rules  status.RuleSet
	Facts  []status.FactDoc
	Levels []status.Level
}

func (s *Server) pageRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	rs, err := s.db.StatusRules(r.Context())
	if err != nil {
		return err
	}
	return s.showRules(w, r, rq, rs, nil)
}

func (s *Server) showRules(w http.ResponseWriter, r *http.Request, rq *request, rs status.RuleSet, formErr error) error {
	return s.render(w, r, rq, http.StatusOK, "rules", "rules.title", rulesData{rs, status.FactDocs, []status.Level{status.Yellow, status.Red}}, formErr)
}

// pageRulesSubmit saves the rule table of the form: one row per rule,
// rows marked for deletion and empty rows left out.
func (s *Server) pageRulesSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := r.ParseForm(); err != nil {
		return fieldErr("body", "malformed form")
	}
	f := r.PostForm
	var rs status.RuleSet
	for i := range f["code"] {
		get := func(k string) string {
			if v := f[k]; i < len(v) {
				return strings.TrimSpace(v[i])
			}
			return ""
		}
		if get("code") == "" && get("when") == "" {
			continue
		}
		if f.Get(fmt.Sprintf("delete_%d", i)) == "1" {
			continue
		}
		rs.Rules = append(rs.Rules, status.Rule{Code: get("code"), Level: status.Level(get("level")), When: get("when"),
			MessageZH: get("message_zh"), MessageEN: get("message_en"), Source: get("source")})
	}
	saved, err := s.db.SaveStatusRules(r.Context(), rq.scope(), rs, rq.acc.Username)
	if err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showRules(w, r, rq, rs, err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: "status_rules", Detail: fmt.Sprintf("saved version %d", saved.Version)})
	return seeOther(w, r, "/rules?notice=rules.saved")
}

func (s *Server) apiRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	rs, err := s.db.StatusRules(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": rs.Version, "rules": rs.Rules, "facts": status.FactDocs})
	return nil
}

func (s *Server) apiSaveRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Rules []status.Rule `json:"rules"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	saved, err := s.db.SaveStatusRules(r.Context(), rq.scope(), status.RuleSet{Rules: in.Rules}, rq.acc.Username)
	if err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: "status_rules", Detail: fmt.Sprintf("saved version %d", saved.Version)})
	writeJSON(w, http.StatusOK, saved)
	return nil
}
