package web

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/status"
	"epiguard/internal/store"
)

// rollRoutes are the class teacher's pages: the roll and morning/noon
// check grid, the zero report, reminders and illness absences.
func (s *Server) rollRoutes() []route {
	return []route{
		{"GET", "/orgs/{id}/roll", signedIn, false, s.pageRoll},
		{"POST", "/orgs/{id}/roll", signedIn, false, s.pageRollSubmit},
		{"POST", "/orgs/{id}/roll/zero", signedIn, false, s.pageRollZero},
		{"POST", "/orgs/{id}/roll/remind", signedIn, false, s.pageRollRemind},
		{"GET", "/absences", signedIn, false, s.pageAbsences},
		{"GET", "/absences/new", signedIn, false, s.pageNewAbsence},
		{"POST", "/absences", signedIn, false, s.pageCreateAbsence},
		{"GET", "/absences/{id}", signedIn, false, s.pageAbsence},
		{"POST", "/absences/{id}", signedIn, false, s.pageUpdateAbsence},
	}
}

var _ = addMessages(map[string][2]string{
	"roll.nav":              {"晨午检", "Roll"},
	"roll.title":            {"晨午检", "Morning and noon checks"},
	"roll.counts":           {"共 %d 人 · 本时段已录入 %d 人 · 未打卡 %d 人", "%d people · %d recorded for this check · %d missing"},
	"roll.hint":             {"只保存填写了内容的行。填体温后按回车或 ↓ 跳到下一行的同一格，↑ 回到上一行；空格勾选症状。缺勤请选原因。", "Only rows with something entered are saved. After a temperature, Enter or ↓ moves to the same box in the next row, ↑ to the previous one; Space ticks a symptom. Absent rows need a reason."},
	"roll.caption":          {"%s %s %s 名单", "Roll of %s, %s, %s"},
	"roll.col.status":       {"当前状态", "Status"},
	"roll.col.att":          {"出勤", "Attendance"},
	"roll.col.reason":       {"缺勤原因", "Reason for absence"},
	"roll.col.temp":         {"体温 °C", "Temp. °C"},
	"roll.col.record":       {"本时段记录", "Record"},
	"roll.att.legend":       {"%s 的出勤", "Attendance of %s"},
	"roll.reason.label":     {"%s 的缺勤原因", "Reason %s is absent"},
	"roll.temp.label":       {"%s 的体温", "Temperature of %s"},
	"roll.present":          {"到", "Present"},
	"roll.absent":           {"缺勤", "Absent"},
	"roll.reason.none":      {"—", "—"},
	"roll.reason.illness":   {"因病", "Illness"},
	"roll.reason.other":     {"事假等其他", "Other (leave)"},
	"roll.src.teacher":      {"教师录入", "Entered by teacher"},
	"roll.src.self":         {"本人打卡", "Self check-in"},
	"roll.src.guardian":     {"家长代打卡", "By guardian"},
	"roll.src.gate":         {"门岗", "At the gate"},
	"roll.src.api":          {"系统接口", "Via API"},
	"roll.none":             {"未录入", "Nothing yet"},
	"roll.zero.note":        {"零报告", "Zero report"},
	"roll.absence.link":     {"因病缺勤中 · 查看登记", "Away ill · see the record"},
	"roll.save":             {"保存录入", "Save entries"},
	"roll.saved":            {"已保存 %d 行。", "Saved %d rows."},
	"roll.saved.none":       {"没有需要保存的改动。", "Nothing changed, nothing saved."},
	"roll.failed":           {"%d 行未能保存，请查看标出的行；其余已保存。", "%d rows were not saved: see the marked rows. The others were saved."},
	"roll.row.saved":        {"已保存", "Saved"},
	"roll.err.temp":         {"体温需为 34.0–43.0 之间的数字，如 36.5", "The temperature must be a number from 34.0 to 43.0, such as 36.5"},
	"roll.err.reason":       {"请选择缺勤原因", "Choose why the person is absent"},
	"roll.err.absent_temp":  {"缺勤的行不填体温", "An absent row takes no temperature"},
	"roll.err.person":       {"此人不在您的管理范围内", "This person is outside your scope"},
	"roll.empty":            {"本单位没有人员。", "Nobody belongs to this unit."},
	"roll.zero.title":       {"零报告", "Zero report"},
	"roll.zero.hint":        {"已检查、无异常时一键提交：本时段尚无记录的 %d 人将记为正常（已登记因病缺勤的除外）。", "Checked and nothing abnormal? One click records the %d people without a record for this check as normal (people absent ill are left out)."},
	"roll.zero.submit":      {"提交零报告", "Submit zero report"},
	"roll.zero.done":        {"零报告已提交 %d 人。", "Zero report submitted for %d people."},
	"roll.missing.title":    {"未打卡名单", "Not checked in"},
	"roll.missing.none":     {"本时段所有人都已打卡或已登记缺勤。", "Everyone has checked in or is recorded absent for this check."},
	"roll.remind.submit":    {"一键提醒", "Remind"},
	"roll.remind.hint":      {"个人暂未设置通知渠道，提醒以站内信汇总发送给本单位的班主任和卫生负责人；同一时段重复点击不会重复通知。", "People have no notification channel yet: the reminder goes as an in-app digest to the unit's class teachers and health officers. Pressing again for the same check notifies nobody twice."},
	"roll.remind.done":      {"已向 %d 位负责人发送提醒。", "Reminder sent to %d responsible people."},
	"roll.remind.already":   {"本时段已提醒过，没有重复发送。", "Already reminded for this check: nothing sent twice."},
	"roll.remind.nobody":    {"没有可接收提醒的负责人账号。", "No responsible account to remind."},
	"roll.remind.nomissing": {"没有未打卡的人，无需提醒。", "Nobody is missing: no reminder needed."},
	"roll.remind.title":     {"%s %s%s：%d 人未打卡", "%s %s %s: %d not checked in"},
	"roll.remind.more":      {"等 %d 人", "and %d more"},
	"roll.absences":         {"因病缺勤登记", "Illness absences"},
})

