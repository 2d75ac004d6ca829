package web

// The illness absence pages (因病缺勤, SPEC §3.2): the list of a unit's
// absences, registration, and an absence's page with its follow-ups,
// return and certificate. Their routes are with the roll's (rollRoutes).

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"epiguard/internal/domain"
	"epiguard/internal/status"
	"epiguard/internal/store"
)

// absenceRow is one line of the absence list.
type absenceRow struct {
	*domain.Absence
	DiagnosisName string
	State         string // open, cert (returned, certificate missing), closed
}

func absenceState(a *domain.Absence, today string) string {
	switch {
	case a.ReturnDate == "" || a.ReturnDate > today:
		return "open"
	case a.CertificateRequired && a.CertificateReceived == "":
		return "cert"
	}
	return "closed"
}

// diagnosisName shows a diagnosis by its disease name when it is one of
// the return rules' diseases.
func diagnosisName(l *catalog, d string) string {
	if d == "" {
		return l.T("absence.diagnosis.unknown")
	}
	if rule, ok := status.FindReturnRule(d); ok {
		if l.lang == langEN {
			return rule.NameEN
		}
		return rule.NameZH
	}
	return d
}

type absencesData struct {
	Rows []absenceRow
	Org  *domain.Org
	Open bool
}

func (s *Server) pageAbsences(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := rollStaff(rq); err != nil {
		return err
	}
	q := r.URL.Query()
	orgID, err := queryID(q, "org")
	if err != nil {
		return err
	}
	sc := rq.scope()
	d := absencesData{Open: q.Get("open") == "1"}
	if orgID != 0 {
		if d.Org, err = s.db.Org(r.Context(), sc, orgID); err != nil {
			return err
		}
	}
	list, err := s.db.Absences(r.Context(), sc, store.AbsenceQuery{OrgID: orgID, OpenOnly: d.Open, Limit: 500})
	if err != nil {
		return err
	}
	l, today := catalogs[rq.lang], s.today()
	for _, a := range list {
		d.Rows = append(d.Rows, absenceRow{Absence: a, DiagnosisName: diagnosisName(l, a.Diagnosis), State: absenceState(a, today)})
	}
	return s.render(w, r, rq, http.StatusOK, "absences", "absence.title", d, nil)
}

// diagnosisChoice is an option of the diagnosis select.
type diagnosisChoice struct {
	Code, Name string
}

func diagnosisChoices(l *catalog) []diagnosisChoice {
	out := make([]diagnosisChoice, 0, len(status.ReturnRules))
	for _, r := range status.ReturnRules {
		name := r.NameZH
		if l.lang == langEN {
			name = r.NameEN
		}
		out = append(out, diagnosisChoice{r.Code, name})
	}
	return out
}

// diagnosisForm reads the diagnosis select and its "other" text.
func diagnosisForm(form url.Values) string {
	if c := form.Get("diagnosis"); c != "other" {
		return c
	}
	return strings.TrimSpace(form.Get("diagnosis_other"))
}

// splitDiagnosis is the inverse of diagnosisForm, for prefilling.
func splitDiagnosis(d string) (code, other string) {
	if d == "" {
		return "", ""
	}
	if rule, ok := status.FindReturnRule(d); ok {
		return rule.Code, ""
	}
	return "other", d
}

type absenceFormData struct {
	ExternalID string
	PersonName string
	StartDate  string
	OnsetDate  string
	Symptoms   map[string]bool
	SawDoctor  bool
	Hospital   string
	DiagCode   string
	DiagOther  string
	Note       string
	Today      string
	All        []string
	Choices    []diagnosisChoice
}

func (s *Server) pageNewAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := rollStaff(rq); err != nil {
		return err
	}
	d := absenceFormData{StartDate: s.today(), Symptoms: map[string]bool{}}
	pid, err := queryID(r.URL.Query(), "person")
	if err != nil {
		return err
	}
	if pid != 0 {
		p, err := s.db.Person(r.Context(), rq.scope(), pid, false)
		if err != nil {
			return err
		}
		d.ExternalID, d.PersonName = p.ExternalID, p.Name
	}
	return s.showNewAbsence(w, r, rq, d, nil)
}

