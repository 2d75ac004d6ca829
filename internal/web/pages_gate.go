package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"epiguard/internal/domain"
	"epiguard/internal/pass"
	"epiguard/internal/status"
	"epiguard/internal/store"
)

// The gate pages (SPEC §3.2 gate screening): a guard looks a person up by
// pass QR or 学号/工号, sees the status with its reasons and records
// allow, deny or refer; visitors are registered with a health declaration;
// the day's log lists every scan of the guard's scope.

var _ = addMessages(map[string][2]string{
	"gate.nav":                {"门岗核验", "Gate"},
	"gate.title":              {"门岗核验", "Gate check"},
	"gate.tabs":               {"门岗功能", "Gate pages"},
	"gate.tab.check":          {"核验", "Check"},
	"gate.tab.visitors":       {"访客登记", "Visitors"},
	"gate.tab.log":            {"通行记录", "Gate log"},
	"gate.gate":               {"门岗名称", "Gate"},
	"gate.gate.hint":          {"本设备会记住门岗名称。", "This device remembers the gate name."},
	"gate.id":                 {"学号/工号", "Student/staff no."},
	"gate.id.hint":            {"输入后按回车；也可用扫码枪扫描通行码。", "Type it and press Enter, or read the pass with a handheld scanner."},
	"gate.temp":               {"体温（°C）", "Temperature (°C)"},
	"gate.lookup":             {"查询", "Look up"},
	"gate.scan":               {"扫描通行码", "Scan pass QR"},
	"gate.scan.stop":          {"关闭摄像头", "Close camera"},
	"gate.scan.title":         {"扫描通行码", "Scan a pass"},
	"gate.scan.hint":          {"将通行码对准取景框。", "Hold the pass QR code inside the frame."},
	"gate.scan.video":         {"摄像头画面", "Camera view"},
	"gate.scan.denied":        {"无法使用摄像头：请允许浏览器访问摄像头，或直接输入学号/工号。", "Cannot use the camera: allow camera access, or type the number instead."},
	"gate.scan.failed":        {"摄像头或识别程序加载失败，请直接输入学号/工号。", "The camera or the QR reader failed to start: type the number instead."},
	"gate.scan.reading":       {"正在识别……", "Reading…"},
	"gate.result":             {"核验结果", "Result"},
	"gate.hint.id":            {"证件", "Identity"},
	"gate.method.qr":          {"扫码", "Pass QR"},
	"gate.method.external_id": {"学号/工号", "Number"},
	"gate.method.visitor":     {"访客登记", "Visitor"},
	"gate.suggested":          {"建议", "suggested"},
	"gate.suggestion":         {"系统建议：%s", "Suggested: %s"},
	"gate.decide":             {"处理决定", "Decision"},
	"gate.decision":           {"决定", "Decision"},
	"gate.decision.allow":     {"放行", "Allow"},
	"gate.decision.deny":      {"禁止进入", "Deny"},
	"gate.decision.refer":     {"复核（转校医）", "Refer to the doctor"},
	"gate.recheck":            {"按体温重新判断", "Re-check with temperature"},
	"gate.note":               {"备注", "Note"},
	"gate.cancel":             {"取消，查下一位", "Cancel, next person"},
	"gate.done":               {"已记录：%s · %s", "Recorded: %s · %s"},
	"gate.done.plain":         {"已记录。", "Recorded."},
	"gate.next":               {"请核验下一位。", "Next person, please."},
	"gate.no.reasons":         {"无异常情况。", "Nothing to note."},
	"gate.forbidden":          {"只有门卫、卫生人员和管理员可以使用门岗功能。", "Only gate guards, health officers and administrators use the gate pages."},
	"gate.err.input":          {"请输入学号/工号，或扫描通行码。", "Type a student/staff number or scan a pass."},
	"gate.err.temp":           {"体温应为 %.1f 到 %.1f 之间的数字，如 36.5。", "The temperature must be a number from %.1f to %.1f, such as 36.5."},
	"gate.err.gate":           {"门岗名称最多 32 个字。", "The gate name has at most 32 characters."},
	"gate.err.decision":       {"请选择放行、禁止进入或复核。", "Choose allow, deny or refer."},
	"gate.err.notfound":       {"未找到此人，或不在您的管理范围内。", "No such person, or not within your scope."},
	"gate.err.expired":        {"通行码已过期：请对方刷新个人页面上的通行码后重新出示。", "The pass has expired: ask the person to refresh the pass on their page."},
	"gate.err.forged":         {"通行码无效（被篡改或伪造）。", "The pass is not genuine (altered or forged)."},
	"gate.err.malformed":      {"这不是有效的通行码。", "This is not a valid pass code."},
	"gate.err.used":           {"此通行码已使用过（每个通行码只能使用一次）：请对方刷新通行码。", "This pass was already used (each pass works once): ask the person to refresh it."},
	"gate.err.required":       {"必填", "required"},
	"gate.err.field":          {"%s：%s", "%s: %s"},
	"gate.visitors.title":     {"访客登记", "Visitor registration"},
	"gate.visitors.new":       {"登记访客", "Register a visitor"},
	"gate.visitor.name":       {"姓名", "Name"},
	"gate.visitor.id":         {"身份证号", "Identity number"},
	"gate.visitor.phone":      {"手机号", "Mobile"},
	"gate.visitor.host":       {"被访人", "Visiting whom"},
	"gate.visitor.purpose":    {"来访事由", "Purpose"},
	"gate.visitor.decl":       {"健康申报", "Health declaration"},
	"gate.visitor.symptoms":   {"目前有以下症状吗？", "Any of these symptoms now?"},
	"gate.visitor.risk":       {"近7天到过中高风险地区", "Visited a risk area in the last 7 days"},
	"gate.visitor.contact":    {"接触过确诊或疑似病例", "In contact with a confirmed or suspected case"},
	"gate.visitor.submit":     {"登记并记录通行", "Register and record"},
	"gate.visitor.saved":      {"访客已登记", "Visitor registered"},
	"gate.visitor.declared":   {"申报症状：%s", "Declared symptoms: %s"},
	"gate.visitor.today":      {"今日访客", "Today's visitors"},
	"gate.visitor.none":       {"今天还没有访客。", "No visitors today yet."},
	"gate.log.title":          {"通行记录", "Gate log"},
	"gate.log.date":           {"日期", "Date"},
	"gate.log.show":           {"查看", "Show"},
	"gate.log.prev":           {"前一天", "Previous day"},
	"gate.log.next":           {"后一天", "Next day"},
	"gate.log.time":           {"时间", "Time"},
	"gate.log.name":           {"姓名", "Name"},
	"gate.log.method":         {"方式", "Method"},
	"gate.log.guard":          {"门卫", "Guard"},
	"gate.log.count":          {"共 %d 条", "%d entries"},
	"gate.log.none":           {"这一天没有通行记录。", "No gate entries on this day."},
	"gate.err.date":           {"日期格式应为 YYYY-MM-DD。", "The date must be written YYYY-MM-DD."},
	"gate.decision.is":        {"决定：%s", "Decision: %s"},
	"gate.list.sep":           {"、", ", "},
})