// Notes that mark the teacher's rows, so the grid can tell them apart
// from a person's own notes. They are data, in the product's language.
const (
	noteIllness = "因病缺勤"
	noteOther   = "事假"
	noteZero    = "零报告"
)

// rollStaff lets class teachers, health officers and admins use the roll
// and absence pages (SPEC §1); guards, operations and viewers may not.
func rollStaff(rq *request) error {
	if recordStaff.allowed(rq.acc.Role) {
		return nil
	}
	return domain.Errorf(domain.EForbidden, "your role (%s) may not use the roll or illness absences", rq.acc.Role)
}

// defaultSlot is the check of the time of day: morning before 11:00, noon
// until 17:00, then the boarders' evening check.
func (s *Server) defaultSlot() string {
	switch h := s.now().In(s.loc).Hour(); {
	case h < 11:
		return domain.SlotMorning
	case h < 17:
		return domain.SlotNoon
	}
	return domain.SlotEvening
}

// rollWhen reads the date (default today) and slot (default by the clock).
func (s *Server) rollWhen(v url.Values) (date, slot string, err error) {
	date = strings.TrimSpace(v.Get("date"))
	if date == "" {
		date = s.today()
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", "", fieldErr("date", "must be a date YYYY-MM-DD")
	}
	if date > s.today() {
		return "", "", fieldErr("date", "is in the future")
	}
	slot = v.Get("slot")
	if slot == "" {
		slot = s.defaultSlot()
	}
	if !domain.ValidSlot(slot) {
		return "", "", fieldErr("slot", "must be morning, noon or evening")
	}
	return date, slot, nil
}

