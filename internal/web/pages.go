package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// seeOther redirects after a successful form post, so a reload does not
// post again.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

type loginData struct {
	Next     string
	Username string
	Demo     []string
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.acc != nil {
		return seeOther(w, r, safeNext(r.URL.Query().Get("next")))
	}
	return s.render(w, r, rq, http.StatusOK, "login", "signin.title", s.loginData(r.URL.Query().Get("next"), ""), nil)
}

func (s *Server) loginData(next, username string) loginData {
	d := loginData{Next: safeNext(next), Username: username}
	if s.demo {
		d.Demo = []string{"admin", "health", "teacher", "guard", "district"}
	}
	return d
}

func (s *Server) pageLoginSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	username := strings.TrimSpace(r.PostFormValue("username"))
	_, err := s.signIn(r.Context(), w, rq, username, r.PostFormValue("password"))
	if err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.render(w, r, rq, http.StatusOK, "login", "signin.title", s.loginData(r.PostFormValue("next"), username), err)
	}
	return seeOther(w, r, safeNext(r.PostFormValue("next")))
}

func (s *Server) pageLogout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.signOut(r.Context(), w, rq); err != nil {
		return err
	}
	return seeOther(w, r, "/login")
}

func (s *Server) pageLang(w http.ResponseWriter, r *http.Request, rq *request) error {
	lang := langZH
	if r.PathValue("lang") == langEN {
		lang = langEN
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.secure})
	return seeOther(w, r, safeNext(r.URL.Query().Get("next")))
}

type homeData struct {
	Scope       *domain.Org
	Units       int
	People      int
	PersonLevel bool
	// Today is the scope's completion summary for today; Abnormal the
	// people with any syndrome among them (the largest syndrome count, as
	// one person may have several).
	Today    *store.Daily
	Abnormal int
	// TodayWithheld says why Today is missing for an account that sees
	// aggregates only (a unit too small for them), "" otherwise.
	TodayWithheld string
	// Alerts counts the active alerts, for the roles that follow them.
	Alerts     int
	SeesAlerts bool
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request, rq *request) error {
	sc := rq.scope()
	org, err := s.db.Org(r.Context(), sc, sc.OrgID)
	if err != nil {
		return err
	}
	tree, err := s.db.OrgTree(r.Context(), sc)
	if err != nil {
		return err
	}
	top, err := s.db.Orgs(r.Context(), sc, 0)
	if err != nil {
		return err
	}
	d := homeData{Scope: org, Units: len(tree) - 1, PersonLevel: sc.PersonLevel}
	for _, o := range top {
		d.People += o.People
	}
	// Today's figures: what a school doctor or a teacher checks first.
	if sum, err := s.db.DailySummary(r.Context(), sc, sc.OrgID, s.today(), ""); err == nil {
		d.Today = sum
		for _, n := range sum.Abnormal {
			d.Abnormal = max(d.Abnormal, n)
		}
	} else if domain.ErrorCode(err) == domain.EForbidden && !sc.PersonLevel {
		d.TodayWithheld = catalogs[rq.lang].T("home.today.withheld")
	} else if domain.ErrorCode(err) == domain.EInternal {
		return err
	}
	if alertReader(rq) == nil {
		d.SeesAlerts = true
		if d.Alerts, err = s.db.CountActiveAlerts(r.Context(), sc); err != nil {
			return err
		}
	}
	return s.render(w, r, rq, http.StatusOK, "home", "home.title", d, nil)
}

type orgData struct {
	Org        *domain.Org
	Ancestors  []*domain.Org
	Children   []*domain.Org
	Kinds      []domain.OrgKind
	ParentCode string
	CanEdit    bool
	CanPeople  bool
	RespText   string
}

func (s *Server) pageOrgs(w http.ResponseWriter, r *http.Request, rq *request) error {
	return seeOther(w, r, fmt.Sprintf("/orgs/%d", rq.scope().OrgID))
}

func (s *Server) pageOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showOrg(w, r, rq, nil)
}

