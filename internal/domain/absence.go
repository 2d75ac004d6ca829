package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Absence is an illness absence (因病缺勤): a person away ill from a date,
// followed up until they return (SPEC §2, §3.2).
type Absence struct {
	ID                  int64      `json:"id"`
	PersonID            int64      `json:"person_id"`
	PersonName          string     `json:"person_name,omitempty"`
	OrgName             string     `json:"org_name,omitempty"`
	StartDate           string     `json:"start_date"`
	OnsetDate           string     `json:"onset_date"`
	Symptoms            []string   `json:"symptoms"`
	SawDoctor           bool       `json:"saw_doctor"`
	Hospital            string     `json:"hospital"`
	Diagnosis           string     `json:"diagnosis"`
	Outcome             string     `json:"outcome"`
	ReturnDate          string     `json:"return_date"`
	CertificateRequired bool       `json:"certificate_required"`
	CertificateReceived string     `json:"certificate_received"`
	Note                string     `json:"note"`
	ReportedBy          string     `json:"reported_by"`
	Source              string     `json:"source"`
	Followups           []Followup `json:"followups"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// Followup is one follow-up call or visit about an absence.
type Followup struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Result string    `json:"result"`
}

// Absence outcomes.
var AbsenceOutcomes = []string{"", "recovering", "recovered", "hospitalized", "isolated", "other"}

// Open reports whether the person has not returned yet.
func (a *Absence) Open() bool { return a.ReturnDate == "" }

// Validate checks an absence as a client submits it.
func (a *Absence) Validate(today string) error {
	var v Validation
	if a.PersonID <= 0 {
		v.Add("person_id", "required")
	}
	if a.StartDate == "" {
		a.StartDate = today
	}
	checkDate := func(field, s string, allowFuture bool) {
		if s == "" {
			return
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			v.Add(field, "must be a date YYYY-MM-DD")
		} else if !allowFuture && s > today {
			v.Add(field, "is in the future")
		}
	}
	checkDate("start_date", a.StartDate, true)
	checkDate("onset_date", a.OnsetDate, false)
	checkDate("return_date", a.ReturnDate, true)
	checkDate("certificate_received", a.CertificateReceived, false)
	if a.OnsetDate != "" && a.OnsetDate > a.StartDate && a.StartDate != "" {
		v.Add("onset_date", "is after the first day of absence")
	}
	if a.ReturnDate != "" && a.ReturnDate < a.StartDate {
		v.Add("return_date", "is before the first day of absence")
	}
	syms := []string{}
	for _, s := range a.Symptoms {
		if !ValidSymptom(s) {
			v.Add("symptoms", "unknown symptom code %q", s)
		} else {
			syms = append(syms, s)
		}
	}
	a.Symptoms = syms
	ok := false
	for _, o := range AbsenceOutcomes {
		ok = ok || o == a.Outcome
	}
	if !ok {
		v.Add("outcome", "must be one of recovering, recovered, hospitalized, isolated, other")
	}
	for field, s := range map[string]*string{"hospital": &a.Hospital, "diagnosis": &a.Diagnosis, "note": &a.Note} {
		*s = strings.TrimSpace(*s)
		if utf8.RuneCountInString(*s) > 200 {
			v.Add(field, "at most 200 characters")
		}
	}
	return v.Err()
}
