package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/pass"
	"epiguard/internal/status"
	"epiguard/internal/store"
)

var _ = addMessages(map[string][2]string{
	"personal.title":              {"健康打卡", "Health check-in"},
	"personal.guardian":           {"%s，您好。请为以下孩子打卡：", "Hello %s. Check in for your children:"},
	"personal.status":             {"健康状态", "Health status"},
	"personal.done":               {"今日已打卡", "Checked in today"},
	"personal.notyet":             {"今日尚未打卡", "Not checked in yet today"},
	"personal.normal":             {"一切正常，同昨日", "All normal, same as yesterday"},
	"personal.normal.hint":        {"没有任何不适、行程与昨日相同时，点一下即可完成打卡。", "No symptoms and nothing changed since yesterday? One tap checks in."},
	"personal.details":            {"填写详细情况", "Report details"},
	"personal.temp":               {"体温（°C）", "Temperature (°C)"},
	"personal.temp.required":      {"学校要求每天填写体温", "Your school asks for a temperature every day"},
	"personal.symptoms":           {"今天有以下症状吗？", "Any of these symptoms today?"},
	"personal.oncampus":           {"今天在校", "On campus today"},
	"personal.region":             {"所在地区代码（6位）", "Region code (6 digits)"},
	"personal.address":            {"所在地址", "Where you are"},
	"personal.risk":               {"近7天到过中高风险地区", "Visited a risk area in the last 7 days"},
	"personal.contact":            {"接触过确诊或疑似病例", "In contact with a confirmed or suspected case"},
	"personal.note":               {"备注", "Note"},
	"personal.submit":             {"提交打卡", "Submit check-in"},
	"personal.pass":               {"通行码", "Gate pass"},
	"personal.pass.alt":           {"%s 的通行码二维码", "Gate pass QR code of %s"},
	"personal.pass.hint":          {"出示给门卫扫码。二维码几分钟内有效，页面会自动刷新，截图无效。", "Show it to the gate guard. It is valid for a few minutes and refreshes itself; a screenshot will not work."},
	"personal.saved":              {"打卡成功。", "Checked in."},
	"personal.invalid":            {"此链接无效或已更换，请向班主任或社区索取新链接。", "This link is not valid or has been replaced: ask your class teacher or community for a new one."},
	"status.green":                {"绿码 · 正常", "Green · normal"},
	"status.yellow":               {"黄码 · 需关注", "Yellow · attention"},
	"status.red":                  {"红码 · 限制出入", "Red · restricted"},
	"yes":                         {"是", "Yes"},
	"no":                          {"否", "No"},
	"sym.fever":                   {"发热", "Fever"},
	"sym.cough":                   {"咳嗽", "Cough"},
	"sym.headache":                {"头痛", "Headache"},
	"sym.sore_throat":             {"咽痛", "Sore throat"},
	"sym.parotid_swelling":        {"腮腺肿大", "Swollen parotid glands"},
	"sym.abdominal_pain":          {"腹痛", "Abdominal pain"},
	"sym.diarrhea":                {"腹泻", "Diarrhoea"},
	"sym.vomiting":                {"呕吐", "Vomiting"},
	"sym.rash":                    {"皮疹", "Rash"},
	"sym.dizziness":               {"头晕", "Dizziness"},
	"sym.fatigue":                 {"乏力", "Fatigue"},
	"sym.conjunctival_congestion": {"结膜充血（红眼）", "Red eyes"},
	"sym.runny_nose":              {"流涕", "Runny nose"},
	"sym.loss_of_smell_taste":     {"嗅觉味觉减退", "Loss of smell or taste"},
	"sym.shortness_of_breath":     {"呼吸困难", "Shortness of breath"},
	"sym.jaundice":                {"黄疸", "Jaundice"},
	"syn.fever":                   {"发热", "Fever"},
	"syn.ili":                     {"流感样", "ILI"},
	"syn.gi":                      {"胃肠道", "GI"},
	"syn.rash":                    {"皮疹", "Rash"},
	"syn.parotitis":               {"腮腺炎", "Parotitis"},
	"syn.conjunctivitis":          {"结膜炎", "Conjunctivitis"},
	"syn.jaundice":                {"黄疸", "Jaundice"},
	"syn.respiratory":             {"呼吸道", "Respiratory"},
	"gate.fever":                  {"门岗测温 %.1f°C，发热", "Fever at the gate: %.1f °C"},
	"personal.absence":            {"因病请假（因病缺勤登记）", "Report an illness absence"},
	"personal.absence.hint":       {"生病不能到校时在这里登记，班主任会电话随访；病愈返校时按要求交复课证明。", "Ill and staying at home? Register it here; the class teacher will follow up. Some illnesses need a return certificate."},
	"personal.absence.start":      {"哪天开始缺勤", "Absent from"},
	"personal.absence.onset":      {"哪天开始生病", "Ill since"},
	"personal.absence.symptoms":   {"有哪些症状？", "Which symptoms?"},
	"personal.absence.doctor":     {"已去医院就诊", "Saw a doctor"},
	"personal.absence.hospital":   {"就诊医院", "Where"},
	"personal.absence.diagnosis":  {"医生诊断（知道时填写）", "The doctor's diagnosis, if known"},
	"personal.absence.submit":     {"提交请假", "Register the absence"},
	"personal.absence.saved":      {"已登记因病缺勤，班主任会跟进。", "The illness absence is registered; the class teacher will follow up."},
	"personal.err":                {"请检查以下填写的内容：", "Please check what you entered:"},
	"personal.err.temp":           {"请填写 34.0 至 43.0 之间的体温，例如 36.5。", "Enter a temperature between 34.0 and 43.0, such as 36.5."},
	"personal.err.region":         {"请填写 6 位数字的地区代码（如 330106），或留空。", "Enter a 6-digit region code (such as 330106), or leave it empty."},
	"personal.err.long":           {"内容过长，请简短一些。", "Too long: please shorten it."},
	"personal.err.symptoms":       {"请从列表中选择症状。", "Choose the symptoms from the list."},
	"personal.err.who":            {"打卡人", "Person"},
	"personal.err.person":         {"此链接中没有这个人，请重新打开链接。", "This person is not on this link: open the link again."},
	"personal.err.start":          {"请填写缺勤开始的日期。", "Enter the first day of absence."},
	"personal.err.onset":          {"发病日期不能晚于今天，也不能晚于缺勤开始的日期。", "The illness cannot start after today or after the first day of absence."},
})

