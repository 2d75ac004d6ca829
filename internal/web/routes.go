package web

import (
	"net/http"

	"epiguard/internal/domain"
)

// access says who may call a route.
type access int

const (
	public      access = iota // anyone
	signedIn                  // any account
	adminOnly                 // role admin
	editors                   // roles that may change people (admin, health)
	gateStaff                 // roles that work at a gate (guard, admin, health)
	recordStaff               // roles that keep the daily health records, check-ins and illness absences (teacher, health, admin)
)

// route is one entry of the routing table. Keeping every route in one
// table lets the OpenAPI test check each against the document.
type route struct {
	method, pattern string
	access          access
	api             bool // JSON errors instead of pages
	handler         func(http.ResponseWriter, *http.Request, *request) error
}

func (s *Server) routeTable() []route {
	routes := s.coreRoutes()
	routes = append(routes, s.gateRoutes()...)
	routes = append(routes, s.rollRoutes()...)
	routes = append(routes, s.alertRoutes()...)
	routes = append(routes, s.channelRoutes()...)
	routes = append(routes, s.warningRoutes()...)
	return routes
}

func (s *Server) coreRoutes() []route {
	return []route{
		// Operations.
		{"GET", "/healthz", public, true, s.healthz},
		{"GET", "/readyz", public, true, s.readyz},
		{"GET", "/metrics", public, true, s.serveMetrics},
		{"GET", "/api/v1/openapi.json", public, true, s.openAPI},
		{"GET", "/static/", public, false, s.static},

		// JSON API.
		{"POST", "/api/v1/session", public, true, s.apiSignIn},
		{"GET", "/api/v1/session", signedIn, true, s.apiSession},
		{"DELETE", "/api/v1/session", signedIn, true, s.apiSignOut},
		{"GET", "/api/v1/orgs", signedIn, true, s.apiOrgs},
		{"POST", "/api/v1/orgs", adminOnly, true, s.apiCreateOrg},
		{"GET", "/api/v1/orgs/{id}", signedIn, true, s.apiOrg},
		{"PATCH", "/api/v1/orgs/{id}", adminOnly, true, s.apiUpdateOrg},
		{"DELETE", "/api/v1/orgs/{id}", adminOnly, true, s.apiDeleteOrg},
		{"GET", "/api/v1/people", signedIn, true, s.apiPeople},
		{"POST", "/api/v1/people", editors, true, s.apiCreatePerson},
		{"POST", "/api/v1/people/import", editors, true, s.apiImport},
		{"GET", "/api/v1/people/{id}", signedIn, true, s.apiPerson},
		{"PATCH", "/api/v1/people/{id}", signedIn, true, s.apiUpdatePerson},
		{"POST", "/api/v1/people/{id}/token", signedIn, true, s.apiRotateToken},
		{"POST", "/api/v1/people/{id}/guardians/{gid}/token", editors, true, s.apiRotateGuardianToken},
		{"GET", "/api/v1/accounts", adminOnly, true, s.apiAccounts},
		{"POST", "/api/v1/accounts", adminOnly, true, s.apiCreateAccount},
		{"PATCH", "/api/v1/accounts/{id}", adminOnly, true, s.apiUpdateAccount},
		{"GET", "/api/v1/tokens", adminOnly, true, s.apiTokens},
		{"POST", "/api/v1/tokens", adminOnly, true, s.apiCreateToken},
		{"DELETE", "/api/v1/tokens/{id}", adminOnly, true, s.apiRevokeToken},
		{"GET", "/api/v1/audit", adminOnly, true, s.apiAudit},
		{"POST", "/api/v1/checkins", recordStaff, true, s.apiCheckin},
		{"GET", "/api/v1/people/{id}/status", signedIn, true, s.apiPersonStatus},
		{"GET", "/api/v1/orgs/{id}/daily", signedIn, true, s.apiDaily},
		// The API admits the same roles as the roll, absence and gate pages
		// (rollStaff, gateRole), so a role refused a page cannot do its
		// work through the API instead.
		{"GET", "/api/v1/absences", recordStaff, true, s.apiAbsences},
		{"POST", "/api/v1/absences", recordStaff, true, s.apiCreateAbsence},
		{"GET", "/api/v1/absences/{id}", recordStaff, true, s.apiAbsence},
		{"PATCH", "/api/v1/absences/{id}", recordStaff, true, s.apiUpdateAbsence},
		{"POST", "/api/v1/gate/scans", gateStaff, true, s.apiGateScan},
		{"GET", "/api/v1/inbox", signedIn, true, s.apiInbox},
		{"GET", "/api/v1/status/rules", signedIn, true, s.apiRules},
		{"PUT", "/api/v1/status/rules", adminOnly, true, s.apiSaveRules},
		// Any other path or method under the API answers in the API's
		// error format rather than the mux's plain text.
		{"", "/api/v1/", public, true, s.apiNotFound},

		// Pages.
		{"GET", "/{$}", signedIn, false, s.pageHome},
		{"GET", "/login", public, false, s.pageLogin},
		{"POST", "/login", public, false, s.pageLoginSubmit},
		{"POST", "/logout", signedIn, false, s.pageLogout},
		{"GET", "/lang/{lang}", public, false, s.pageLang},
		{"GET", "/orgs", signedIn, false, s.pageOrgs},
		{"GET", "/orgs/{id}", signedIn, false, s.pageOrg},
		{"POST", "/orgs", adminOnly, false, s.pageCreateOrg},
		{"POST", "/orgs/{id}", adminOnly, false, s.pageUpdateOrg},
		{"GET", "/people", signedIn, false, s.pagePeople},
		{"GET", "/people/new", editors, false, s.pageNewPerson},
		{"POST", "/people", editors, false, s.pageCreatePerson},
		{"GET", "/people/{id}", signedIn, false, s.pagePerson},
		{"POST", "/people/{id}", editors, false, s.pageUpdatePerson},
		{"POST", "/people/{id}/token", editors, false, s.pageRotateToken},
		{"POST", "/people/{id}/guardians/{gid}/token", editors, false, s.pageRotateGuardianToken},
		{"GET", "/import", editors, false, s.pageImport},
		{"POST", "/import", editors, false, s.pageImportSubmit},
		{"GET", "/accounts", adminOnly, false, s.pageAccounts},
		{"POST", "/accounts", adminOnly, false, s.pageCreateAccount},
		{"POST", "/accounts/{id}", adminOnly, false, s.pageUpdateAccount},
		{"GET", "/tokens", adminOnly, false, s.pageTokens},
		{"POST", "/tokens", adminOnly, false, s.pageCreateToken},
		{"POST", "/tokens/{id}/revoke", adminOnly, false, s.pageRevokeToken},
		{"GET", "/audit", adminOnly, false, s.pageAudit},

		// Personal link pages (no account: the token is the credential).
		{"GET", "/p/{token}", public, false, s.pagePersonal},
		{"POST", "/p/{token}", public, false, s.pagePersonalSubmit},
		{"POST", "/p/{token}/absences", public, false, s.pagePersonalAbsence},
		{"GET", "/p/{token}/pass.png", public, false, s.pagePassPNG},
		{"GET", "/orgs/{id}/daily", signedIn, false, s.pageDaily},
		{"GET", "/inbox", signedIn, false, s.pageInbox},
		{"GET", "/rules", adminOnly, false, s.pageRules},
		{"POST", "/rules", adminOnly, false, s.pageRulesSubmit},
		{"POST", "/inbox/read", signedIn, false, s.pageInboxRead},
	}
}

// allowed reports whether an account with role may use a route of this access.
func (a access) allowed(role domain.Role) bool {
	switch a {
	case adminOnly:
		return role == domain.RoleAdmin
	case editors:
		return role == domain.RoleAdmin || role == domain.RoleHealth
	case gateStaff:
		return role == domain.RoleGuard || role == domain.RoleAdmin || role == domain.RoleHealth
	case recordStaff:
		return role == domain.RoleTeacher || role == domain.RoleAdmin || role == domain.RoleHealth
	}
	return true
}