func (s *Server) showOrg(w http.ResponseWriter, r *http.Request, rq *request, formErr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := rq.scope()
	org, err := s.db.Org(r.Context(), sc, id)
	if err != nil {
		return err
	}
	children, err := s.db.Orgs(r.Context(), sc, id)
	if err != nil {
		return err
	}
	d := orgData{Org: org, Children: children, Kinds: domain.OrgKinds, CanEdit: sc.CanAdmin(), CanPeople: sc.PersonLevel}
	for _, part := range strings.Split(strings.Trim(org.Path, "/"), "/") {
		aid, _ := strconv.ParseInt(part, 10, 64)
		if aid == org.ID {
			break
		}
		if a, err := s.db.Org(r.Context(), sc, aid); err == nil {
			d.Ancestors = append(d.Ancestors, a)
		}
	}
	if n := len(d.Ancestors); n > 0 {
		d.ParentCode = d.Ancestors[n-1].Code
	}
	var lines []string
	for _, rp := range org.Responsible {
		lines = append(lines, rp.Role+","+rp.Name+","+rp.Phone)
	}
	d.RespText = strings.Join(lines, "\n")
	if !d.CanEdit {
		// Phone numbers are shown masked (SPEC §7.3); only the admin, who
		// keeps these entries in the form below, sees them whole.
		masked := make([]domain.Responsible, len(org.Responsible))
		for i, rp := range org.Responsible {
			rp.Phone = domain.MaskPhone(rp.Phone)
			masked[i] = rp
		}
		org.Responsible = masked
		d.RespText = ""
	}
	return s.render(w, r, rq, http.StatusOK, "org", "orgs.title", d, formErr)
}

// parseResponsible reads "role,name,phone" lines.
func parseResponsible(text string) []domain.Responsible {
	out := []domain.Responsible{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.ReplaceAll(line, "，", ","))
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ",", 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		out = append(out, domain.Responsible{Role: strings.TrimSpace(parts[0]), Name: strings.TrimSpace(parts[1]), Phone: strings.TrimSpace(parts[2])})
	}
	return out
}