// gateCookie remembers which gate a device stands at.
const (
	gateCookie   = "epiguard_gate"
	defaultGate  = "校门"
	maxGateRunes = 32
)

// gateDecisions are the guard's choices, in button order.
var gateDecisions = []string{domain.Allow, domain.Deny, domain.Refer}

// gateRoutes are the gate pages: lookup, scan, visitors, log.
func (s *Server) gateRoutes() []route {
	return []route{
		{"GET", "/gate", signedIn, false, s.pageGate},
		{"POST", "/gate/lookup", signedIn, false, s.pageGateLookup},
		{"POST", "/gate/scans", signedIn, false, s.pageGateRecord},
		{"GET", "/gate/visitors", signedIn, false, s.pageGateVisitors},
		{"POST", "/gate/visitors", signedIn, false, s.pageGateVisitorCreate},
		{"GET", "/gate/log", signedIn, false, s.pageGateLog},
	}
}

// gateRole refuses roles that do not work at a gate.
func gateRole(rq *request) error {
	if gateStaff.allowed(rq.acc.Role) {
		return nil
	}
	return domain.Errorf(domain.EForbidden, "%s", catalogs[rq.lang].T("gate.forbidden"))
}

// gateView is the data of the check page: the empty form, a lookup result
// with the decision buttons, or the confirmation of a recorded scan.
type gateView struct {
	Gate       string
	Temp       string // as typed, so an error does not lose it
	Token      string
	ExternalID string
	Note       string
	Result     *gateResult
	// Reasons are the person's status reasons; Alerts what the gate itself
	// found (a fever), shown apart so the status box keeps its meaning.
	Reasons   []status.Reason
	Alerts    []status.Reason
	Decisions []string
	// FocusTemp puts the cursor in the temperature field of a result
	// taken without one; otherwise the suggested decision has the focus,
	// so Enter records it.
	FocusTemp bool
	Done      *domain.GateScan
	DoneTemp  string
}

