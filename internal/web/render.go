package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"epiguard/internal/domain"
)

// pages holds one template set per page: the layout plus the page, parsed
// once at start-up.
type pages struct {
	sets map[string]*template.Template
}

// assetVersion is a content hash appended to asset URLs so browsers may
// cache them for good.
var assetVersion = func() string {
	h := sha256.New()
	fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assets.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

var funcs = template.FuncMap{
	"asset": func(name string) string { return "/static/" + name + "?v=" + assetVersion },
	"join":  strings.Join,
	"add":   func(a, b int) int { return a + b },
	"deref": func(f *float64) float64 { return *f },
	"pct": func(a, b int) string {
		if b == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
	},
	"slots":        func() []string { return []string{domain.SlotMorning, domain.SlotNoon, domain.SlotEvening} },
	"symptomCells": symptomCells,
	"childRows":    childRows,
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		p.sets[base] = t
	}
	return p, nil
}

// navItem is one entry of the role-dependent navigation.
type navItem struct {
	Href, Key string
	Current   bool
	// Badge is a count shown beside the entry (active alerts), with
	// BadgeKey the pattern that says it to screen readers.
	Badge    int
	BadgeKey string
}

// view is the data every page template gets; Data is the page's own.
type view struct {
	L       *catalog
	Lang    string
	Title   string
	User    *domain.Account
	CSRF    string
	Nav     []navItem
	Notice  string
	Error   string
	Fields  []domain.FieldError
	Demo    bool
	Version string
	Path    string
	Data    any
	loc     *time.Location
}

// FieldErr is the error of the form input named name, "" when it has
// none: pages show it beside the input and mark the input invalid.
func (v view) FieldErr(name string) string {
	for _, f := range v.Fields {
		if f.Input == name || f.Input == "" && f.Field == name {
			return f.Message
		}
	}
	return ""
}

// Time shows a moment in the installation's time zone (SPEC §4.2), in the
// page's language: templates use it rather than L.Time, so that no page
// can show a stored UTC time as it is.
func (v view) Time(t time.Time) string { return v.L.Time(t.In(v.loc)) }

func (s *Server) nav(ctx context.Context, rq *request, path string) []navItem {
	if rq.acc == nil {
		return nil
	}
	sc := rq.scope()
	items := []navItem{{Href: "/", Key: "nav.home"}, {Href: "/orgs", Key: "nav.orgs"},
		{Href: fmt.Sprintf("/orgs/%d/daily", sc.OrgID), Key: "nav.daily"}}
	if sc.PersonLevel {
		items = append(items, navItem{Href: "/people", Key: "nav.people"})
	}
	if alertReader(rq) == nil {
		// The count is a convenience: a failure leaves the entry bare
		// rather than failing the page.
		n, err := s.db.CountActiveAlerts(ctx, sc)
		if err != nil {
			s.log.Warn("count active alerts", "err", err)
		}
		items = append(items, navItem{Href: "/alerts", Key: "alert.nav", Badge: n, BadgeKey: "alert.nav.badge"})
	}
	switch rq.acc.Role {
	case domain.RoleTeacher:
		items = append(items, navItem{Href: fmt.Sprintf("/orgs/%d/roll", sc.OrgID), Key: "roll.nav"},
			navItem{Href: fmt.Sprintf("/absences?org=%d&open=1", sc.OrgID), Key: "absence.nav"})
	case domain.RoleAdmin, domain.RoleHealth:
		items = append(items, navItem{Href: "/absences?open=1", Key: "absence.nav"})
	}
	if rq.acc.Role == domain.RoleHealth {
		// Health officers read the rules their alerts come from; admins
		// find them with the other settings below.
		items = append(items, navItem{Href: "/cluster-rules", Key: "crules.nav"})
	}
	switch rq.acc.Role {
	case domain.RoleGuard, domain.RoleAdmin, domain.RoleHealth:
		items = append(items, navItem{Href: "/gate", Key: "gate.nav"})
	}
	if editors.allowed(rq.acc.Role) {
		items = append(items, navItem{Href: "/import", Key: "nav.import"})
	}
	items = append(items, navItem{Href: "/inbox", Key: "nav.inbox"})
	if adminOnly.allowed(rq.acc.Role) {
		items = append(items, navItem{Href: "/accounts", Key: "nav.accounts"}, navItem{Href: "/tokens", Key: "nav.tokens"},
			navItem{Href: "/rules", Key: "nav.rules"}, navItem{Href: "/cluster-rules", Key: "crules.nav"}, navItem{Href: "/channels", Key: "channel.nav"}, navItem{Href: "/audit", Key: "nav.audit"})
	}
	// Only the entry that matches the path most closely is current: the
	// roll (/orgs/4/roll) lies under the org tree (/orgs) too, and two
	// current entries tell neither the eye nor a screen reader where it is.
	best, bestLen := -1, 0
	for i := range items {
		h, _, _ := strings.Cut(items[i].Href, "?")
		if (path == h || (h != "/" && strings.HasPrefix(path, h+"/"))) && len(h) > bestLen {
			best, bestLen = i, len(h)
		}
	}
	if best >= 0 {
		items[best].Current = true
	}
	return items
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name, titleKey string, data any, formErr error) error {
	t, ok := s.pages.sets[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	v := view{L: catalogs[rq.lang], Lang: rq.lang, User: rq.acc, Nav: s.nav(r.Context(), rq, r.URL.Path), Demo: s.demo,
		Version: s.version, Path: r.URL.RequestURI(), Data: data, loc: s.loc}
	v.Title = v.L.T(titleKey)
	if rq.session != nil {
		v.CSRF = rq.session.CSRFToken
	}
	if formErr != nil {
		code := domain.ErrorCode(formErr)
		if code == domain.EInternal {
			return formErr
		}
		v.Error = domain.ErrorMessage(formErr)
		v.Fields = domain.ErrorFields(formErr)
		if status == http.StatusOK {
			status = httpStatus[code]
		}
	}
	if n := r.URL.Query().Get("notice"); n != "" {
		if hasMessage(n) {
			v.Notice = v.L.T(n)
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

type errorPage struct {
	Status  int
	Heading string
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, rq *request, status int, err error) {
	l := catalogs[rq.lang]
	data := errorPage{Status: status, Heading: l.T(fmt.Sprintf("error.%d", status))}
	switch domain.ErrorCode(err) {
	case domain.ENotFound, domain.EForbidden, domain.EUnauthenticated, domain.EInternal:
		// The heading says it in the page's language; the store's message
		// ("org unit 109 not found") is English and adds nothing, and an
		// internal failure is logged, never shown.
		err = nil
	}
	if rerr := s.render(w, r, rq, status, "error", "error.title", data, err); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}
