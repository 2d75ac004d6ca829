package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what an account is for (SPEC §1).
type Role string

// The roles of SPEC §1. person and guardian use personal links, not accounts.
const (
	RoleAdmin   Role = "admin"
	RoleHealth  Role = "health"
	RoleTeacher Role = "teacher"
	RoleGuard   Role = "guard"
	RoleOps     Role = "ops"
	RoleViewer  Role = "viewer"
)

// AccountRoles are the roles an account may have.
var AccountRoles = []Role{RoleAdmin, RoleHealth, RoleTeacher, RoleGuard, RoleOps, RoleViewer}

// Valid reports whether r is an account role.
func (r Role) Valid() bool {
	for _, v := range AccountRoles {
		if v == r {
			return true
		}
	}
	return false
}

// Account is a staff sign-in with a role and a scope.
type Account struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	OrgID       int64     `json:"org_id"`
	OrgName     string    `json:"org_name,omitempty"`
	OrgPath     string    `json:"-"`
	PersonLevel bool      `json:"person_level"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate checks the account's fields.
func (a *Account) Validate() error {
	var v Validation
	a.Username = strings.TrimSpace(a.Username)
	if !ValidCode(a.Username) || utf8.RuneCountInString(a.Username) > 64 {
		v.Add("username", "must be 1-64 letters, digits, '_', '-' or '.'")
	}
	if !a.Role.Valid() {
		v.Add("role", "must be one of admin, health, teacher, guard, ops, viewer")
	}
	if a.OrgID <= 0 {
		v.Add("org_id", "required")
	}
	return v.Err()
}

// ValidatePassword returns an error unless pw is acceptable.
func ValidatePassword(pw string) error {
	var v Validation
	if utf8.RuneCountInString(pw) < 4 {
		v.Add("password", "at least 4 characters")
	} else if len(pw) > 256 {
		v.Add("password", "at most 256 bytes")
	}
	return v.Err()
}

// Scope returns what this account may see.
func (a *Account) Scope() Scope {
	return Scope{OrgID: a.OrgID, Path: a.OrgPath, Role: a.Role, PersonLevel: a.PersonLevel || a.Role != RoleViewer, AccountID: a.ID}
}

// APIToken is a bearer token for an integration or a gate device. It acts
// with its account's role and scope.
type APIToken struct {
	ID        int64      `json:"id"`
	AccountID int64      `json:"account_id"`
	Username  string     `json:"username,omitempty"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"created_at"`
	LastUsed  *time.Time `json:"last_used_at"`
	Revoked   bool       `json:"revoked"`
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	AccountID *int64    `json:"account_id"`
	Username  string    `json:"username"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Detail    string    `json:"detail"`
	IP        string    `json:"ip"`
}

// Audit actions.
const (
	AuditSignIn       = "sign_in"
	AuditSignInFailed = "sign_in_failed"
	AuditSignOut      = "sign_out"
	AuditUnmask       = "unmask"
	AuditExport       = "export"
	AuditImport       = "import"
	AuditAdmin        = "admin_change"
)