func (s *Server) showNewAbsence(w http.ResponseWriter, r *http.Request, rq *request, d absenceFormData, formErr error) error {
	d.Today, d.All, d.Choices = s.today(), domain.Symptoms, diagnosisChoices(catalogs[rq.lang])
	return s.render(w, r, rq, http.StatusOK, "absence_new", "absence.new", d, absenceFormError(catalogs[rq.lang], formErr))
}

var _ = addMessages(map[string][2]string{
	"absence.err":          {"请检查以下填写的内容：", "Please check what you entered:"},
	"absence.err.person":   {"找不到这个学号或工号，或此人不在您的管理范围内。", "No one with this number in your scope."},
	"absence.err.date":     {"请填写不晚于今天的日期（年-月-日）。", "Enter a date no later than today (YYYY-MM-DD)."},
	"absence.err.onset":    {"发病日期不能晚于今天，也不能晚于缺勤开始的日期。", "The illness cannot start after today or after the first day of absence."},
	"absence.err.start":    {"请填写缺勤开始的日期（年-月-日）。", "Enter the first day of absence (YYYY-MM-DD)."},
	"absence.err.return":   {"请填写不早于缺勤开始日期的返校日期（年-月-日）。", "Enter a return date (YYYY-MM-DD) no earlier than the first day of absence."},
	"absence.err.symptoms": {"请从列表中选择症状。", "Choose the symptoms from the list."},
	"absence.err.outcome":  {"请从列表中选择转归。", "Choose the outcome from the list."},
	"absence.err.long":     {"内容过长，请简短一些。", "Too long: please shorten it."},
	"absence.err.open":     {"此人已有覆盖这一天的因病缺勤登记：请在那条登记中添加随访，不要重复登记。", "This person already has an illness absence covering that day: add a follow-up to it instead of registering it again."},
})

// absenceFields name, for each field of the absence forms, its label and
// what a valid value is, as message keys: the store's messages are the
// API's English.
var absenceFields = map[string][2]string{
	"external_id":          {"person.external_id", "absence.err.person"},
	"person_id":            {"absence.person", "absence.err.person"},
	"start_date":           {"absence.start", "absence.err.start"},
	"onset_date":           {"absence.onset", "absence.err.onset"},
	"return_date":          {"absence.return", "absence.err.return"},
	"certificate_received": {"absence.cert.received", "absence.err.date"},
	"symptoms":             {"absence.symptoms", "absence.err.symptoms"},
	"outcome":              {"absence.outcome", "absence.err.outcome"},
	"hospital":             {"absence.hospital", "absence.err.long"},
	"diagnosis":            {"absence.diagnosis", "absence.err.long"},
	"note":                 {"absence.note", "absence.err.long"},
	"followup":             {"absence.followup.result", "absence.err.long"},
}

// absenceFormError says an error of the absence forms in the page's
// language; errors that are not the user's pass unchanged.
func absenceFormError(l *catalog, err error) error {
	switch domain.ErrorCode(err) {
	case domain.EConflict:
		return &domain.Error{Code: domain.EConflict, Message: l.T("absence.err.open")}
	case domain.EInvalid:
	default:
		return err
	}
	out := &domain.Error{Code: domain.EInvalid, Message: l.T("absence.err")}
	for _, f := range domain.ErrorFields(err) {
		if k, ok := absenceFields[f.Field]; ok {
			input := f.Field
			switch input {
			case "person_id":
				input = "external_id" // the form names the person by number
			case "diagnosis":
				input = "diagnosis_other" // only the free text can be wrong
			}
			f = domain.FieldError{Field: l.T(k[0]), Message: l.T(k[1]), Input: input}
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

func (s *Server) pageCreateAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := staffForm(w, r, rq, 1<<16); err != nil {
		return err
	}
	f := r.PostForm
	d := absenceFormData{ExternalID: strings.TrimSpace(f.Get("external_id")), StartDate: f.Get("start_date"), OnsetDate: f.Get("onset_date"),
		Symptoms: map[string]bool{}, SawDoctor: f.Get("saw_doctor") == "1", Hospital: f.Get("hospital"), Note: f.Get("note")}
	d.DiagCode, d.DiagOther = f.Get("diagnosis"), f.Get("diagnosis_other")
	for _, sym := range f["symptoms"] {
		d.Symptoms[sym] = true
	}
	sc := rq.scope()
	p, err := s.db.PersonByExternalID(r.Context(), sc, d.ExternalID)
	if err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showNewAbsence(w, r, rq, d, fieldErr("external_id", "no person with number %q in your scope", d.ExternalID))
	}
	d.PersonName = p.Name
	a := &domain.Absence{PersonID: p.ID, StartDate: d.StartDate, OnsetDate: d.OnsetDate, Symptoms: f["symptoms"], SawDoctor: d.SawDoctor,
		Hospital: d.Hospital, Diagnosis: diagnosisForm(f), Note: d.Note, ReportedBy: rq.acc.Username, Source: string(rq.acc.Role)}
	if err := s.db.CreateAbsence(r.Context(), sc, a, s.today()); err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showNewAbsence(w, r, rq, d, err)
	}
	return seeOther(w, r, fmt.Sprintf("/absences/%d?notice=saved", a.ID))
}

