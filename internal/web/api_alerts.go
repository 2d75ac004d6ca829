package web

import (
	"encoding/json"
	"net/http"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// alertJSON is an alert as the API answers it: the stored alert and
// whether its report deadline has passed while it is still active.
type alertJSON struct {
	*store.Alert
	ReportOverdue bool `json:"report_overdue"`
}

// alertDetailJSON adds the unit's recent days of the alert's subject (what
// the alert page draws) and the people behind it: a list, perhaps empty,
// for callers who see people, and no field at all for aggregates-only
// viewers.
type alertDetailJSON struct {
	alertJSON
	People *[]store.SubjectPerson `json:"people,omitempty"`
	Series []seriesPoint          `json:"series"`
}

// apiAlerts lists the alerts of the caller's scope, newest first, paged
// by id.
func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := alertReader(rq); err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := limitOf(q)
	if err != nil {
		return err
	}
	orgID, err := queryID(q, "org")
	if err != nil {
		return err
	}
	before, err := queryID(q, "before")
	if err != nil {
		return err
	}
	alerts, err := s.db.Alerts(r.Context(), rq.scope(), store.AlertQuery{OrgID: orgID, State: q.Get("state"), BeforeID: before, Limit: limit})
	if err != nil {
		return err
	}
	out := list[alertJSON]{Items: make([]alertJSON, 0, len(alerts))}
	names := s.ruleNames(r.Context())
	for _, a := range alerts {
		out.Items = append(out.Items, alertJSON{s.alertFor(rq.scope(), a, names), s.reportOverdue(a)})
	}
	if len(alerts) == limit {
		out.Next = nextURL(r, "before", alerts[len(alerts)-1].ID)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := alertReader(rq); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := s.db.Alert(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	return s.writeAlert(w, r, rq, a)
}

// apiAlertTransition moves an alert along its lifecycle, adds a note or
// assigns it (SPEC §4.2: {"to","note"}, plus "conclusion" to close and
// "assignee_id"), and answers the alert as it now is.
func (s *Server) apiAlertTransition(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var c store.AlertChange
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	a, err := s.db.ChangeAlert(r.Context(), rq.scope(), id, c, displayName(rq.acc))
	if err != nil {
		return err
	}
	return s.writeAlert(w, r, rq, a)
}

func (s *Server) writeAlert(w http.ResponseWriter, r *http.Request, rq *request, a *store.Alert) error {
	series, err := s.alertSeries(r.Context(), a)
	if err != nil {
		return err
	}
	out := alertDetailJSON{alertJSON: alertJSON{s.alertFor(rq.scope(), a, s.ruleNames(r.Context())), s.reportOverdue(a)}, Series: series}
	if rq.scope().PersonLevel {
		people := a.People
		if people == nil {
			people = []store.SubjectPerson{}
		}
		out.People = &people
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// alertFor returns the alert as an account of scope sc may read it, in the
// API and on the pages. An alert about a single case raised before its
// texts named the unit only named the person in its title and detail; an
// account without person-level access gets them without the name.
func (s *Server) alertFor(sc domain.Scope, a *store.Alert, names map[string]ruleInfo) *store.Alert {
	if sc.PersonLevel || a.Source != "rule" || !names[a.Code].Person {
		return a
	}
	c := *a
	zh, en := catalogs[langZH], catalogs[langEN]
	c.Title = zh.F("alert.title.case", a.OrgName, subjectName(zh, a.Subject))
	c.TitleEN = en.F("alert.title.case", a.OrgName, subjectName(en, a.Subject))
	var detail map[string]any
	if json.Unmarshal(a.Detail, &detail) == nil {
		detail["text_zh"], detail["text_en"] = c.Title, c.TitleEN
		c.Detail, _ = json.Marshal(detail)
	}
	return &c
}