func (s *Server) gateName(r *http.Request) string {
	if c, err := r.Cookie(gateCookie); err == nil {
		if g, err := url.QueryUnescape(c.Value); err == nil {
			if g = strings.TrimSpace(g); g != "" && utf8.RuneCountInString(g) <= maxGateRunes {
				return g
			}
		}
	}
	return defaultGate
}

// rememberGate stores the gate name on the device; cookie values are
// ASCII, so it is escaped.
func (s *Server) rememberGate(w http.ResponseWriter, gate string) {
	http.SetCookie(w, &http.Cookie{Name: gateCookie, Value: url.QueryEscape(gate), Path: "/gate", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure})
}

func (s *Server) pageGate(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := gateRole(rq); err != nil {
		return err
	}
	v := gateView{Gate: s.gateName(r)}
	if id, _ := strconv.ParseInt(r.URL.Query().Get("done"), 10, 64); id > 0 {
		v.Done = &domain.GateScan{ID: id} // shown as a plain "recorded" if not found below
		if log, err := s.db.GateLog(r.Context(), rq.scope(), s.today(), s.loc, 200); err == nil {
			for _, g := range log {
				if g.ID == id {
					v.Done = g
					if g.TemperatureC != nil {
						v.DoneTemp = fmt.Sprintf("%.1f", *g.TemperatureC)
					}
				}
			}
		}
	}
	return s.render(w, r, rq, http.StatusOK, "gate", "gate.title", v, nil)
}

// gateForm reads the check form. A token typed into the number field (a
// handheld scanner is a keyboard) counts as a token.
func (s *Server) gateForm(r *http.Request, rq *request) (gateInput, gateView, error) {
	l := catalogs[rq.lang]
	in := gateInput{Gate: strings.TrimSpace(r.PostFormValue("gate")), Token: strings.TrimSpace(r.PostFormValue("token")),
		ExternalID: strings.TrimSpace(r.PostFormValue("external_id")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	v := gateView{Temp: strings.TrimSpace(r.PostFormValue("temperature_c")), Note: in.Note}
	if in.Gate == "" {
		in.Gate = s.gateName(r)
	}
	v.Gate = in.Gate
	if in.Token == "" && strings.HasPrefix(in.ExternalID, "P1.") {
		in.Token = in.ExternalID
	}
	if in.Token != "" {
		in.ExternalID = ""
	}
	v.Token, v.ExternalID = in.Token, in.ExternalID
	var val domain.Validation
	if utf8.RuneCountInString(in.Gate) > maxGateRunes {
		val.Add(l.T("gate.gate"), "%s", l.T("gate.err.gate"))
	}
	if in.Token == "" && in.ExternalID == "" {
		val.Add(l.T("gate.id"), "%s", l.T("gate.err.input"))
	}
	t, err := parseTemp(v.Temp, l)
	if err != nil {
		val.Add(l.T("gate.temp"), "%s", err.Error())
	}
	in.TemperatureC = t
	if utf8.RuneCountInString(in.Note) > 200 {
		in.Note = string([]rune(in.Note)[:200])
	}
	return in, v, val.Err()
}

// parseTemp reads an optional temperature; the error text is translated.
func parseTemp(text string, l *catalog) (*float64, error) {
	text = strings.NewReplacer("，", ".", ",", ".", "。", ".").Replace(strings.TrimSpace(text))
	if text == "" {
		return nil, nil
	}
	t, err := strconv.ParseFloat(text, 64)
	if err != nil || t < domain.MinTempC || t > domain.MaxTempC {
		return nil, errors.New(l.F("gate.err.temp", domain.MinTempC, domain.MaxTempC))
	}
	return &t, nil
}

// passProblem checks a pass token before anything else, so the guard reads
// why it is refused in the page's language.
func (s *Server) passProblem(token string, l *catalog) error {
	if token == "" {
		return nil
	}
	_, err := s.passes.Verify(token)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pass.ErrExpired):
		return domain.Errorf(domain.EInvalid, "%s", l.T("gate.err.expired"))
	case errors.Is(err, pass.ErrForged):
		return domain.Errorf(domain.EInvalid, "%s", l.T("gate.err.forged"))
	}
	return domain.Errorf(domain.EInvalid, "%s", l.T("gate.err.malformed"))
}

