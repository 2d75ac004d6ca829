package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Gate decisions.
const (
	Allow = "allow"
	Deny  = "deny"
	Refer = "refer" // send to the school doctor or a fever clinic for a second look
)

// ValidDecision reports whether d is allow, deny or refer.
func ValidDecision(d string) bool { return d == Allow || d == Deny || d == Refer }

// GateDecision is the decision a gate suggests for a status level and a
// temperature taken at the gate (nil if none): red is turned away, a fever
// or a yellow status is referred for a second look, green goes in.
func GateDecision(level string, tempC *float64, th Thresholds) string {
	switch {
	case level == "red":
		return Deny
	case tempC != nil && *tempC >= th.FeverC-1e-9:
		return Refer
	case level == "yellow":
		return Refer
	}
	return Allow
}

// GateScan is one person or visitor at a gate.
type GateScan struct {
	ID           int64     `json:"id"`
	OrgID        int64     `json:"org_id"`
	Gate         string    `json:"gate"`
	PersonID     *int64    `json:"person_id"`
	VisitorID    *int64    `json:"visitor_id"`
	Name         string    `json:"name"`
	At           time.Time `json:"at"`
	Method       string    `json:"method"` // qr, external_id, visitor
	TemperatureC *float64  `json:"temperature_c"`
	Decision     string    `json:"decision"`
	Status       string    `json:"status"`
	Note         string    `json:"note"`
	Guard        string    `json:"guard"`
}

// VisitorEntry is someone from outside registered at a gate.
type VisitorEntry struct {
	ID             int64             `json:"id"`
	OrgID          int64             `json:"org_id"`
	Name           string            `json:"name"`
	IDNumber       string            `json:"id_number,omitempty"`
	IDNumberMasked string            `json:"id_number_masked"`
	Phone          string            `json:"phone,omitempty"`
	PhoneMasked    string            `json:"phone_masked"`
	Host           string            `json:"host"`
	Purpose        string            `json:"purpose"`
	Declaration    HealthDeclaration `json:"declaration"`
	CreatedBy      string            `json:"created_by"`
	CreatedAt      time.Time         `json:"created_at"`
}

// HealthDeclaration is what a visitor declares at the gate.
type HealthDeclaration struct {
	Symptoms       []string `json:"symptoms"`
	RiskAreaTravel bool     `json:"risk_area_travel"`
	CaseContact    bool     `json:"case_contact"`
}

// Validate checks a visitor registration.
func (v *VisitorEntry) Validate() error {
	var val Validation
	v.Name = strings.TrimSpace(v.Name)
	v.Host = strings.TrimSpace(v.Host)
	v.Purpose = strings.TrimSpace(v.Purpose)
	if v.Name == "" {
		val.Add("name", "required")
	} else if utf8.RuneCountInString(v.Name) > 64 {
		val.Add("name", "at most 64 characters")
	}
	if v.IDNumber == "" {
		val.Add("id_number", "required")
	} else {
		v.IDNumber = NormalizeIDNumber(v.IDNumber)
		if err := ValidIDNumber(v.IDNumber); err != nil {
			val.Add("id_number", "%s", ErrorMessage(err))
		}
	}
	if v.Phone == "" {
		val.Add("phone", "required")
	} else {
		v.Phone = NormalizeMobile(v.Phone)
		if err := ValidMobile(v.Phone); err != nil {
			val.Add("phone", "%s", ErrorMessage(err))
		}
	}
	if v.Host == "" {
		val.Add("host", "required: whom the visitor comes to see")
	}
	if v.Purpose == "" {
		val.Add("purpose", "required")
	}
	if utf8.RuneCountInString(v.Host) > 64 || utf8.RuneCountInString(v.Purpose) > 200 {
		val.Add("purpose", "too long")
	}
	syms := []string{}
	for _, s := range v.Declaration.Symptoms {
		if !ValidSymptom(s) {
			val.Add("declaration.symptoms", "unknown symptom code %q", s)
		} else {
			syms = append(syms, s)
		}
	}
	v.Declaration.Symptoms = syms
	return val.Err()
}