func (s *Server) pageCreateOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	sc := rq.scope()
	parent, err := strconv.ParseInt(r.PostFormValue("parent_id"), 10, 64)
	if err != nil {
		return fieldErr("parent_id", "required")
	}
	o := &domain.Org{ParentID: &parent, Kind: domain.OrgKind(r.PostFormValue("kind")), Code: r.PostFormValue("code"),
		Name: r.PostFormValue("name"), Responsible: parseResponsible(r.PostFormValue("responsible"))}
	if err := s.db.CreateOrg(r.Context(), sc, o); err != nil {
		r.SetPathValue("id", strconv.FormatInt(parent, 10))
		return s.showOrg(w, r, rq, err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", o.ID), Detail: "created " + o.Code})
	return seeOther(w, r, fmt.Sprintf("/orgs/%d?notice=saved", parent))
}

func (s *Server) pageUpdateOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := rq.scope()
	name, code := r.PostFormValue("name"), r.PostFormValue("code")
	resp := parseResponsible(r.PostFormValue("responsible"))
	u := store.OrgUpdate{Name: &name, Code: &code, Responsible: &resp}
	if pc := strings.TrimSpace(r.PostFormValue("parent_code")); pc != "" {
		p, err := s.db.OrgByCode(r.Context(), sc, pc)
		if err != nil {
			return s.showOrg(w, r, rq, fieldErr("parent_code", "no unit %q in your scope", pc))
		}
		u.ParentID = &p.ID
	}
	if _, err := s.db.UpdateOrg(r.Context(), sc, id, u); err != nil {
		return s.showOrg(w, r, rq, err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", id), Detail: "updated " + code})
	return seeOther(w, r, fmt.Sprintf("/orgs/%d?notice=saved", id))
}

type peopleData struct {
	Query  store.PeopleQuery
	Org    *domain.Org
	People []*domain.Person
	Total  int
	Next   string
	First  string
	CanAdd bool
	Kinds  []domain.PersonKind
}

func (s *Server) pagePeople(w http.ResponseWriter, r *http.Request, rq *request) error {
	pq, err := peopleQuery(r)
	if err != nil {
		return err
	}
	sc := rq.scope()
	d := peopleData{Query: pq, CanAdd: sc.CanEditPeople(), Kinds: []domain.PersonKind{domain.Student, domain.Staff, domain.Resident, domain.Visitor}}
	if pq.OrgID != 0 {
		if d.Org, err = s.db.Org(r.Context(), sc, pq.OrgID); err != nil {
			return err
		}
	}
	d.People, d.Total, err = s.db.People(r.Context(), sc, pq)
	if err != nil {
		return err
	}
	if len(d.People) == pq.Limit {
		d.Next = *nextURL(r, "after", d.People[len(d.People)-1].ID)
	}
	if pq.After != 0 {
		q := r.URL.Query()
		q.Del("after")
		d.First = r.URL.Path + "?" + q.Encode()
	}
	return s.render(w, r, rq, http.StatusOK, "people", "people.title", d, nil)
}

type personData struct {
	Person    *domain.Person
	Guardians []store.Guardian
	Unmasked  bool
	CanUnmask bool
	CanEdit   bool
	NewLink   string
	// LinkFor is the guardian NewLink belongs to, 0 for the person's own.
	LinkFor int64
	OrgCode string
	New     bool
	Kinds   []domain.PersonKind
	// InScope holds the units of the memberships the account may open.
	InScope map[int64]bool
}

func (s *Server) pagePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.person(r, rq)
	if err != nil {
		return err
	}
	return s.showPerson(w, r, rq, p, "", nil)
}

func (s *Server) showPerson(w http.ResponseWriter, r *http.Request, rq *request, p *domain.Person, newLink string, formErr error) error {
	return s.showPersonWith(w, r, rq, p, newLink, 0, formErr)
}

// showPersonWith shows a person's page, with a link just issued: the
// person's own, or their guardian linkFor's.
func (s *Server) showPersonWith(w http.ResponseWriter, r *http.Request, rq *request, p *domain.Person, newLink string, linkFor int64, formErr error) error {
	sc := rq.scope()
	gs, err := s.db.Guardians(r.Context(), sc, p.ID)
	if err != nil {
		return err
	}
	d := personData{Person: p, Guardians: gs, Unmasked: p.IDNumber != "" || p.Phone != "" || p.GuardianPhone != "",
		CanUnmask: sc.CanUnmask(), CanEdit: sc.CanEditPeople(), NewLink: newLink, LinkFor: linkFor,
		Kinds: []domain.PersonKind{domain.Student, domain.Staff, domain.Resident, domain.Visitor}}
	if o, err := s.db.Org(r.Context(), domain.System(), p.OrgID); err == nil {
		d.OrgCode = o.Code
	}
	// A teacher sees a pupil whose dorm room lies outside the class: its
	// name is shown, but a link would only lead to "not found".
	d.InScope = map[int64]bool{}
	for _, m := range p.Memberships {
		if _, err := s.db.Org(r.Context(), sc, m.OrgID); err == nil {
			d.InScope[m.OrgID] = true
		} else if domain.ErrorCode(err) != domain.ENotFound {
			return err
		}
	}
	return s.render(w, r, rq, http.StatusOK, "person", "people.title", d, formErr)
}

func (s *Server) pageNewPerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.newPersonForm(w, r, rq, &domain.Person{Kind: domain.Student}, "", nil)
}

func (s *Server) newPersonForm(w http.ResponseWriter, r *http.Request, rq *request, p *domain.Person, orgCode string, formErr error) error {
	d := personData{Person: p, New: true, CanEdit: true, OrgCode: orgCode,
		Kinds: []domain.PersonKind{domain.Student, domain.Staff, domain.Resident, domain.Visitor}}
	return s.render(w, r, rq, http.StatusOK, "person_new", "people.add", d, formErr)
}

// personForm reads the person form shared by the new and edit pages.
func personForm(r *http.Request) (domain.Person, []string) {
	tags := strings.FieldsFunc(r.PostFormValue("tags"), func(c rune) bool { return c == ';' || c == '；' || c == ',' || c == ' ' })
	return domain.Person{ExternalID: r.PostFormValue("external_id"), Name: r.PostFormValue("name"),
		Kind: domain.PersonKind(r.PostFormValue("kind")), Gender: r.PostFormValue("gender"), BirthDate: r.PostFormValue("birth_date"),
		IDNumber: r.PostFormValue("id_number"), Phone: r.PostFormValue("phone"), GuardianName: r.PostFormValue("guardian_name"),
		GuardianPhone: r.PostFormValue("guardian_phone")}, tags
}

