// Package web serves EpiGuard's server-rendered pages and its JSON API
// (SPEC §4.2) over the store. Handlers stay thin: validation and scope
// rules live in the domain and the store.
package web

import (
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"epiguard/internal/alerting"
	"epiguard/internal/domain"
	"epiguard/internal/notify"
	"epiguard/internal/pass"
	"epiguard/internal/store"
)

//go:embed templates static openapi.json
var assets embed.FS

// Config is what the web layer needs from its caller.
type Config struct {
	DB     *store.DB
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Location is the installation's time zone for dates (SPEC §4.2).
	Location *time.Location
	// SecureCookies sets the Secure flag; on when served over TLS or
	// behind a TLS-terminating proxy.
	SecureCookies bool
	// Version is shown in the footer and in /metrics.
	Version string
	// Demo makes the sign-in page show the demo accounts.
	Demo bool
	// PassKey signs gate passes; derive it from the master key so every
	// node has the same (secret.Box.DerivedKey("gate pass")).
	PassKey []byte
	// Thresholds are the temperature cut-offs (SPEC §5.1).
	Thresholds domain.Thresholds
	// Deliverer sends a channel's test message; when nil, one without a
	// base URL is built over DB.
	Deliverer *alerting.Deliverer
	// AllowLoopbackTargets accepts notification channels on this machine
	// (http://127.0.0.1/…): for tests and local development only.
	AllowLoopbackTargets bool
	// Alerts holds the cluster rules and calendars the settings pages edit;
	// when nil, one over DB is built.
	Alerts *alerting.Service
}

// Server holds the handlers' dependencies.
type Server struct {
	db      *store.DB
	log     *slog.Logger
	now     func() time.Time
	loc     *time.Location
	secure  bool
	version string
	demo    bool
	pages   *pages
	metrics *metrics
	limiter *ipLimiter
	routes  []route
	passes  *pass.Signer
	// thresholds are the temperature cut-offs of syndromes and the gate.
	thresholds domain.Thresholds
	mux        *http.ServeMux
	started    time.Time
	// tokens remembers bearer tokens' accounts for a few seconds (middleware.go).
	tokens tokenCache

	// deliverer sends test messages to notification channels.
	deliverer *alerting.Deliverer
	// alerts reads and saves the cluster rules and school calendars.
	alerts        *alerting.Service
	allowLoopback bool
}

// New builds the server and parses its templates; a template error is a
// start-up error, never a runtime one.
func New(cfg Config) (*Server, error) {
	s := &Server{db: cfg.DB, log: cfg.Logger, now: cfg.Now, loc: cfg.Location, secure: cfg.SecureCookies,
		version: cfg.Version, demo: cfg.Demo}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil && s.db != nil {
		// The store's zone, so that pages and records agree on dates.
		s.loc = s.db.Location()
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	s.started = s.now()
	s.thresholds = cfg.Thresholds
	if s.thresholds.FeverC == 0 {
		s.thresholds = domain.DefaultThresholds
	}
	if len(cfg.PassKey) < 32 {
		return nil, fmt.Errorf("web: PassKey must have at least 32 bytes")
	}
	s.passes = pass.NewSigner(cfg.PassKey, s.now)
	s.allowLoopback = cfg.AllowLoopbackTargets
	s.deliverer = cfg.Deliverer
	if s.deliverer == nil {
		s.deliverer = &alerting.Deliverer{DB: cfg.DB, Sender: notify.NewSender(cfg.AllowLoopbackTargets), Log: s.log}
	}
	s.alerts = cfg.Alerts
	if s.alerts == nil {
		s.alerts = &alerting.Service{DB: cfg.DB, Log: s.log, Loc: s.loc, Now: s.now}
	}
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics()
	s.limiter = newIPLimiter(20, time.Minute, s.now)
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, r := range s.routes {
		s.mux.Handle(strings.TrimSpace(r.method+" "+r.pattern), s.wrap(r))
	}
	return s, nil
}

// Handler returns the root handler with the common middleware.
func (s *Server) Handler() http.Handler {
	return s.recoverer(s.secureHeaders(s.mux))
}
