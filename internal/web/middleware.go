package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

const sessionCookie = "epiguard_session"

// request is what the middleware learnt about a request.
type request struct {
	acc     *domain.Account // nil when not signed in
	session *store.Session  // nil for bearer tokens
	token   string          // the session cookie's value
	lang    string
	ip      string
}

func (rq *request) scope() domain.Scope {
	if rq.acc == nil {
		return domain.Scope{Path: "\x00"} // matches nothing
	}
	return rq.acc.Scope()
}

// wrap applies authentication, authorisation, CSRF checks, metrics and
// error rendering to one route.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		rq := &request{lang: langOf(r), ip: clientIP(r)}
		err := s.authenticate(r, rq)
		if err == nil {
			err = s.authorise(r, rt, rq)
		}
		if err == nil {
			err = rt.handler(sw, r, rq)
		}
		if err != nil {
			s.fail(sw, r, rq, rt.api, err)
		}
		s.metrics.observe(rt.method+" "+rt.pattern, sw.status, time.Since(start))
	})
}

func (s *Server) authenticate(r *http.Request, rq *request) error {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return domain.Errorf(domain.EUnauthenticated, "Authorization must be Bearer TOKEN")
		}
		acc, err := s.db.AccountByAPIToken(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			return err
		}
		rq.acc = acc
		return nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	sess, err := s.db.Session(r.Context(), c.Value)
	if domain.ErrorCode(err) == domain.EUnauthenticated {
		return nil // a stale cookie is the same as none
	}
	if err != nil {
		return err
	}
	rq.acc, rq.session, rq.token = sess.Account, sess, c.Value
	return nil
}

func (s *Server) authorise(r *http.Request, rt route, rq *request) error {
	if rt.access == public {
		return nil
	}
	if rq.acc == nil {
		return domain.Errorf(domain.EUnauthenticated, "sign in first")
	}
	if !rt.access.allowed(rq.acc.Role) {
		return domain.Errorf(domain.EForbidden, "your role (%s) may not do this", rq.acc.Role)
	}
	if rq.session != nil && unsafeMethod(r.Method) {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" && !rt.api {
			got = r.PostFormValue("csrf_token")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(rq.session.CSRFToken)) != 1 {
			return domain.Errorf(domain.EForbidden, "missing or wrong CSRF token")
		}
	}
	return nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// httpStatus maps error codes to HTTP status, once for the whole server.
var httpStatus = map[string]int{
	domain.EInvalid:         http.StatusBadRequest,
	domain.EUnauthenticated: http.StatusUnauthorized,
	domain.EForbidden:       http.StatusForbidden,
	domain.ENotFound:        http.StatusNotFound,
	domain.EConflict:        http.StatusConflict,
	domain.ERateLimited:     http.StatusTooManyRequests,
	domain.EInternal:        http.StatusInternalServerError,
}

// fail renders err: JSON for the API, a page (or a redirect to sign-in)
// otherwise. Internal detail is logged here, once, and never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, api bool, err error) {
	code := domain.ErrorCode(err)
	status := httpStatus[code]
	if errors.Is(err, context.Canceled) {
		return
	}
	if code == domain.EInternal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if api {
		writeJSON(w, status, errorBody(err))
		return
	}
	if code == domain.EUnauthenticated {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.renderError(w, r, rq, status, err)
}

type errorJSON struct {
	Error struct {
		Code    string              `json:"code"`
		Message string              `json:"message"`
		Fields  []domain.FieldError `json:"fields"`
	} `json:"error"`
}

func errorBody(err error) errorJSON {
	var b errorJSON
	b.Error.Code = domain.ErrorCode(err)
	b.Error.Message = domain.ErrorMessage(err)
	b.Error.Fields = domain.ErrorFields(err)
	if b.Error.Fields == nil {
		b.Error.Fields = []domain.FieldError{}
	}
	return b
}

// secureHeaders sets the headers every response carries (SPEC §7.3).
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a 500 so one bad request cannot take the
// server down.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, errorBody(domain.Errorf(domain.EInternal, "internal error")))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ipLimiter is a fixed-window counter per client address. It guards
// sign-in on this node; the per-username limit in the database covers
// attackers spread over nodes.
type ipLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	hits   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newIPLimiter(limit int, per time.Duration, now func() time.Time) *ipLimiter {
	return &ipLimiter{limit: limit, window: per, now: now, hits: map[string]*window{}}
}

// allow counts a hit for key and reports whether it is within the limit.
func (l *ipLimiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.hits) > 10000 {
		for k, w := range l.hits {
			if now.Sub(w.start) > l.window {
				delete(l.hits, k)
			}
		}
	}
	w := l.hits[key]
	if w == nil || now.Sub(w.start) > l.window {
		w = &window{start: now}
		l.hits[key] = w
	}
	w.n++
	return w.n <= l.limit
}