// rollRow is one person of the roll with the grid's input for them.
type rollRow struct {
	Person  *domain.Person
	Status  status.Result
	Checkin *domain.Checkin // the record of the date and slot; nil if none
	Absence *domain.Absence // an illness absence covering the date
	// The grid's values: the record's, or what was posted when the row
	// could not be saved.
	Att      string // "", "present" or "absent"
	Reason   string // "", "illness" or "other"
	Temp     string
	Symptoms map[string]bool
	Recorded string // who recorded the row and when, for display
	Error    string
	Saved    bool
}

type rollData struct {
	Org   *domain.Org
	Date  string
	Slot  string
	Today string
	Prev  string
	Next  string
	Rows  []*rollRow
	// Symptoms are the grid's symptom columns, labelled once per page:
	// a class of 50 has 700 symptom cells.
	Symptoms []labelled
	Missing  []store.MissingPerson
	Recorded int
	// Unrecorded is how many a zero report would cover.
	Unrecorded int
	Notice     string
	Failed     int
	// DayNote says, when the date is not a school day of the unit, why.
	DayNote string
}

// labelled is a code with its label in the page's language.
type labelled struct{ Code, Label string }

// symptomLabels are the symptom codes of SPEC §5.1 with their labels.
func symptomLabels(l *catalog) []labelled {
	out := make([]labelled, len(domain.Symptoms))
	for i, code := range domain.Symptoms {
		out[i] = labelled{code, l.T("sym." + code)}
	}
	return out
}

// symptomCells renders a roll row's symptom checkboxes, one cell per
// column, ticked where checked says. It is one template call for the
// row's 14 cells: written in the template, the cells cost the page some
// 2,800 escaper calls for a class of 50, the better part of its time
// (SPEC §7.1: pages answer within 50 ms under the check-in load). Every
// value is escaped here, as the template would.
func symptomCells(personID int64, cols []labelled, checked map[string]bool) template.HTML {
	id := strconv.FormatInt(personID, 10)
	var b strings.Builder
	for _, c := range cols {
		code := html.EscapeString(c.Code)
		b.WriteString(`<td class="sym"><label><input type="checkbox" name="sym_` + id + `" value="` + code + `" data-col="sym-` + code + `"`)
		if checked[c.Code] {
			b.WriteString(` checked`)
		}
		b.WriteString(`><span class="sr">` + html.EscapeString(c.Label) + `</span></label></td>`)
	}
	return template.HTML(b.String())
}

