package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/store"
)

// peopleQuery reads the list filters shared by the API and the page.
func peopleQuery(r *http.Request) (store.PeopleQuery, error) {
	q := r.URL.Query()
	var pq store.PeopleQuery
	var err error
	if pq.OrgID, err = queryID(q, "org"); err != nil {
		return pq, err
	}
	if pq.After, err = queryID(q, "after"); err != nil {
		return pq, err
	}
	if pq.Limit, err = limitOf(q); err != nil {
		return pq, err
	}
	pq.Q = strings.TrimSpace(q.Get("q"))
	if k := q.Get("kind"); k != "" {
		pq.Kind = domain.PersonKind(k)
		if !pq.Kind.Valid() {
			return pq, fieldErr("kind", "must be student, staff, resident or visitor")
		}
	}
	pq.Tag = q.Get("tag")
	return pq, nil
}

func (s *Server) apiPeople(w http.ResponseWriter, r *http.Request, rq *request) error {
	pq, err := peopleQuery(r)
	if err != nil {
		return err
	}
	people, total, err := s.db.People(r.Context(), rq.scope(), pq)
	if err != nil {
		return err
	}
	out := list[*domain.Person]{Items: people, Total: &total}
	if len(people) == pq.Limit {
		out.Next = nextURL(r, "after", people[len(people)-1].ID)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// personDetail is a person with their guardians.
type personDetail struct {
	*domain.Person
	Guardians []store.Guardian `json:"guardians"`
}

func (s *Server) apiPerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.person(r, rq)
	if err != nil {
		return err
	}
	gs, err := s.db.Guardians(r.Context(), rq.scope(), p.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, personDetail{p, gs})
	return nil
}

// person loads the {id} person, unmasked (and audited) when the query
// asks for it.
func (s *Server) person(r *http.Request, rq *request) (*domain.Person, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	unmask := r.URL.Query().Get("unmask") == "1"
	p, err := s.db.Person(r.Context(), rq.scope(), id, unmask)
	if err != nil {
		return nil, err
	}
	if unmask {
		s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditUnmask, Target: fmt.Sprintf("person:%d", id),
			Detail: p.ExternalID + " " + p.Name})
	}
	return p, nil
}

type personInput struct {
	ExternalID    string   `json:"external_id"`
	Name          string   `json:"name"`
	Kind          string   `json:"kind"`
	OrgID         int64    `json:"org_id"`
	Gender        string   `json:"gender"`
	BirthDate     string   `json:"birth_date"`
	IDNumber      string   `json:"id_number"`
	Phone         string   `json:"phone"`
	GuardianName  string   `json:"guardian_name"`
	GuardianPhone string   `json:"guardian_phone"`
	Tags          []string `json:"tags"`
}

func (in personInput) person() *domain.Person {
	return &domain.Person{ExternalID: in.ExternalID, Name: in.Name, Kind: domain.PersonKind(in.Kind), OrgID: in.OrgID,
		Gender: in.Gender, BirthDate: in.BirthDate, IDNumber: in.IDNumber, Phone: in.Phone,
		GuardianName: in.GuardianName, GuardianPhone: in.GuardianPhone, Tags: in.Tags}
}

func (s *Server) apiCreatePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in personInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p := in.person()
	if err := s.db.CreatePerson(r.Context(), rq.scope(), p); err != nil {
		return err
	}
	p.IDNumber, p.Phone, p.GuardianPhone = "", "", ""
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("person:%d", p.ID), Detail: "created " + p.ExternalID})
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiUpdatePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var u store.PersonUpdate
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	p, err := s.db.UpdatePerson(r.Context(), rq.scope(), id, u)
	if err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("person:%d", id), Detail: "updated " + p.ExternalID})
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiRotateToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	tok, err := s.db.RotatePersonToken(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("person:%d", id), Detail: "personal link rotated"})
	writeJSON(w, http.StatusOK, map[string]string{"token": tok, "url": "/p/" + tok})
	return nil
}

