package web

import (
	"fmt"
	"net/http"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

func (s *Server) apiOrgs(w http.ResponseWriter, r *http.Request, rq *request) error {
	parent, err := queryID(r.URL.Query(), "parent")
	if err != nil {
		return err
	}
	orgs, err := s.db.Orgs(r.Context(), rq.scope(), parent)
	if err != nil {
		return err
	}
	page, err := pageOf(r, orgs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.db.Org(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	if err := s.db.CountBelow(r.Context(), o); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiCreateOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	var o domain.Org
	var in struct {
		ParentID    *int64               `json:"parent_id"`
		Kind        domain.OrgKind       `json:"kind"`
		Code        string               `json:"code"`
		Name        string               `json:"name"`
		Responsible []domain.Responsible `json:"responsible"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o = domain.Org{ParentID: in.ParentID, Kind: in.Kind, Code: in.Code, Name: in.Name, Responsible: in.Responsible}
	if o.Responsible == nil {
		o.Responsible = []domain.Responsible{}
	}
	if err := s.db.CreateOrg(r.Context(), rq.scope(), &o); err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", o.ID), Detail: "created " + o.Code})
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) apiUpdateOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var u store.OrgUpdate
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	o, err := s.db.UpdateOrg(r.Context(), rq.scope(), id, u)
	if err != nil {
		return err
	}
	if err := s.db.CountBelow(r.Context(), o); err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", o.ID), Detail: "updated " + o.Code})
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiDeleteOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.db.DeleteOrg(r.Context(), rq.scope(), id); err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", id), Detail: "deleted"})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