type absenceData struct {
	A             *domain.Absence
	DiagnosisName string
	Criterion     string
	State         string
	Status        status.Result
	Followups     []followupView
	Choices       []diagnosisChoice
	Outcomes      []string
	Today         string
	// The update form's values.
	DiagCode, DiagOther, Outcome, ReturnDate, CertReceived, Followup string
}

type followupView struct {
	At, By, Result string
}

func (s *Server) pageAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := rollStaff(rq); err != nil {
		return err
	}
	return s.showAbsence(w, r, rq, nil, nil)
}

// showAbsence renders an absence; after a failed update, form holds what
// was posted so nothing typed is lost.
func (s *Server) showAbsence(w http.ResponseWriter, r *http.Request, rq *request, form url.Values, formErr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := rq.scope()
	a, err := s.db.Absence(r.Context(), sc, id)
	if err != nil {
		return err
	}
	l := catalogs[rq.lang]
	d := absenceData{A: a, DiagnosisName: diagnosisName(l, a.Diagnosis), State: absenceState(a, s.today()), Choices: diagnosisChoices(l),
		Outcomes: domain.AbsenceOutcomes, Today: s.today(), Outcome: a.Outcome, ReturnDate: a.ReturnDate, CertReceived: a.CertificateReceived}
	if rule, ok := status.FindReturnRule(a.Diagnosis); ok {
		d.Criterion = rule.CriterionZH
		if l.lang == langEN {
			d.Criterion = rule.CriterionEN
		}
	}
	d.DiagCode, d.DiagOther = splitDiagnosis(a.Diagnosis)
	if form != nil {
		d.DiagCode, d.DiagOther, d.Outcome = form.Get("diagnosis"), form.Get("diagnosis_other"), form.Get("outcome")
		d.ReturnDate, d.CertReceived, d.Followup = form.Get("return_date"), form.Get("certificate_received"), form.Get("followup")
	}
	if d.Status, err = s.db.PersonStatus(r.Context(), sc, a.PersonID, rq.lang); err != nil {
		return err
	}
	for _, f := range a.Followups {
		d.Followups = append(d.Followups, followupView{At: l.Time(f.At.In(s.loc)), By: f.By, Result: f.Result})
	}
	return s.render(w, r, rq, http.StatusOK, "absence", "absence.detail", d, absenceFormError(catalogs[rq.lang], formErr))
}

// pageUpdateAbsence records a follow-up and what became known: diagnosis,
// outcome, return date, certificate.
func (s *Server) pageUpdateAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := staffForm(w, r, rq, 1<<16); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	var u store.AbsenceUpdate
	field := func(name string) *string {
		if _, ok := f[name]; !ok {
			return nil
		}
		v := strings.TrimSpace(f.Get(name))
		return &v
	}
	if _, ok := f["diagnosis"]; ok {
		diag := diagnosisForm(f)
		u.Diagnosis = &diag
	}
	u.Outcome, u.ReturnDate, u.CertificateReceived = field("outcome"), field("return_date"), field("certificate_received")
	u.Followup = field("followup")
	if _, err := s.db.UpdateAbsence(r.Context(), rq.scope(), id, u, displayName(rq.acc), s.today()); err != nil {
		if code := domain.ErrorCode(err); code == domain.EInternal || code == domain.ENotFound {
			return err
		}
		return s.showAbsence(w, r, rq, f, err)
	}
	return seeOther(w, r, fmt.Sprintf("/absences/%d?notice=saved", id))
}