func (s *Server) apiRotateGuardianToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	_, _, tok, err := s.rotateGuardianToken(r, rq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok, "url": "/p/" + tok})
	return nil
}

// rotateGuardianToken issues a new link to the guardian of
// /…/people/{id}/guardians/{gid}/… and audits it, for the API and the page.
func (s *Server) rotateGuardianToken(r *http.Request, rq *request) (id, gid int64, tok string, err error) {
	if id, err = pathID(r); err != nil {
		return 0, 0, "", err
	}
	gid, perr := strconv.ParseInt(r.PathValue("gid"), 10, 64)
	if perr != nil || gid <= 0 {
		return 0, 0, "", domain.Errorf(domain.ENotFound, "no such guardian")
	}
	if tok, err = s.db.RotateGuardianToken(r.Context(), rq.scope(), id, gid); err != nil {
		return 0, 0, "", err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("person:%d", id), Detail: fmt.Sprintf("guardian %d link rotated", gid)})
	return id, gid, tok, nil
}

// importReportJSON is the import report as the API answers it.
type importReportJSON struct {
	*store.ImportReport
	Lines   []string `json:"lines"`
	Summary string   `json:"summary"`
}

func reportJSON(rep *store.ImportReport) importReportJSON {
	lines := make([]string, len(rep.Problems))
	for i, p := range rep.Problems {
		lines[i] = p.String()
	}
	if rep.Problems == nil {
		rep.Problems = []roster.Problem{}
	}
	return importReportJSON{rep, lines, rep.Summary()}
}

// maxUpload is the largest request an import accepts: the file limit plus
// room for the multipart framing.
const maxUpload = roster.MaxBytes + 1<<20

// runImport reads a multipart import request (file, org, skip_invalid)
// and imports it.
func (s *Server) runImport(r *http.Request, rq *request) (*store.ImportReport, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxUpload)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fieldErr("file", "file too large (limit %d MB)", roster.MaxBytes>>20)
		}
		return nil, fieldErr("file", "a multipart/form-data upload with a file is required")
	}
	defer r.MultipartForm.RemoveAll()
	org, err := s.importOrg(r, rq)
	if err != nil {
		return nil, err
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return nil, fieldErr("file", "required")
	}
	defer f.Close()
	res, err := roster.Parse(f, hdr.Filename)
	if err != nil {
		return nil, &domain.Error{Code: domain.EInvalid, Message: domain.ErrorMessage(err),
			Fields: []domain.FieldError{{Field: "file", Message: domain.ErrorMessage(err)}}}
	}
	skip := r.FormValue("skip_invalid")
	rep, err := s.db.ImportPeople(r.Context(), rq.scope(), org.ID, res, skip == "1" || skip == "true" || skip == "on")
	if err != nil {
		return nil, err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditImport, Target: "org:" + org.Code,
		Detail: hdr.Filename + ": " + rep.Summary()})
	return rep, nil
}

// importOrg reads the org field: a unit id or code.
func (s *Server) importOrg(r *http.Request, rq *request) (*domain.Org, error) {
	v := strings.TrimSpace(r.FormValue("org"))
	if v == "" {
		return nil, fieldErr("org", "required: the unit id or code to import under")
	}
	var id int64
	if _, err := fmt.Sscan(v, &id); err == nil && fmt.Sprint(id) == v {
		if o, err := s.db.Org(r.Context(), rq.scope(), id); err == nil {
			return o, nil
		}
	}
	o, err := s.db.OrgByCode(r.Context(), rq.scope(), v)
	if err != nil {
		return nil, fieldErr("org", "no unit %q in your scope", v)
	}
	return o, nil
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := s.runImport(r, rq)
	if err != nil {
		return err
	}
	if !rep.Written {
		body := errorBody(domain.Errorf(domain.EInvalid, "%d invalid rows: nothing was imported", rep.Invalid))
		writeJSON(w, http.StatusUnprocessableEntity, struct {
			errorJSON
			Report importReportJSON `json:"report"`
		}{body, reportJSON(rep)})
		return nil
	}
	writeJSON(w, http.StatusOK, reportJSON(rep))
	return nil
}
