package web

import (
	"context"
	"net/http"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// Sign-in limits: per client address on this node, and per username in
// the database across nodes.
const (
	sessionTTL          = 12 * time.Hour
	failedSignInWindow  = 15 * time.Minute
	failedSignInsPerWin = 10
)

// signIn checks credentials, ends any session the browser already had and
// starts a new one, so a session id planted before sign-in is worthless.
func (s *Server) signIn(ctx context.Context, w http.ResponseWriter, rq *request, username, pw string) (*store.Session, error) {
	if !s.limiter.allow(rq.ip) {
		return nil, domain.Errorf(domain.ERateLimited, "too many sign-in attempts from your address; wait a minute")
	}
	if username == "" || pw == "" {
		var v domain.Validation
		if username == "" {
			v.Add("username", "required")
		}
		if pw == "" {
			v.Add("password", "required")
		}
		return nil, v.Err()
	}
	n, err := s.db.RecentFailedSignIns(ctx, username, s.now().Add(-failedSignInWindow))
	if err != nil {
		return nil, err
	}
	if n >= failedSignInsPerWin {
		return nil, domain.Errorf(domain.ERateLimited, "too many failed sign-ins for this account; wait 15 minutes")
	}
	acc, err := s.db.Authenticate(ctx, username, pw)
	if err != nil {
		if domain.ErrorCode(err) == domain.EUnauthenticated {
			s.audit(ctx, rq, domain.AuditEntry{Username: username, Action: domain.AuditSignInFailed})
		}
		return nil, err
	}
	if rq.token != "" {
		if err := s.db.DeleteSession(ctx, rq.token); err != nil {
			return nil, err
		}
	}
	token, sess, err := s.db.CreateSession(ctx, acc.ID, sessionTTL)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure, Expires: sess.ExpiresAt})
	rq.acc, rq.session, rq.token = sess.Account, sess, token
	s.audit(ctx, rq, domain.AuditEntry{Action: domain.AuditSignIn})
	return sess, nil
}

func (s *Server) signOut(ctx context.Context, w http.ResponseWriter, rq *request) error {
	if rq.token != "" {
		if err := s.db.DeleteSession(ctx, rq.token); err != nil {
			return err
		}
		s.audit(ctx, rq, domain.AuditEntry{Action: domain.AuditSignOut})
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure, MaxAge: -1})
	return nil
}

// audit writes an audit entry as the caller; a failure is logged, not
// returned, because the action it records has already happened.
func (s *Server) audit(ctx context.Context, rq *request, e domain.AuditEntry) {
	if rq.acc != nil {
		e.AccountID = &rq.acc.ID
		e.Username = rq.acc.Username
	}
	e.IP = rq.ip
	if err := s.db.Audit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit write failed", "action", e.Action, "err", err)
	}
}

type sessionJSON struct {
	CSRFToken string          `json:"csrf_token"`
	User      *domain.Account `json:"user"`
}

func (s *Server) apiSignIn(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess, err := s.signIn(r.Context(), w, rq, in.Username, in.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sessionJSON{CSRFToken: sess.CSRFToken, User: sess.Account})
	return nil
}

func (s *Server) apiSession(w http.ResponseWriter, r *http.Request, rq *request) error {
	out := sessionJSON{User: rq.acc}
	if rq.session != nil {
		out.CSRFToken = rq.session.CSRFToken
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSignOut(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.signOut(r.Context(), w, rq); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