// personalFields name, for each field of the personal page's forms, its
// label and what a valid value is, as message keys: the domain's messages
// are the API's English, and this page is for parents on their phones.
var personalFields = map[string][2]string{
	"temperature_c": {"personal.temp", "personal.err.temp"},
	"region_code":   {"personal.region", "personal.err.region"},
	"address":       {"personal.address", "personal.err.long"},
	"note":          {"personal.note", "personal.err.long"},
	"symptoms":      {"personal.symptoms", "personal.err.symptoms"},
	"person_id":     {"personal.err.who", "personal.err.person"},
	"start_date":    {"personal.absence.start", "personal.err.start"},
	"onset_date":    {"personal.absence.onset", "personal.err.onset"},
}

// personalError says an input error of the personal page in the page's
// language; other errors pass unchanged.
func personalError(l *catalog, err error) error {
	if domain.ErrorCode(err) != domain.EInvalid {
		return err
	}
	out := &domain.Error{Code: domain.EInvalid, Message: l.T("personal.err")}
	for _, f := range domain.ErrorFields(err) {
		if k, ok := personalFields[f.Field]; ok {
			f = domain.FieldError{Field: l.T(k[0]), Message: l.T(k[1])}
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

// personalEntry is one person on a personal page.
type personalEntry struct {
	Person       *domain.Person
	Status       status.Result
	Today        *domain.Checkin
	Yesterday    *domain.Checkin
	JustSaved    bool
	JustReported bool // an illness absence was just registered
}

type personalData struct {
	Token        string
	GuardianName string
	Entries      []personalEntry
	Symptoms     []string
	RequireTemp  bool
	Today        string
	Diagnoses    []diagnosisChoice
}

// requireTemperature is the setting that makes the one-tap check-in ask
// for a temperature too.
const settingRequireTemp = "checkin.require_temperature"

func (s *Server) pagePersonal(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showPersonal(w, r, rq, nil)
}

func (s *Server) showPersonal(w http.ResponseWriter, r *http.Request, rq *request, formErr error) error {
	// A personal link is a secret: keep it out of referrers and caches.
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	h, err := s.db.HolderByToken(r.Context(), token)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return s.render(w, r, rq, http.StatusNotFound, "personal_invalid", "personal.title", nil, nil)
		}
		return err
	}
	today := s.today()
	yesterday := s.now().In(s.loc).AddDate(0, 0, -1).Format(time.DateOnly)
	req, _ := s.db.Setting(r.Context(), settingRequireTemp)
	d := personalData{Token: token, GuardianName: h.GuardianName, Symptoms: domain.Symptoms, RequireTemp: req == "1", Today: today,
		Diagnoses: diagnosisChoices(catalogs[rq.lang])}
	done, _ := strconv.ParseInt(r.URL.Query().Get("done"), 10, 64)
	reported, _ := strconv.ParseInt(r.URL.Query().Get("reported"), 10, 64)
	for _, p := range h.People {
		e := personalEntry{Person: p, JustSaved: p.ID == done, JustReported: p.ID == reported}
		if e.Status, err = s.db.PersonStatus(r.Context(), domain.System(), p.ID, rq.lang); err != nil {
			return err
		}
		recent, err := s.db.Checkins(r.Context(), domain.System(), p.ID, yesterday)
		if err != nil {
			return err
		}
		for _, c := range recent {
			if c.Date == today && e.Today == nil && !c.Absent {
				e.Today = c
			}
			if c.Date == yesterday && e.Yesterday == nil {
				e.Yesterday = c
			}
		}
		d.Entries = append(d.Entries, e)
	}
	if formErr != nil {
		formErr = personalError(catalogs[rq.lang], formErr)
	}
	return s.render(w, r, rq, http.StatusOK, "personal", "personal.title", d, formErr)
}

// pagePersonalSubmit takes the check-in form of a personal page: the
// one-tap "all normal" or the detailed form.
func (s *Server) pagePersonalSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	token := r.PathValue("token")
	h, person, done, err := s.postedLink(w, r, rq)
	if done {
		return err
	}
	c := &domain.Checkin{PersonID: person.ID, Date: s.today(), Slot: domain.SlotMorning, Source: domain.SourceSelf,
		ClientID: r.PostFormValue("client_id"), SubmittedBy: "link"}
	if h.GuardianID != 0 {
		c.Source, c.SubmittedBy = domain.SourceGuardian, "guardian:"+strconv.FormatInt(h.GuardianID, 10)
	}
	if t := strings.TrimSpace(r.PostFormValue("temperature_c")); t != "" {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return s.showPersonal(w, r, rq, fieldErr("temperature_c", "must be a number such as 36.5"))
		}
		c.TemperatureC = &v
	}
	if r.PostFormValue("normal") == "1" {
		req, _ := s.db.Setting(r.Context(), settingRequireTemp)
		if req == "1" && c.TemperatureC == nil {
			return s.showPersonal(w, r, rq, fieldErr("temperature_c", "your school asks for a temperature every day"))
		}
		// Same as yesterday: where the person was, without symptoms.
		yesterday := s.now().In(s.loc).AddDate(0, 0, -1).Format(time.DateOnly)
		if recent, err := s.db.Checkins(r.Context(), domain.System(), person.ID, yesterday); err == nil {
			for _, y := range recent {
				if y.Date == yesterday {
					c.OnCampus, c.RegionCode, c.Address = y.OnCampus, y.RegionCode, y.Address
					break
				}
			}
		}
		c.Note = "all normal"
	} else {
		c.Symptoms = r.PostForm["symptoms"]
		switch r.PostFormValue("on_campus") {
		case "1":
			t := true
			c.OnCampus = &t
		case "0":
			f := false
			c.OnCampus = &f
		}
		c.RegionCode = strings.TrimSpace(r.PostFormValue("region_code"))
		c.Address = strings.TrimSpace(r.PostFormValue("address"))
		c.RiskAreaTravel = r.PostFormValue("risk_area_travel") == "1"
		c.CaseContact = r.PostFormValue("case_contact") == "1"
		c.Note = strings.TrimSpace(r.PostFormValue("note"))
	}
	if _, err := s.db.RecordCheckin(r.Context(), domain.System(), c, s.checkinRules(), s.thresholds, rq.lang); err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showPersonal(w, r, rq, err)
	}
	return seeOther(w, r, fmt.Sprintf("/p/%s?done=%d#p%d", token, person.ID, person.ID))
}

