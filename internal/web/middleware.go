package web

import (
	"context"
	"crypto/sha256"
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
			// Only admins change accounts, tokens and units, which are
			// what a remembered bearer token stands for: while such a
			// change runs, and after it, tokens are looked up afresh.
			if rt.access == adminOnly && unsafeMethod(r.Method) {
				s.tokens.beginChange()
				defer s.tokens.endChange()
			}
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
		// The scheme name is case-insensitive (RFC 9110 §11.1), and some
		// device firmware sends "bearer".
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return domain.Errorf(domain.EUnauthenticated, "Authorization must be Bearer TOKEN")
		}
		tok = strings.TrimSpace(tok)
		key := sha256.Sum256([]byte(tok))
		now := s.now()
		if acc, ok := s.tokens.get(key, now); ok {
			rq.acc = acc
			return nil
		}
		gen := s.tokens.generation()
		acc, err := s.db.AccountByAPIToken(r.Context(), tok)
		if err != nil {
			return err
		}
		s.tokens.put(key, acc, gen, now)
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

// tokenTTL is how long a bearer token's account is remembered. A token
// revoked, or an account or unit changed, through this server takes effect
// at once (see wrap); one changed elsewhere (another node, the command
// line) within tokenTTL.
const tokenTTL = 5 * time.Second

// maxTokens bounds the remembered tokens; past it they are all forgotten.
const maxTokens = 10_000

// tokenCache remembers the accounts of bearer tokens for tokenTTL: a gate
// or an integration sends many requests a second with the same token, and
// looking it up costs a database read each time. Tokens are keyed by their
// SHA-256, so the cache holds no token in clear; unknown tokens are never
// remembered. The zero value is ready to use.
type tokenCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]tokenEntry
	// gen counts the changes that emptied the cache: an account read
	// before one is not remembered after it.
	gen uint64
	// changing counts admin changes under way; meanwhile nothing is
	// served from the cache or put in it.
	changing int
}

type tokenEntry struct {
	acc *domain.Account
	at  time.Time
}

// get returns a copy of the account remembered for key, if any and fresh.
func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (*domain.Account, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.changing > 0 || now.Sub(e.at) >= tokenTTL || now.Before(e.at) {
		return nil, false
	}
	acc := *e.acc // handlers may change theirs
	return &acc, true
}

// generation returns the generation to pass to put.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put remembers acc for key unless the cache was emptied since gen was
// read, or a change is under way.
func (c *tokenCache) put(key [sha256.Size]byte, acc *domain.Account, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.changing > 0 {
		return
	}
	if c.m == nil || len(c.m) >= maxTokens {
		c.m = map[[sha256.Size]byte]tokenEntry{}
	}
	a := *acc
	c.m[key] = tokenEntry{acc: &a, at: now}
}

// beginChange empties the cache and keeps it out of use until the
// matching endChange, which empties it again.
func (c *tokenCache) beginChange() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changing++
	c.m, c.gen = nil, c.gen+1
}

func (c *tokenCache) endChange() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changing--
	c.m, c.gen = nil, c.gen+1
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