func (s *Server) pageCreatePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, tags := personForm(r)
	p.Tags = tags
	code := strings.TrimSpace(r.PostFormValue("org_code"))
	org, err := s.db.OrgByCode(r.Context(), rq.scope(), code)
	if err != nil {
		return s.newPersonForm(w, r, rq, &p, code, fieldErr("org_code", "no unit %q in your scope", code))
	}
	p.OrgID = org.ID
	if err := s.db.CreatePerson(r.Context(), rq.scope(), &p); err != nil {
		return s.newPersonForm(w, r, rq, &p, code, err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("person:%d", p.ID), Detail: "created " + p.ExternalID})
	return seeOther(w, r, fmt.Sprintf("/people/%d?notice=saved", p.ID))
}

func (s *Server) pageUpdatePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := rq.scope()
	f, tags := personForm(r)
	kind := string(f.Kind)
	u := store.PersonUpdate{Name: &f.Name, Kind: &kind, Gender: &f.Gender, BirthDate: &f.BirthDate, GuardianName: &f.GuardianName, Tags: &tags}
	// Identity and phone fields are shown masked, so empty means "keep".
	if f.IDNumber != "" {
		u.IDNumber = &f.IDNumber
	}
	if f.Phone != "" {
		u.Phone = &f.Phone
	}
	if f.GuardianPhone != "" {
		u.GuardianPhone = &f.GuardianPhone
	}
	if code := strings.TrimSpace(r.PostFormValue("org_code")); code != "" {
		org, err := s.db.OrgByCode(r.Context(), sc, code)
		if err != nil {
			err = fieldErr("org_code", "no unit %q in your scope", code)
			p, perr := s.db.Person(r.Context(), sc, id, false)
			if perr != nil {
				return perr
			}
			return s.showPerson(w, r, rq, p, "", err)
		}
		u.OrgID = &org.ID
	}
	if _, err := s.db.UpdatePerson(r.Context(), sc, id, u); err != nil {
		p, perr := s.db.Person(r.Context(), sc, id, false)
		if perr != nil {
			return perr
		}
		return s.showPerson(w, r, rq, p, "", err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("person:%d", id), Detail: "updated"})
	return seeOther(w, r, fmt.Sprintf("/people/%d?notice=saved", id))
}

func (s *Server) pageRotateToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	tok, err := s.db.RotatePersonToken(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("person:%d", id), Detail: "personal link rotated"})
	p, err := s.db.Person(r.Context(), rq.scope(), id, false)
	if err != nil {
		return err
	}
	link := (&url.URL{Scheme: schemeOf(r, s.secure), Host: r.Host, Path: "/p/" + tok}).String()
	return s.showPerson(w, r, rq, p, link, nil)
}

// pageRotateGuardianToken issues a guardian's link: one link shows all
// the guardian's children (SPEC §4.2), and issuing it again stops the old.
func (s *Server) pageRotateGuardianToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, gid, tok, err := s.rotateGuardianToken(r, rq)
	if err != nil {
		return err
	}
	p, err := s.db.Person(r.Context(), rq.scope(), id, false)
	if err != nil {
		return err
	}
	link := (&url.URL{Scheme: schemeOf(r, s.secure), Host: r.Host, Path: "/p/" + tok}).String()
	return s.showPersonWith(w, r, rq, p, link, gid, nil)
}

func schemeOf(r *http.Request, secure bool) string {
	if r.TLS != nil || secure {
		return "https"
	}
	return "http"
}

type importData struct {
	OrgCode string
	Skip    bool
	Report  *importReportJSON
}

func (s *Server) pageImport(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := s.db.Org(r.Context(), rq.scope(), rq.scope().OrgID)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "import", "import.title", importData{OrgCode: org.Code}, nil)
}

func (s *Server) pageImportSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := s.runImport(r, rq)
	d := importData{OrgCode: r.FormValue("org"), Skip: r.FormValue("skip_invalid") != ""}
	if err != nil {
		return s.render(w, r, rq, http.StatusOK, "import", "import.title", d, err)
	}
	rj := reportJSON(rep)
	d.Report = &rj
	return s.render(w, r, rq, http.StatusOK, "import", "import.title", d, nil)
}

type accountsData struct {
	Accounts  []*domain.Account
	Roles     []domain.Role
	ScopeCode string
}

func (s *Server) pageAccounts(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showAccounts(w, r, rq, nil)
}

