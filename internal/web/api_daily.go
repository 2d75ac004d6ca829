package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/pass"
	"epiguard/internal/status"
	"epiguard/internal/store"
)

// today is the current date in the installation's time zone.
func (s *Server) today() string { return s.now().In(s.loc).Format(time.DateOnly) }

func (s *Server) checkinRules() domain.CheckinRules {
	return domain.CheckinRules{Today: s.today(), MaxAgeDays: 7}
}

// checkinJSON is the answer to a check-in (SPEC §4.2).
type checkinJSON struct {
	ID        int64             `json:"id"`
	Status    status.Level      `json:"status"`
	Reasons   []status.Reason   `json:"reasons"`
	Revision  int               `json:"revision"`
	Syndromes []domain.Syndrome `json:"syndromes"`
	Replayed  bool              `json:"replayed"`
}

func (s *Server) apiCheckin(w http.ResponseWriter, r *http.Request, rq *request) error {
	var c domain.Checkin
	var in domain.CheckinInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c = domain.Checkin{PersonID: in.PersonID, Date: in.Date, Slot: in.Slot, TemperatureC: in.TemperatureC, Symptoms: in.Symptoms,
		OnCampus: in.OnCampus, RegionCode: in.RegionCode, Address: in.Address, RiskAreaTravel: in.RiskAreaTravel,
		CaseContact: in.CaseContact, Absent: in.Absent, Note: in.Note, Source: in.Source, ClientID: in.ClientID, SubmittedBy: rq.acc.Username}
	// The source says who took the record. A staff member at a screen
	// takes it as staff; only an integration with an API token may relay
	// what a person or guardian entered elsewhere.
	switch {
	case c.Source == "" && rq.acc.Role == domain.RoleTeacher:
		c.Source = domain.SourceTeacher
	case c.Source == "":
		c.Source = domain.SourceAPI
	case rq.session != nil && c.Source != domain.SourceTeacher && c.Source != domain.SourceAPI:
		return fieldErr("source", "must be teacher or api for a signed-in staff member: self and guardian check-ins come through the personal link")
	}
	res, err := s.db.RecordCheckin(r.Context(), rq.scope(), &c, s.checkinRules(), s.thresholds, rq.lang)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if !res.Replayed && res.Checkin.Revision == 1 {
		code = http.StatusCreated
	}
	writeJSON(w, code, checkinJSON{ID: res.Checkin.ID, Status: res.Status.Level, Reasons: res.Status.Reasons,
		Revision: res.Checkin.Revision, Syndromes: res.Checkin.Syndromes, Replayed: res.Replayed})
	return nil
}