var _ = addMessages(map[string][2]string{
	"absence.nav":                  {"因病缺勤", "Illness absences"},
	"absence.title":                {"因病缺勤", "Illness absences"},
	"absence.new":                  {"登记因病缺勤", "Register an illness absence"},
	"absence.detail":               {"因病缺勤详情", "Illness absence"},
	"absence.open.only":            {"只看未结案（未返校或未交复课证明）", "Open only (not back yet, or certificate missing)"},
	"absence.person":               {"姓名", "Name"},
	"absence.org":                  {"班级/单位", "Class or unit"},
	"absence.start":                {"缺勤开始", "Absent from"},
	"absence.onset":                {"发病日期", "Onset"},
	"absence.symptoms":             {"症状", "Symptoms"},
	"absence.saw_doctor":           {"已就诊", "Saw a doctor"},
	"absence.hospital":             {"就诊医院", "Where"},
	"absence.diagnosis":            {"诊断", "Diagnosis"},
	"absence.diagnosis.unknown":    {"未确诊", "Not known yet"},
	"absence.diagnosis.other":      {"其他", "Other"},
	"absence.diagnosis.other_text": {"其他诊断（选“其他”时填写）", "Other diagnosis (when “Other” is chosen)"},
	"absence.return":               {"返校日期", "Back at school"},
	"absence.cert":                 {"复课证明", "Return certificate"},
	"absence.cert.required":        {"需要", "Required"},
	"absence.cert.notrequired":     {"不需要", "Not required"},
	"absence.cert.received":        {"收到复课证明日期", "Certificate received on"},
	"absence.cert.missing":         {"未收到", "Not received"},
	"absence.state":                {"状态", "State"},
	"absence.state.open":           {"缺勤中", "Absent"},
	"absence.state.cert":           {"待交复课证明", "Certificate missing"},
	"absence.state.closed":         {"已结案", "Closed"},
	"absence.none":                 {"没有因病缺勤记录。", "No illness absences."},
	"absence.note":                 {"备注", "Note"},
	"absence.submit":               {"登记", "Register"},
	"absence.external_id.hint":     {"输入学号/工号", "The student or staff number"},
	"absence.criterion":            {"复课标准", "Return criterion"},
	"absence.criterion.none":       {"该诊断无需复课证明；痊愈后即可返校。", "No certificate needed for this diagnosis: back once recovered."},
	"absence.followups":            {"随访记录", "Follow-ups"},
	"absence.followup.none":        {"暂无随访。", "No follow-ups yet."},
	"absence.followup.at":          {"时间", "Time"},
	"absence.followup.by":          {"随访人", "By"},
	"absence.followup.result":      {"结果", "Result"},
	"absence.followup.add":         {"本次随访结果（电话、家访等）", "Result of this follow-up (call, visit…)"},
	"absence.update.title":         {"随访与结案", "Follow-up and closure"},
	"absence.outcome":              {"转归", "Outcome"},
	"absence.outcome.":             {"—", "—"},
	"absence.outcome.recovering":   {"恢复中", "Recovering"},
	"absence.outcome.recovered":    {"已痊愈", "Recovered"},
	"absence.outcome.hospitalized": {"住院", "In hospital"},
	"absence.outcome.isolated":     {"隔离", "Isolated"},
	"absence.outcome.other":        {"其他", "Other"},
	"absence.status":               {"当前健康状态", "Current status"},
	"absence.reported_by":          {"登记人", "Registered by"},
	"absence.save":                 {"保存", "Save"},
	"absence.list":                 {"返回列表", "Back to the list"},
})
