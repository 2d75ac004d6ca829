package web

import (
	"fmt"
	"net/http"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

func (s *Server) apiAccounts(w http.ResponseWriter, r *http.Request, rq *request) error {
	accs, err := s.db.Accounts(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	page, err := pageOf(r, accs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiCreateAccount(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Password    string `json:"password"`
		Role        string `json:"role"`
		OrgID       int64  `json:"org_id"`
		PersonLevel bool   `json:"person_level"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a := &domain.Account{Username: in.Username, DisplayName: in.DisplayName, Role: domain.Role(in.Role), OrgID: in.OrgID, PersonLevel: in.PersonLevel}
	if err := s.db.CreateAccount(r.Context(), rq.scope(), a, in.Password); err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("account:%d", a.ID),
		Detail: fmt.Sprintf("created %s (%s)", a.Username, a.Role)})
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiUpdateAccount(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var u store.AccountUpdate
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	a, err := s.db.UpdateAccount(r.Context(), rq.scope(), id, u)
	if err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("account:%d", id), Detail: "updated " + a.Username})
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, rq *request) error {
	toks, err := s.db.APITokens(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	page, err := pageOf(r, toks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		AccountID int64  `json:"account_id"`
		Name      string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	raw, t, err := s.db.CreateAPIToken(r.Context(), rq.scope(), in.AccountID, in.Name)
	if err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("api_token:%d", t.ID),
		Detail: fmt.Sprintf("issued %q for %s", t.Name, t.Username)})
	writeJSON(w, http.StatusCreated, struct {
		*domain.APIToken
		Token string `json:"token"`
	}{t, raw})
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.db.RevokeAPIToken(r.Context(), rq.scope(), id); err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("api_token:%d", id), Detail: "revoked"})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	limit, err := limitOf(q)
	if err != nil {
		return err
	}
	before, err := queryID(q, "before")
	if err != nil {
		return err
	}
	entries, err := s.db.AuditLog(r.Context(), rq.scope(), store.AuditQuery{Action: q.Get("action"), Username: q.Get("username"), Before: before, Limit: limit})
	if err != nil {
		return err
	}
	out := list[*domain.AuditEntry]{Items: entries}
	if len(entries) == limit {
		out.Next = nextURL(r, "before", entries[len(entries)-1].ID)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