// gateError turns what gateScan refuses into a message for the guard.
func gateError(err error, l *catalog) error {
	switch {
	case errors.Is(err, store.ErrPassUsed):
		return domain.Errorf(domain.EConflict, "%s", l.T("gate.err.used"))
	case domain.ErrorCode(err) == domain.ENotFound:
		return domain.Errorf(domain.ENotFound, "%s", l.T("gate.err.notfound"))
	}
	return localFields(err, l, gateFieldLabels)
}

var gateFieldLabels = map[string]string{
	"gate": "gate.gate", "token": "gate.scan.title", "external_id": "gate.id", "temperature_c": "gate.temp", "decision": "gate.decision",
	"name": "gate.visitor.name", "id_number": "gate.visitor.id", "phone": "gate.visitor.phone", "host": "gate.visitor.host",
	"purpose": "gate.visitor.purpose", "declaration.symptoms": "gate.visitor.symptoms", "org_id": "gate.gate",
}

// localFields names the fields of a validation error by their labels and
// translates "required"; other detail stays as the domain wrote it.
func localFields(err error, l *catalog, labels map[string]string) error {
	fields := domain.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	out := &domain.Error{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err)}
	if out.Message == "invalid input" {
		out.Message = l.T("error.400")
	}
	for _, f := range fields {
		if key, ok := labels[f.Field]; ok {
			f.Input, f.Field = f.Field, l.T(key)
		}
		if f.Message == "required" || strings.HasPrefix(f.Message, "required:") {
			f.Message = l.T("gate.err.required")
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

// showGate renders the check page: the result if there is one, else the
// empty form (keeping gate and temperature), with err if any.
func (s *Server) showGate(w http.ResponseWriter, r *http.Request, rq *request, v gateView, err error) error {
	if v.Result == nil {
		v.Token, v.ExternalID = "", ""
	} else {
		v.Reasons, v.Alerts = nil, nil
		for _, rs := range v.Result.Reasons {
			if strings.HasPrefix(rs.Code, "gate_") {
				v.Alerts = append(v.Alerts, rs)
			} else {
				v.Reasons = append(v.Reasons, rs)
			}
		}
	}
	v.Decisions = gateDecisions
	if err != nil {
		err = localFields(err, catalogs[rq.lang], gateFieldLabels)
	}
	return s.render(w, r, rq, http.StatusOK, "gate", "gate.title", v, err)
}

// pageGateLookup shows who stands at the gate. It records nothing, so a
// pass token stays unused until the guard decides.
func (s *Server) pageGateLookup(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := gateRole(rq); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	l := catalogs[rq.lang]
	in, v, err := s.gateForm(r, rq)
	if err != nil {
		return s.showGate(w, r, rq, v, err)
	}
	s.rememberGate(w, in.Gate)
	if err := s.passProblem(in.Token, l); err != nil {
		return s.showGate(w, r, rq, v, err)
	}
	res, err := s.gateScan(r, rq, in, false)
	if err != nil {
		return s.showGate(w, r, rq, v, gateError(err, l))
	}
	v.Result = res
	v.FocusTemp = in.TemperatureC == nil && r.PostFormValue("rechecked") == ""
	return s.showGate(w, r, rq, v, nil)
}

// pageGateRecord records the guard's decision; a pass token is consumed
// here, and a second use is refused.
func (s *Server) pageGateRecord(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := gateRole(rq); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	l := catalogs[rq.lang]
	in, v, err := s.gateForm(r, rq)
	in.Decision = r.PostFormValue("decision")
	if err == nil && !domain.ValidDecision(in.Decision) {
		err = fieldErr(l.T("gate.decision"), "%s", l.T("gate.err.decision"))
	}
	if err != nil {
		// Show the person again, without the faulty temperature, so the
		// guard can correct it and decide.
		retry := in
		retry.TemperatureC, retry.Decision = nil, ""
		if s.passProblem(retry.Token, l) == nil && (retry.Token != "" || retry.ExternalID != "") {
			if res, lerr := s.gateScan(r, rq, retry, false); lerr == nil {
				v.Result = res
			}
		}
		return s.showGate(w, r, rq, v, err)
	}
	s.rememberGate(w, in.Gate)
	if err := s.passProblem(in.Token, l); err != nil {
		return s.showGate(w, r, rq, v, err)
	}
	res, err := s.gateScan(r, rq, in, true)
	if err != nil {
		return s.showGate(w, r, rq, v, gateError(err, l))
	}
	return seeOther(w, r, fmt.Sprintf("/gate?done=%d", res.ID))
}

// visitorView is the data of the visitor page.
type visitorView struct {
	Gate     string
	Symptoms []string
	Form     visitorForm
	Saved    *visitorSaved
	Today    []gateLogRow
}

type visitorForm struct {
	Name, IDNumber, Phone, Host, Purpose, Temp string
	Symptoms                                   map[string]bool
	RiskAreaTravel, CaseContact                bool
}

// visitorSaved confirms a registration: masked numbers only.
type visitorSaved struct {
	Visitor  *domain.VisitorEntry
	Decision string
	Level    string
	Colour   string // of the decision: allow green, refer yellow, deny red
	Reasons  []string
	Temp     string
}

// decisionColour is the status colour that goes with a decision.
var decisionColour = map[string]string{domain.Allow: "green", domain.Refer: "yellow", domain.Deny: "red"}

func (s *Server) pageGateVisitors(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := gateRole(rq); err != nil {
		return err
	}
	return s.showVisitors(w, r, rq, visitorView{Gate: s.gateName(r)}, nil)
}

func (s *Server) showVisitors(w http.ResponseWriter, r *http.Request, rq *request, v visitorView, formErr error) error {
	v.Symptoms = domain.Symptoms
	if v.Form.Symptoms == nil {
		v.Form.Symptoms = map[string]bool{}
	}
	log, err := s.db.GateLog(r.Context(), rq.scope(), s.today(), s.loc, 200)
	if err != nil {
		return err
	}
	for _, g := range log {
		if g.VisitorID != nil {
			v.Today = append(v.Today, s.logRow(g))
		}
	}
	return s.render(w, r, rq, http.StatusOK, "gate_visitors", "gate.visitors.title", v, formErr)
}

// pageGateVisitorCreate registers a visitor and records their entry at the
// gate, with the decision a yellow status would get when the declaration
// names symptoms, risk-area travel or contact with a case.
func (s *Server) pageGateVisitorCreate(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := gateRole(rq); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	l := catalogs[rq.lang]
	f := visitorForm{Name: strings.TrimSpace(r.PostFormValue("name")), IDNumber: strings.TrimSpace(r.PostFormValue("id_number")),
		Phone: strings.TrimSpace(r.PostFormValue("phone")), Host: strings.TrimSpace(r.PostFormValue("host")),
		Purpose: strings.TrimSpace(r.PostFormValue("purpose")), Temp: strings.TrimSpace(r.PostFormValue("temperature_c")),
		Symptoms: map[string]bool{}, RiskAreaTravel: r.PostFormValue("risk_area_travel") == "1", CaseContact: r.PostFormValue("case_contact") == "1"}
	gate := strings.TrimSpace(r.PostFormValue("gate"))
	if gate == "" {
		gate = s.gateName(r)
	}
	v := visitorView{Gate: gate, Form: f}
	e := &domain.VisitorEntry{OrgID: rq.acc.OrgID, Name: f.Name, IDNumber: f.IDNumber, Phone: f.Phone, Host: f.Host, Purpose: f.Purpose,
		Declaration: domain.HealthDeclaration{Symptoms: r.PostForm["symptoms"], RiskAreaTravel: f.RiskAreaTravel, CaseContact: f.CaseContact},
		CreatedBy:   rq.acc.Username}
	for _, c := range e.Declaration.Symptoms {
		f.Symptoms[c] = true
	}
	v.Form.Symptoms = f.Symptoms
	var val domain.Validation
	if err := e.Validate(); err != nil {
		val.Fields = append(val.Fields, domain.ErrorFields(err)...)
	}
	temp, terr := parseTemp(f.Temp, l)
	if terr != nil {
		val.Fields = append(val.Fields, domain.FieldError{Field: "temperature_c", Message: terr.Error()})
	}
	if utf8.RuneCountInString(gate) > maxGateRunes {
		val.Fields = append(val.Fields, domain.FieldError{Field: "gate", Message: l.T("gate.err.gate")})
	}
	if err := val.Err(); err != nil {
		return s.showVisitors(w, r, rq, v, localFields(err, l, gateFieldLabels))
	}
	if err := s.db.CreateVisitor(r.Context(), rq.scope(), e); err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showVisitors(w, r, rq, v, localFields(err, l, gateFieldLabels))
	}
	s.rememberGate(w, gate)
	level, reasons := s.declarationStatus(e.Declaration, temp, l)
	scan := &domain.GateScan{OrgID: rq.acc.OrgID, Gate: gate, VisitorID: &e.ID, Method: "visitor", TemperatureC: temp,
		Decision: domain.GateDecision(string(level), temp, s.thresholds), Status: string(level), Guard: rq.acc.Username}
	if err := s.db.RecordGateScan(r.Context(), scan, "", time.Time{}); err != nil {
		return err
	}
	saved := &visitorSaved{Visitor: e, Decision: scan.Decision, Level: string(level), Colour: decisionColour[scan.Decision], Reasons: reasons}
	if temp != nil {
		saved.Temp = fmt.Sprintf("%.1f", *temp)
	}
	return s.showVisitors(w, r, rq, visitorView{Gate: gate, Saved: saved}, nil)
}

// declarationStatus is the visitor's equivalent of a status: yellow when
// the declaration names symptoms, risk-area travel or contact with a case.
func (s *Server) declarationStatus(d domain.HealthDeclaration, temp *float64, l *catalog) (status.Level, []string) {
	level := status.Green
	var reasons []string
	if len(d.Symptoms) > 0 {
		names := make([]string, len(d.Symptoms))
		for i, c := range d.Symptoms {
			names[i] = l.T("sym." + c)
		}
		reasons = append(reasons, l.F("gate.visitor.declared", strings.Join(names, l.T("gate.list.sep"))))
	}
	if d.RiskAreaTravel {
		reasons = append(reasons, l.T("gate.visitor.risk"))
	}
	if d.CaseContact {
		reasons = append(reasons, l.T("gate.visitor.contact"))
	}
	if len(reasons) > 0 {
		level = status.Yellow
	}
	if temp != nil && *temp >= s.thresholds.FeverC-1e-9 {
		reasons = append(reasons, l.F("gate.fever", *temp))
	}
	return level, reasons
}

// gateLogRow is one line of the gate log as shown.
type gateLogRow struct {
	Time, Gate, Name, Method, Temp, Decision, Guard, Status string
}

func (s *Server) logRow(g *domain.GateScan) gateLogRow {
	row := gateLogRow{Time: g.At.In(s.loc).Format("15:04:05"), Gate: g.Gate, Name: g.Name, Method: g.Method,
		Decision: g.Decision, Guard: g.Guard, Status: g.Status}
	if g.TemperatureC != nil {
		row.Temp = fmt.Sprintf("%.1f", *g.TemperatureC)
	}
	return row
}

type gateLogView struct {
	Date, Prev, Next string
	Rows             []gateLogRow
}

func (s *Server) pageGateLog(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := gateRole(rq); err != nil {
		return err
	}
	l := catalogs[rq.lang]
	date := strings.TrimSpace(r.URL.Query().Get("date"))
	if date == "" {
		date = s.today()
	}
	v := gateLogView{Date: date}
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		v.Date = s.today()
		return s.render(w, r, rq, http.StatusOK, "gate_log", "gate.log.title", v,
			fieldErr(l.T("gate.log.date"), "%s", l.T("gate.err.date")))
	}
	v.Prev = day.AddDate(0, 0, -1).Format(time.DateOnly)
	if next := day.AddDate(0, 0, 1).Format(time.DateOnly); next <= s.today() {
		v.Next = next
	}
	log, err := s.db.GateLog(r.Context(), rq.scope(), date, s.loc, 1000)
	if err != nil {
		return err
	}
	for _, g := range log {
		v.Rows = append(v.Rows, s.logRow(g))
	}
	return s.render(w, r, rq, http.StatusOK, "gate_log", "gate.log.title", v, nil)
}