func (s *Server) apiDaily(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	date := r.URL.Query().Get("date")
	if date == "" {
		date = s.today()
	}
	d, err := s.db.DailySummary(r.Context(), rq.scope(), id, date, r.URL.Query().Get("slot"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiPersonStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	st, err := s.db.PersonStatus(r.Context(), rq.scope(), id, rq.lang)
	if err != nil {
		return err
	}
	if !rq.scope().CanRecordHealth() {
		// A guard needs the status and its reasons at the gate, not the
		// person's addresses, notes and temperatures of two weeks.
		writeJSON(w, http.StatusOK, map[string]any{"status": st.Level, "reasons": st.Reasons, "history": []any{}, "checkins": []any{}})
		return nil
	}
	hist, err := s.db.StatusHistory(r.Context(), rq.scope(), id, 50, rq.lang)
	if err != nil {
		return err
	}
	since := s.now().In(s.loc).AddDate(0, 0, -14).Format(time.DateOnly)
	checkins, err := s.db.Checkins(r.Context(), rq.scope(), id, since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": st.Level, "reasons": st.Reasons, "history": hist, "checkins": checkins})
	return nil
}

func (s *Server) apiCreateAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		PersonID            int64    `json:"person_id"`
		StartDate           string   `json:"start_date"`
		OnsetDate           string   `json:"onset_date"`
		Symptoms            []string `json:"symptoms"`
		SawDoctor           bool     `json:"saw_doctor"`
		Hospital            string   `json:"hospital"`
		Diagnosis           string   `json:"diagnosis"`
		ReturnDate          string   `json:"return_date"`
		CertificateRequired bool     `json:"certificate_required"`
		Note                string   `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a := &domain.Absence{PersonID: in.PersonID, StartDate: in.StartDate, OnsetDate: in.OnsetDate, Symptoms: in.Symptoms,
		SawDoctor: in.SawDoctor, Hospital: in.Hospital, Diagnosis: in.Diagnosis, ReturnDate: in.ReturnDate,
		CertificateRequired: in.CertificateRequired, Note: in.Note, ReportedBy: rq.acc.Username, Source: string(rq.acc.Role)}
	if err := s.db.CreateAbsence(r.Context(), rq.scope(), a, s.today()); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiAbsences(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	org, err := queryID(q, "org")
	if err != nil {
		return err
	}
	limit, err := limitOf(q)
	if err != nil {
		return err
	}
	offset, err := offsetOf(q)
	if err != nil {
		return err
	}
	// One more than a page tells whether there is a next one.
	found, err := s.db.Absences(r.Context(), rq.scope(), store.AbsenceQuery{OrgID: org, Date: q.Get("date"), OpenOnly: q.Get("open") == "1",
		Limit: limit + 1, Offset: offset})
	if err != nil {
		return err
	}
	out := list[*domain.Absence]{Items: found}
	if len(found) > limit {
		out.Items, out.Next = found[:limit], nextURL(r, "offset", int64(offset+limit))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := s.db.Absence(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiUpdateAbsence(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var u store.AbsenceUpdate
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	a, err := s.db.UpdateAbsence(r.Context(), rq.scope(), id, u, displayName(rq.acc), s.today())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func displayName(a *domain.Account) string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

// gateResult is the answer to a gate scan (SPEC §4.2).
type gateResult struct {
	ID       int64           `json:"id,omitempty"`
	Decision string          `json:"decision"`
	Person   *gatePerson     `json:"person"`
	Status   status.Level    `json:"status"`
	Reasons  []status.Reason `json:"reasons"`
}

// gatePerson is what a guard sees: no photo, a masked identity hint.
type gatePerson struct {
	ID             int64  `json:"id"`
	ExternalID     string `json:"external_id"`
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	OrgName        string `json:"org_name"`
	IDNumberMasked string `json:"id_number_masked"`
}

type gateInput struct {
	Gate         string   `json:"gate"`
	Token        string   `json:"token"`
	ExternalID   string   `json:"external_id"`
	TemperatureC *float64 `json:"temperature_c"`
	Decision     string   `json:"decision"`
	Note         string   `json:"note"`
}

// gateScan looks the person up by pass token or external id, decides and,
// with record, stores the scan. A pass token is single-use.
func (s *Server) gateScan(r *http.Request, rq *request, in gateInput, record bool) (*gateResult, error) {
	var v domain.Validation
	in.Gate = strings.TrimSpace(in.Gate)
	if in.Gate == "" {
		v.Add("gate", "required: which gate or checkpoint")
	}
	if (in.Token == "") == (in.ExternalID == "") {
		v.Add("token", "give exactly one of token and external_id")
	}
	if t := in.TemperatureC; t != nil && (*t < domain.MinTempC || *t > domain.MaxTempC) {
		v.Add("temperature_c", "must be between %.1f and %.1f °C", domain.MinTempC, domain.MaxTempC)
	}
	if in.Decision != "" && !domain.ValidDecision(in.Decision) {
		v.Add("decision", "must be allow, deny or refer")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var p *domain.Person
	var claims pass.Claims
	method := "external_id"
	if in.Token != "" {
		method = "qr"
		var err error
		claims, err = s.passes.Verify(strings.TrimSpace(in.Token))
		if err != nil {
			reason := "not a valid pass code"
			switch {
			case errors.Is(err, pass.ErrExpired):
				reason = "pass expired: ask the person to refresh their pass"
			case errors.Is(err, pass.ErrForged):
				reason = "pass code is forged or damaged"
			}
			return nil, fieldErr("token", "%s", reason)
		}
		if p, err = s.db.Person(r.Context(), rq.scope(), claims.PersonID, false); err != nil {
			return nil, domain.Errorf(domain.ENotFound, "this person is not registered at your gates")
		}
	} else {
		var err error
		if p, err = s.db.PersonByExternalID(r.Context(), rq.scope(), strings.TrimSpace(in.ExternalID)); err != nil {
			return nil, err
		}
	}
	st, err := s.db.PersonStatus(r.Context(), rq.scope(), p.ID, rq.lang)
	if err != nil {
		return nil, err
	}
	res := &gateResult{Decision: domain.GateDecision(string(st.Level), in.TemperatureC, s.thresholds), Status: st.Level, Reasons: st.Reasons,
		Person: &gatePerson{ID: p.ID, ExternalID: p.ExternalID, Name: p.Name, Kind: string(p.Kind), OrgName: p.OrgName, IDNumberMasked: p.IDNumberMasked}}
	if in.TemperatureC != nil && *in.TemperatureC >= s.thresholds.FeverC {
		res.Reasons = append(res.Reasons, status.Reason{Code: "gate_fever", Message: fmt.Sprintf(catalogs[rq.lang].T("gate.fever"), *in.TemperatureC)})
	}
	if in.Decision != "" {
		res.Decision = in.Decision
	}
	if !record {
		return res, nil
	}
	scan := &domain.GateScan{OrgID: rq.acc.OrgID, Gate: in.Gate, PersonID: &p.ID, Method: method, TemperatureC: in.TemperatureC,
		Decision: res.Decision, Status: string(st.Level), Note: in.Note, Guard: rq.acc.Username}
	var key string
	if method == "qr" {
		key = claims.ReplayKey()
	}
	if err := s.db.RecordGateScan(r.Context(), scan, key, claims.Expires); err != nil {
		return nil, err
	}
	res.ID = scan.ID
	return res, nil
}

func (s *Server) apiGateScan(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in gateInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.gateScan(r, rq, in, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}