// postedLink reads the link a personal page's form was posted to and the
// person of the link the form is about. When done, it has answered the
// request itself (an unknown link, a person not of the link) and err is
// what the handler returns.
func (s *Server) postedLink(w http.ResponseWriter, r *http.Request, rq *request) (h *store.LinkHolder, p *domain.Person, done bool, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	h, err = s.db.HolderByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return nil, nil, true, s.render(w, r, rq, http.StatusNotFound, "personal_invalid", "personal.title", nil, nil)
		}
		return nil, nil, true, err
	}
	if p = linkPerson(h, r.PostFormValue("person_id")); p == nil {
		return nil, nil, true, s.showPersonal(w, r, rq, fieldErr("person_id", "not a person of this link"))
	}
	return h, p, false, nil
}

// linkPerson is the person of the link with the id in the form, or nil.
func linkPerson(h *store.LinkHolder, formID string) *domain.Person {
	id, _ := strconv.ParseInt(formID, 10, 64)
	for _, p := range h.People {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// pagePersonalAbsence takes the illness report of a personal page: the
// person or a guardian registers an illness absence (SPEC §1, §3.2), which
// the class teacher then follows up on the absence pages.
func (s *Server) pagePersonalAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	token := r.PathValue("token")
	h, person, done, err := s.postedLink(w, r, rq)
	if done {
		return err
	}
	f := r.PostForm
	today := s.today()
	a := &domain.Absence{PersonID: person.ID, StartDate: strings.TrimSpace(f.Get("start_date")), OnsetDate: strings.TrimSpace(f.Get("onset_date")),
		Symptoms: f["symptoms"], SawDoctor: f.Get("saw_doctor") == "1", Hospital: strings.TrimSpace(f.Get("hospital")),
		Diagnosis: diagnosisForm(f), Note: strings.TrimSpace(f.Get("note")), ReportedBy: person.Name, Source: domain.SourceSelf}
	if h.GuardianID != 0 {
		a.ReportedBy, a.Source = h.GuardianName, domain.SourceGuardian
	}
	if a.StartDate == "" {
		a.StartDate = today
	}
	// A phone may send the form twice (a double tap, a reload): the store
	// refuses an absence over days already covered, which is the same
	// illness, so the parent sees it registered.
	if err := s.db.CreateAbsence(r.Context(), domain.System(), a, today); err != nil {
		switch domain.ErrorCode(err) {
		case domain.EInternal:
			return err
		case domain.EConflict:
		default:
			return s.showPersonal(w, r, rq, err)
		}
	}
	return seeOther(w, r, fmt.Sprintf("/p/%s?reported=%d#p%d", token, person.ID, person.ID))
}

// pagePassPNG draws the gate pass of a person of the link: a QR code of a
// fresh short-lived token. Never cached.
func (s *Server) pagePassPNG(w http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := s.db.HolderByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	personID, _ := strconv.ParseInt(r.URL.Query().Get("person"), 10, 64)
	var person *domain.Person
	for _, p := range h.People {
		if p.ID == personID || (personID == 0 && len(h.People) == 1) {
			person = p
		}
	}
	if person == nil {
		return domain.Errorf(domain.ENotFound, "no such person on this link")
	}
	tok, _ := s.passes.Issue(person.ID, pass.DefaultTTL)
	png, err := pass.QRPNG(tok, 240)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
	return nil
}
