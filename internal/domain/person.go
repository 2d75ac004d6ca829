package domain

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// PersonKind is student, staff, resident or visitor.
type PersonKind string

// Person kinds of SPEC §3.1.
const (
	Student  PersonKind = "student"
	Staff    PersonKind = "staff"
	Resident PersonKind = "resident"
	Visitor  PersonKind = "visitor"
)

// Valid reports whether k is a known kind.
func (k PersonKind) Valid() bool {
	switch k {
	case Student, Staff, Resident, Visitor:
		return true
	}
	return false
}

// Person is one real-name registry entry. IDNumber and Phone hold clear
// text only between the store and a caller allowed to see them; otherwise
// they are empty and the masked forms are set.
type Person struct {
	ID             int64        `json:"id"`
	ExternalID     string       `json:"external_id"`
	Name           string       `json:"name"`
	Kind           PersonKind   `json:"kind"`
	OrgID          int64        `json:"org_id"`
	OrgName        string       `json:"org_name,omitempty"`
	Gender         string       `json:"gender"`
	BirthDate      string       `json:"birth_date"`
	IDNumber       string       `json:"id_number,omitempty"`
	IDNumberMasked string       `json:"id_number_masked"`
	Phone          string       `json:"phone,omitempty"`
	PhoneMasked    string       `json:"phone_masked"`
	GuardianName   string       `json:"guardian_name"`
	GuardianPhone  string       `json:"guardian_phone,omitempty"`
	GuardianMasked string       `json:"guardian_phone_masked"`
	Tags           []string     `json:"tags"`
	Memberships    []Membership `json:"memberships"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
}

// Membership places a person in a unit other than the primary one: a dorm
// room, a household, a bus route or a club.
type Membership struct {
	OrgID   int64  `json:"org_id"`
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name"`
	Role    string `json:"role"`
}

var tagPattern = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// ValidTag reports whether s is a tag such as key_person.
func ValidTag(s string) bool { return tagPattern.MatchString(s) }

// Validate checks and normalises the fields a client supplies.
func (p *Person) Validate() error {
	var v Validation
	p.ExternalID = strings.TrimSpace(p.ExternalID)
	p.Name = strings.TrimSpace(p.Name)
	if p.ExternalID == "" {
		v.Add("external_id", "required")
	} else if utf8.RuneCountInString(p.ExternalID) > 64 {
		v.Add("external_id", "at most 64 characters")
	}
	if p.Name == "" {
		v.Add("name", "required")
	} else if utf8.RuneCountInString(p.Name) > 64 {
		v.Add("name", "at most 64 characters")
	}
	if p.Kind == "" {
		p.Kind = Student
	}
	if !p.Kind.Valid() {
		v.Add("kind", "must be student, staff, resident or visitor")
	}
	if p.OrgID <= 0 {
		v.Add("org_id", "required")
	}
	switch p.Gender {
	case "", "M", "F":
	default:
		v.Add("gender", "must be M or F")
	}
	if p.BirthDate != "" {
		// A day of slack for the zones ahead of the server's clock.
		switch d, err := time.Parse(time.DateOnly, p.BirthDate); {
		case err != nil:
			v.Add("birth_date", "must be a date YYYY-MM-DD")
		case d.Year() < 1900 || d.After(time.Now().AddDate(0, 0, 1)):
			v.Add("birth_date", "must be a date from 1900 to today")
		}
	}
	if p.IDNumber != "" {
		p.IDNumber = NormalizeIDNumber(p.IDNumber)
		if err := ValidIDNumber(p.IDNumber); err != nil {
			v.Add("id_number", "%s", ErrorMessage(err))
		}
	}
	if p.Phone != "" {
		p.Phone = NormalizeMobile(p.Phone)
		if err := ValidMobile(p.Phone); err != nil {
			v.Add("phone", "%s", ErrorMessage(err))
		}
	}
	p.GuardianName = strings.TrimSpace(p.GuardianName)
	if p.GuardianPhone != "" {
		p.GuardianPhone = NormalizeMobile(p.GuardianPhone)
		if err := ValidMobile(p.GuardianPhone); err != nil {
			v.Add("guardian_phone", "%s", ErrorMessage(err))
		}
	}
	seen := map[string]bool{}
	tags := p.Tags[:0:0]
	for _, t := range p.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || seen[t] {
			continue
		}
		if !ValidTag(t) {
			v.Add("tags", "invalid tag %q: use a-z, 0-9 and _", t)
			continue
		}
		seen[t] = true
		tags = append(tags, t)
	}
	p.Tags = tags
	return v.Err()
}