func (s *Server) showAccounts(w http.ResponseWriter, r *http.Request, rq *request, formErr error) error {
	accs, err := s.db.Accounts(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	org, err := s.db.Org(r.Context(), rq.scope(), rq.scope().OrgID)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "accounts", "accounts.title", accountsData{accs, domain.AccountRoles, org.Code}, formErr)
}

func (s *Server) pageCreateAccount(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := strings.TrimSpace(r.PostFormValue("org_code"))
	org, err := s.db.OrgByCode(r.Context(), rq.scope(), code)
	if err != nil {
		return s.showAccounts(w, r, rq, fieldErr("org_code", "no unit %q in your scope", code))
	}
	a := &domain.Account{Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"),
		Role: domain.Role(r.PostFormValue("role")), OrgID: org.ID, PersonLevel: r.PostFormValue("person_level") != ""}
	if err := s.db.CreateAccount(r.Context(), rq.scope(), a, r.PostFormValue("password")); err != nil {
		return s.showAccounts(w, r, rq, err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("account:%d", a.ID),
		Detail: fmt.Sprintf("created %s (%s)", a.Username, a.Role)})
	return seeOther(w, r, "/accounts?notice=saved")
}

func (s *Server) pageUpdateAccount(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var u store.AccountUpdate
	switch r.PostFormValue("action") {
	case "disable":
		t := true
		u.Disabled = &t
	case "enable":
		f := false
		u.Disabled = &f
	case "password":
		pw := r.PostFormValue("password")
		u.Password = &pw
	default:
		return fieldErr("action", "unknown action")
	}
	a, err := s.db.UpdateAccount(r.Context(), rq.scope(), id, u)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return err
		}
		return s.showAccounts(w, r, rq, err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("account:%d", id),
		Detail: r.PostFormValue("action") + " " + a.Username})
	return seeOther(w, r, "/accounts?notice=saved")
}

type tokensData struct {
	Tokens   []*domain.APIToken
	Accounts []*domain.Account
	NewToken string
}

func (s *Server) pageTokens(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showTokens(w, r, rq, "", nil)
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, rq *request, newToken string, formErr error) error {
	toks, err := s.db.APITokens(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	accs, err := s.db.Accounts(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "tokens", "tokens.title", tokensData{toks, accs, newToken}, formErr)
}

func (s *Server) pageCreateToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	accID, _ := strconv.ParseInt(r.PostFormValue("account_id"), 10, 64)
	raw, t, err := s.db.CreateAPIToken(r.Context(), rq.scope(), accID, r.PostFormValue("name"))
	if err != nil {
		return s.showTokens(w, r, rq, "", err)
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("api_token:%d", t.ID),
		Detail: fmt.Sprintf("issued %q for %s", t.Name, t.Username)})
	return s.showTokens(w, r, rq, raw, nil)
}

func (s *Server) pageRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.db.RevokeAPIToken(r.Context(), rq.scope(), id); err != nil {
		return err
	}
	s.audit(r.Context(), rq, domain.AuditEntry{Action: domain.AuditAdmin, Target: fmt.Sprintf("api_token:%d", id), Detail: "revoked"})
	return seeOther(w, r, "/tokens?notice=saved")
}

type auditData struct {
	Entries  []*domain.AuditEntry
	Action   string
	Username string
	Actions  []string
	Next     string
}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	before, err := queryID(q, "before")
	if err != nil {
		return err
	}
	aq := store.AuditQuery{Action: q.Get("action"), Username: strings.TrimSpace(q.Get("username")), Before: before, Limit: 100}
	entries, err := s.db.AuditLog(r.Context(), rq.scope(), aq)
	if err != nil {
		return err
	}
	d := auditData{Entries: entries, Action: aq.Action, Username: aq.Username,
		Actions: []string{domain.AuditSignIn, domain.AuditSignInFailed, domain.AuditSignOut, domain.AuditUnmask, domain.AuditExport, domain.AuditImport, domain.AuditAdmin}}
	if len(entries) == aq.Limit {
		d.Next = *nextURL(r, "before", entries[len(entries)-1].ID)
	}
	for _, e := range entries {
		e.At = e.At.In(s.loc)
	}
	return s.render(w, r, rq, http.StatusOK, "audit", "audit.title", d, nil)
}