// loadRoll reads the roll of a class or dorm room in the caller's scope
// for a date and slot: its people (by primary unit or membership), their
// records, illness absences and, withStatus, current statuses.
func (s *Server) loadRoll(ctx context.Context, rq *request, orgID int64, date, slot string, withStatus bool) (*rollData, error) {
	sc := rq.scope()
	org, err := s.db.Org(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	if org.Kind != "class" && org.Kind != "dorm_room" {
		return nil, domain.Errorf(domain.EInvalid, "the roll is kept for classes and dorm rooms, not for a %s", org.Kind)
	}
	people, _, err := s.db.People(ctx, sc, store.PeopleQuery{OrgID: orgID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(people, func(i, j int) bool { return people[i].ExternalID < people[j].ExternalID })
	// Absences covering the date of the unit's people, by primary unit
	// or membership (a dorm room's boarders).
	abs, err := s.db.Absences(ctx, sc, store.AbsenceQuery{OrgID: orgID, Date: date, Limit: 1000})
	if err != nil {
		return nil, err
	}
	absOf := map[int64]*domain.Absence{}
	for _, a := range abs {
		if absOf[a.PersonID] == nil {
			absOf[a.PersonID] = a
		}
	}
	day, _ := time.Parse(time.DateOnly, date)
	l := catalogs[rq.lang]
	d := &rollData{Org: org, Date: date, Slot: slot, Today: s.today(), Symptoms: symptomLabels(l),
		Prev: day.AddDate(0, 0, -1).Format(time.DateOnly)}
	if next := day.AddDate(0, 0, 1).Format(time.DateOnly); next <= d.Today {
		d.Next = next
	}
	// The class's records and statuses in two reads, not two per pupil:
	// the roll is opened while the whole school checks in.
	checkins, err := s.db.UnitCheckins(ctx, sc, orgID, date)
	if err != nil {
		return nil, err
	}
	statuses := map[int64]status.Result{}
	if withStatus {
		if statuses, err = s.db.UnitStatuses(ctx, sc, orgID, rq.lang); err != nil {
			return nil, err
		}
	}
	for _, p := range people {
		if p.Kind == domain.Visitor {
			continue
		}
		row := &rollRow{Person: p, Absence: absOf[p.ID], Symptoms: map[string]bool{}, Status: status.Result{Level: status.Green, Reasons: []status.Reason{}}}
		for _, c := range checkins[p.ID] {
			if c.Slot == slot {
				row.Checkin = c
			}
		}
		if st, ok := statuses[p.ID]; ok {
			row.Status = st
		}
		row.fromRecord(l, s.loc)
		if row.Checkin != nil {
			d.Recorded++
		} else if row.Absence == nil {
			d.Unrecorded++
		}
		d.Rows = append(d.Rows, row)
	}
	// store.Missing counts people by primary unit; the roll also holds
	// members (a dorm room's boarders), so add those it cannot see.
	if d.Missing, err = s.db.Missing(ctx, sc, orgID, date, slot); err != nil {
		return nil, err
	}
	listed := map[int64]bool{}
	for _, m := range d.Missing {
		listed[m.ID] = true
	}
	for _, row := range d.Rows {
		if p := row.Person; row.Checkin == nil && row.Absence == nil && !listed[p.ID] {
			d.Missing = append(d.Missing, store.MissingPerson{ID: p.ID, ExternalID: p.ExternalID, Name: p.Name, OrgID: p.OrgID, OrgName: p.OrgName})
		}
	}
	return d, nil
}

// fromRecord fills the grid's values from the row's record. A person away
// ill without a record stays blank: the absence already accounts for them
// (they are neither missing nor in a zero report), and the row links to it.
func (row *rollRow) fromRecord(l *catalog, loc *time.Location) {
	c := row.Checkin
	if c == nil {
		return
	}
	row.Att = "present"
	if c.Absent {
		row.Att, row.Reason = "absent", "illness"
		if c.Note == noteOther {
			row.Reason = "other"
		}
	}
	if c.TemperatureC != nil {
		row.Temp = strconv.FormatFloat(*c.TemperatureC, 'f', 1, 64)
	}
	for _, sym := range c.Symptoms {
		row.Symptoms[sym] = true
	}
	row.Recorded = l.T("roll.src."+c.Source) + " " + c.UpdatedAt.In(loc).Format("15:04")
	if c.Note == noteZero {
		row.Recorded += " · " + l.T("roll.zero.note")
	}
}

// rowInput is what the grid posted for one person.
type rowInput struct {
	att, reason, temp string
	symptoms          []string
}

func rowInputOf(form url.Values, id int64) rowInput {
	k := strconv.FormatInt(id, 10)
	return rowInput{att: form.Get("att_" + k), reason: form.Get("reason_" + k), temp: strings.TrimSpace(form.Get("temp_" + k)),
		symptoms: form["sym_"+k]}
}

// empty reports whether nothing was entered: a row the teacher skipped.
func (in rowInput) empty() bool { return in.att == "" && in.temp == "" && len(in.symptoms) == 0 }

func (in rowInput) apply(row *rollRow) {
	row.Att, row.Reason, row.Temp = in.att, in.reason, in.temp
	row.Symptoms = map[string]bool{}
	for _, sym := range in.symptoms {
		row.Symptoms[sym] = true
	}
}

// checkinOf turns a row's input into a check-in by the teacher. A row
// with a record revises it, keeping what the person reported beyond the
// grid (where they are, travel, contacts).
func checkinOf(row *rollRow, in rowInput, date, slot, by string) (*domain.Checkin, error) {
	c := &domain.Checkin{PersonID: row.Person.ID, Date: date, Slot: slot}
	if row.Checkin != nil {
		prev := *row.Checkin
		c = &prev
		c.ID, c.ClientID = 0, ""
	}
	c.Source, c.SubmittedBy = domain.SourceTeacher, by
	c.Symptoms = slices.Clone(in.symptoms)
	c.TemperatureC = nil
	var v domain.Validation
	if in.temp != "" {
		t, err := strconv.ParseFloat(strings.NewReplacer("，", ".", ",", ".", "。", ".").Replace(in.temp), 64)
		if err != nil || math.IsNaN(t) {
			v.Add("temperature_c", "must be a number such as 36.5")
		} else {
			c.TemperatureC = &t
		}
	}
	marker := c.Note == noteIllness || c.Note == noteOther || c.Note == noteZero
	switch in.att {
	case "absent":
		c.Absent = true
		switch in.reason {
		case "illness":
			c.Note = noteIllness
		case "other":
			c.Note = noteOther
		default:
			v.Add("reason", "choose illness or other")
		}
		if in.temp != "" {
			v.Add("absent_temp", "an absent row takes no temperature")
		}
	case "present", "":
		c.Absent = false
		if marker {
			c.Note = ""
		}
	default:
		v.Add("att", "must be present or absent")
	}
	return c, v.Err()
}

// unchanged reports whether c says what the existing record says, so a
// prefilled row posted again makes no new revision.
func unchanged(prev, c *domain.Checkin) bool {
	if prev == nil || prev.Absent != c.Absent || (c.Absent && prev.Note != c.Note) {
		return false
	}
	if (prev.TemperatureC == nil) != (c.TemperatureC == nil) {
		return false
	}
	if c.TemperatureC != nil && math.Abs(*prev.TemperatureC-math.Round(*c.TemperatureC*10)/10) > 1e-9 {
		return false
	}
	a, b := slices.Clone(prev.Symptoms), slices.Clone(c.Symptoms)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// rowError says in the page's language what is wrong with a row.
func rowError(l *catalog, err error) string {
	keys := map[string]string{"temperature_c": "roll.err.temp", "reason": "roll.err.reason", "absent_temp": "roll.err.absent_temp",
		"person_id": "roll.err.person"}
	var parts []string
	for _, f := range domain.ErrorFields(err) {
		if k, ok := keys[f.Field]; ok {
			parts = append(parts, l.T(k))
		} else {
			parts = append(parts, f.Field+": "+f.Message)
		}
	}
	if len(parts) == 0 {
		return domain.ErrorMessage(err)
	}
	return strings.Join(parts, "；")
}

func rollURL(orgID int64, date, slot string, extra ...string) string {
	q := url.Values{"date": {date}, "slot": {slot}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return fmt.Sprintf("/orgs/%d/roll?%s", orgID, q.Encode())
}

func (s *Server) pageRoll(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := rollStaff(rq); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	date, slot, err := s.rollWhen(q)
	if err != nil {
		return err
	}
	d, err := s.loadRoll(r.Context(), rq, id, date, slot, true)
	if err != nil {
		return err
	}
	if d.DayNote, err = s.dayNote(r.Context(), rq, d.Org, date); err != nil {
		return err
	}
	l := catalogs[rq.lang]
	num := func(key string) (int, bool) {
		n, err := strconv.Atoi(q.Get(key))
		return n, err == nil
	}
	if n, ok := num("saved"); ok {
		d.Notice = l.F("roll.saved", n)
		if n == 0 {
			d.Notice = l.T("roll.saved.none")
		}
	}
	if n, ok := num("zero"); ok {
		d.Notice = l.F("roll.zero.done", n)
	}
	switch n, ok := num("reminded"); {
	case q.Get("reminded") == "none":
		d.Notice = l.T("roll.remind.nomissing")
	case ok && n > 0:
		d.Notice = l.F("roll.remind.done", n)
	case ok && q.Get("of") == "0":
		d.Notice = l.T("roll.remind.nobody")
	case ok:
		d.Notice = l.T("roll.remind.already")
	}
	return s.render(w, r, rq, http.StatusOK, "roll", "roll.title", d, nil)
}

// pageRollSubmit records every row of the grid that has something entered
// as the teacher's check-in for the date and slot. Rows that fail keep
// their input and say why; the others are saved regardless.
func (s *Server) pageRollSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := staffForm(w, r, rq, 1<<20); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	date, slot, err := s.rollWhen(r.PostForm)
	if err != nil {
		return err
	}
	if err := (&domain.Checkin{PersonID: 1, Date: date, Slot: slot}).Validate(s.checkinRules()); err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.loadRoll(ctx, rq, id, date, slot, false)
	if err != nil {
		return err
	}
	onRoll := map[int64]*rollRow{}
	for _, row := range d.Rows {
		onRoll[row.Person.ID] = row
	}
	var posted []*rollRow
	for _, v := range r.PostForm["pid"] {
		pid, _ := strconv.ParseInt(v, 10, 64)
		row := onRoll[pid]
		if row == nil {
			// A forged or stale form: refuse it whole, before saving anything.
			return fieldErr("pid", "person %s is not on the roll of %s", v, d.Org.Name)
		}
		posted = append(posted, row)
	}
	sc, l := rq.scope(), catalogs[rq.lang]
	saved, failed := map[int64]bool{}, map[int64]rowInput{}
	errs := map[int64]string{}
	for _, row := range posted {
		in := rowInputOf(r.PostForm, row.Person.ID)
		if in.empty() {
			continue
		}
		c, err := checkinOf(row, in, date, slot, rq.acc.Username)
		if err == nil && unchanged(row.Checkin, c) {
			continue
		}
		if err == nil {
			_, err = s.db.RecordCheckin(ctx, sc, c, s.checkinRules(), s.thresholds, rq.lang)
		}
		if err == nil && c.Absent && c.Note == noteIllness && row.Absence == nil {
			a := &domain.Absence{PersonID: row.Person.ID, StartDate: date, Symptoms: c.Symptoms, ReportedBy: rq.acc.Username,
				Source: string(rq.acc.Role), Note: l.T("roll.title")}
			err = s.db.CreateAbsence(ctx, sc, a, s.today())
		}
		if err != nil {
			if domain.ErrorCode(err) == domain.EInternal {
				return err
			}
			failed[row.Person.ID], errs[row.Person.ID] = in, rowError(l, err)
			continue
		}
		saved[row.Person.ID] = true
	}
	if len(failed) == 0 {
		return seeOther(w, r, rollURL(id, date, slot, "saved", strconv.Itoa(len(saved))))
	}
	// Show the roll as it is now, with the failed rows as they were typed.
	if d, err = s.loadRoll(ctx, rq, id, date, slot, true); err != nil {
		return err
	}
	for _, row := range d.Rows {
		if in, ok := failed[row.Person.ID]; ok {
			in.apply(row)
			row.Error = errs[row.Person.ID]
		}
		row.Saved = saved[row.Person.ID]
	}
	d.Failed = len(failed)
	if len(saved) > 0 {
		d.Notice = l.F("roll.saved", len(saved))
	}
	return s.render(w, r, rq, http.StatusBadRequest, "roll", "roll.title", d, nil)
}

// pageRollZero is the zero report (零报告): everyone of the unit without a
// record for the date and slot, and not away ill, is recorded as normal.
func (s *Server) pageRollZero(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := rollStaff(rq); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return fieldErr("form", "malformed")
	}
	date, slot, err := s.rollWhen(r.PostForm)
	if err != nil {
		return err
	}
	if err := (&domain.Checkin{PersonID: 1, Date: date, Slot: slot}).Validate(s.checkinRules()); err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.loadRoll(ctx, rq, id, date, slot, false)
	if err != nil {
		return err
	}
	n := 0
	for _, row := range d.Rows {
		if row.Checkin != nil || row.Absence != nil {
			continue
		}
		c := &domain.Checkin{PersonID: row.Person.ID, Date: date, Slot: slot, Source: domain.SourceTeacher,
			SubmittedBy: rq.acc.Username, Note: noteZero}
		if _, err := s.db.RecordCheckin(ctx, rq.scope(), c, s.checkinRules(), s.thresholds, rq.lang); err != nil {
			return err
		}
		n++
	}
	s.audit(ctx, rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", id),
		Detail: fmt.Sprintf("零报告 %s %s %s：%d 人", d.Org.Code, date, slot, n)})
	return seeOther(w, r, rollURL(id, date, slot, "zero", strconv.Itoa(n)))
}

// pageRollRemind sends the unit's responsible accounts one digest of who
// has not checked in. People have no channel of their own yet, so the
// digest goes to the inbox only. The dedupe key makes a second press
// notify nobody twice.
func (s *Server) pageRollRemind(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := rollStaff(rq); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return fieldErr("form", "malformed")
	}
	date, slot, err := s.rollWhen(r.PostForm)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.loadRoll(ctx, rq, id, date, slot, false)
	if err != nil {
		return err
	}
	if len(d.Missing) == 0 {
		return seeOther(w, r, rollURL(id, date, slot, "reminded", "none"))
	}
	accs, err := s.db.ResponsibleAccounts(ctx, id, domain.RoleTeacher, domain.RoleHealth)
	if err != nil {
		return err
	}
	l := catalogs[rq.lang]
	names := make([]string, 0, len(d.Missing))
	for i, m := range d.Missing {
		if i == 20 {
			names = append(names, l.F("roll.remind.more", len(d.Missing)))
			break
		}
		names = append(names, m.Name)
	}
	title := l.F("roll.remind.title", d.Org.Name, date, l.T("slot."+slot), len(d.Missing))
	link := rollURL(id, date, slot)
	ns := make([]store.Notification, 0, len(accs))
	for _, a := range accs {
		ns = append(ns, store.Notification{Channel: "inbox", Target: fmt.Sprintf("account:%d", a.ID), Kind: "reminder",
			Title: title, Body: strings.Join(names, "、"), Link: link,
			DedupeKey: fmt.Sprintf("remind:%d:%s:%s:%d", id, date, slot, a.ID)})
	}
	n, err := s.db.Enqueue(ctx, ns)
	if err != nil {
		return err
	}
	// The unit's channels that carry reminders (a class's WeCom group)
	// get the digest too; the page counts the people reminded.
	chs, err := s.db.ToChannels(ctx, id, store.Notification{Kind: "reminder", Title: title, Body: strings.Join(names, "、"), Link: link},
		fmt.Sprintf("remind:%d:%s:%s:", id, date, slot))
	if err != nil {
		return err
	}
	if len(chs) > 0 {
		if _, err := s.db.Enqueue(ctx, chs); err != nil {
			return err
		}
	}
	return seeOther(w, r, rollURL(id, date, slot, "reminded", strconv.Itoa(n), "of", strconv.Itoa(len(accs))))
}

// staffForm admits the roles of these pages and parses a posted form of
// at most limit bytes.
func staffForm(w http.ResponseWriter, r *http.Request, rq *request, limit int64) error {
	if err := rollStaff(rq); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return fieldErr("form", "too large or malformed")
	}
	return nil
}
