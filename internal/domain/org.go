package domain

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// OrgKind is the kind of an organisation unit (SPEC §2).
type OrgKind string

// The unit kinds of SPEC §2, in the order the UI lists them.
var OrgKinds = []OrgKind{
	"district", "school", "campus", "grade", "class", "dorm_building", "dorm_room", "department",
	"street", "community", "compound", "building", "unit", "household",
}

// Valid reports whether k is one of OrgKinds.
func (k OrgKind) Valid() bool {
	for _, v := range OrgKinds {
		if v == k {
			return true
		}
	}
	return false
}

// IsPrimary reports whether a person's primary unit may be of this kind:
// people belong first to a class, a department or a household, but small
// installations also hang people directly on a school or a community.
func (k OrgKind) IsPrimary() bool {
	switch k {
	case "class", "department", "household", "school", "campus", "grade", "community", "street", "district", "compound", "building", "unit":
		return true
	}
	return false
}

// InSchool reports whether units of this kind lie inside a school, where
// school calendars hold: surveillance there counts school days, and
// nobody is expected to check in during a holiday or a break.
func (k OrgKind) InSchool() bool {
	switch k {
	case "school", "campus", "grade", "class", "dorm_building", "dorm_room", "department":
		return true
	}
	return false
}

// Org is one unit of the organisation tree.
type Org struct {
	ID       int64   `json:"id"`
	ParentID *int64  `json:"parent_id"`
	Kind     OrgKind `json:"kind"`
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	// Path is the materialised path of IDs from the root, "/1/5/23/", so
	// "this unit and everything below it" is one indexed range scan.
	Path        string        `json:"-"`
	Depth       int           `json:"depth"`
	Responsible []Responsible `json:"responsible"`
	Children    int           `json:"children"`
	People      int           `json:"people"`
}

// Responsible is a person answerable for a unit: 班主任, 网格员, 楼栋长, 包保责任人.
type Responsible struct {
	Role  string `json:"role"`
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
}

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidCode reports whether s can be a unit code: letters, digits, '_', '-', '.'.
func ValidCode(s string) bool { return codePattern.MatchString(s) }

// Validate checks the fields a client supplies.
func (o *Org) Validate() error {
	var v Validation
	o.Code = strings.TrimSpace(o.Code)
	o.Name = strings.TrimSpace(o.Name)
	if !o.Kind.Valid() {
		v.Add("kind", "unknown kind %q", o.Kind)
	}
	if !ValidCode(o.Code) {
		v.Add("code", "must be 1-64 letters, digits, '_', '-' or '.'")
	}
	if o.Name == "" {
		v.Add("name", "required")
	} else if utf8.RuneCountInString(o.Name) > 100 {
		v.Add("name", "at most 100 characters")
	}
	for i := range o.Responsible {
		r := &o.Responsible[i]
		r.Role, r.Name, r.Phone = strings.TrimSpace(r.Role), strings.TrimSpace(r.Name), NormalizeMobile(r.Phone)
		if r.Name == "" {
			v.Add("responsible", "entry %d: name required", i+1)
		}
		if r.Phone != "" && ValidMobile(r.Phone) != nil {
			v.Add("responsible", "entry %d: not a mainland mobile number", i+1)
		}
	}
	return v.Err()
}

// UpperBound returns the exclusive upper bound of the path range of a
// subtree: every descendant path p satisfies path <= p < UpperBound(path),
// because '0' follows '/' in byte order.
func UpperBound(path string) string {
	return strings.TrimSuffix(path, "/") + "0"
}
