package domain

// Scope is what a caller may see: one org unit and its whole subtree. The
// store takes a Scope on every query that returns person data, so a handler
// cannot forget it.
type Scope struct {
	OrgID int64
	// Path is the materialised path of OrgID ("/1/5/").
	Path string
	Role Role
	// PersonLevel is false for viewers without a person-level grant: they
	// see aggregates only.
	PersonLevel bool
	AccountID   int64
}

// System is the scope of the installation itself (CLI commands, jobs).
func System() Scope {
	return Scope{Path: "/", Role: RoleAdmin, PersonLevel: true}
}

// Contains reports whether the unit with the given path lies in the scope.
func (s Scope) Contains(path string) bool {
	return len(path) >= len(s.Path) && path[:len(s.Path)] == s.Path
}

// CanUnmask reports whether the scope's role may see identity and phone
// numbers in full (each such view is audited).
func (s Scope) CanUnmask() bool {
	return s.Role == RoleAdmin || s.Role == RoleHealth
}

// CanAdmin reports whether the role may change units, people and accounts.
func (s Scope) CanAdmin() bool { return s.Role == RoleAdmin }

// CanEditPeople reports whether the role may create or change people.
func (s Scope) CanEditPeople() bool { return s.Role == RoleAdmin || s.Role == RoleHealth }

// CanRecordHealth reports whether the role keeps people's daily health
// records: check-ins and illness absences. Guards record gate scans,
// viewers read, and operations staff run supplies and rosters.
func (s Scope) CanRecordHealth() bool {
	return s.Role == RoleAdmin || s.Role == RoleHealth || s.Role == RoleTeacher
}
