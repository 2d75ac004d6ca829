package domain

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Symptom codes of SPEC §5.1 (WS/T 772-2020 plus respiratory additions),
// in the order forms list them.
var Symptoms = []string{
	"fever", "cough", "headache", "sore_throat", "parotid_swelling", "abdominal_pain", "diarrhea", "vomiting",
	"rash", "dizziness", "fatigue", "conjunctival_congestion", "runny_nose", "loss_of_smell_taste",
	"shortness_of_breath", "jaundice",
}

// ValidSymptom reports whether code is a known symptom code.
func ValidSymptom(code string) bool { return slices.Contains(Symptoms, code) }

// Syndrome is a symptom pattern counted for surveillance.
type Syndrome string

// Syndromes of SPEC §5.1.
const (
	SynFever          Syndrome = "fever"
	SynILI            Syndrome = "ili"
	SynGI             Syndrome = "gi"
	SynRash           Syndrome = "rash"
	SynParotitis      Syndrome = "parotitis"
	SynConjunctivitis Syndrome = "conjunctivitis"
	SynJaundice       Syndrome = "jaundice"
	SynRespiratory    Syndrome = "respiratory"
)

// AllSyndromes lists every syndrome in report order.
var AllSyndromes = []Syndrome{SynFever, SynILI, SynGI, SynRash, SynParotitis, SynConjunctivitis, SynJaundice, SynRespiratory}

// Thresholds are the temperature cut-offs of SPEC §5.1 (settings).
type Thresholds struct {
	FeverC float64 // fever at or above this; default 37.3
	ILIC   float64 // ILI needs at least this with cough or sore throat; default 38.0
}

// DefaultThresholds are SPEC §5.1's cut-offs.
var DefaultThresholds = Thresholds{FeverC: 37.3, ILIC: 38.0}

// SyndromesOf returns the syndromes a temperature (nil if not taken) and
// symptom codes amount to.
func SyndromesOf(tempC *float64, symptoms []string, th Thresholds) []Syndrome {
	has := func(codes ...string) bool {
		for _, c := range codes {
			if slices.Contains(symptoms, c) {
				return true
			}
		}
		return false
	}
	hot := func(limit float64) bool { return tempC != nil && *tempC >= limit-1e-9 }
	var out []Syndrome
	if hot(th.FeverC) || has("fever") {
		out = append(out, SynFever)
	}
	if hot(th.ILIC) && has("cough", "sore_throat") {
		out = append(out, SynILI)
	}
	if has("diarrhea", "vomiting") {
		out = append(out, SynGI)
	}
	if has("rash") {
		out = append(out, SynRash)
	}
	if has("parotid_swelling") {
		out = append(out, SynParotitis)
	}
	if has("conjunctival_congestion") {
		out = append(out, SynConjunctivitis)
	}
	if has("jaundice") {
		out = append(out, SynJaundice)
	}
	if has("cough", "sore_throat", "runny_nose", "shortness_of_breath") {
		out = append(out, SynRespiratory)
	}
	return out
}

// Slots of a day's check-ins.
const (
	SlotMorning = "morning"
	SlotNoon    = "noon"
	SlotEvening = "evening"
)

// ValidSlot reports whether s is morning, noon or evening.
func ValidSlot(s string) bool { return s == SlotMorning || s == SlotNoon || s == SlotEvening }

// Check-in sources.
const (
	SourceSelf     = "self"
	SourceGuardian = "guardian"
	SourceTeacher  = "teacher"
	SourceGate     = "gate"
	SourceAPI      = "api"
)

// Temperature limits (SPEC §5.1): outside them a reading is an input error.
const (
	MinTempC = 34.0
	MaxTempC = 43.0
)

// Checkin is one person's health report for a date and a slot (SPEC §2).
type Checkin struct {
	ID             int64      `json:"id"`
	PersonID       int64      `json:"person_id"`
	Date           string     `json:"date"`
	Slot           string     `json:"slot"`
	TemperatureC   *float64   `json:"temperature_c"`
	Symptoms       []string   `json:"symptoms"`
	OnCampus       *bool      `json:"on_campus"`
	RegionCode     string     `json:"region_code"`
	Address        string     `json:"address"`
	RiskAreaTravel bool       `json:"risk_area_travel"`
	CaseContact    bool       `json:"case_contact"`
	Absent         bool       `json:"absent"`
	Note           string     `json:"note"`
	Source         string     `json:"source"`
	ClientID       string     `json:"client_id,omitempty"`
	Revision       int        `json:"revision"`
	Syndromes      []Syndrome `json:"syndromes"`
	SubmittedBy    string     `json:"submitted_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// CheckinRules are the limits a check-in is validated against.
type CheckinRules struct {
	Today      string // YYYY-MM-DD in the installation's time zone
	MaxAgeDays int    // how far back a late check-in may go; default 7
}

// Validate checks and normalises a check-in submitted by a client.
func (c *Checkin) Validate(r CheckinRules) error {
	var v Validation
	if c.PersonID <= 0 {
		v.Add("person_id", "required")
	}
	if c.Slot == "" {
		c.Slot = SlotMorning
	}
	if !ValidSlot(c.Slot) {
		v.Add("slot", "must be morning, noon or evening")
	}
	if c.Date == "" {
		c.Date = r.Today
	}
	if d, err := time.Parse(time.DateOnly, c.Date); err != nil {
		v.Add("date", "must be a date YYYY-MM-DD")
	} else if c.Date > r.Today {
		v.Add("date", "is in the future")
	} else if today, err := time.Parse(time.DateOnly, r.Today); err == nil {
		maxAge := r.MaxAgeDays
		if maxAge <= 0 {
			maxAge = 7
		}
		if today.Sub(d) > time.Duration(maxAge)*24*time.Hour {
			v.Add("date", "is more than %d days ago", maxAge)
		}
	}
	if t := c.TemperatureC; t != nil {
		if math.IsNaN(*t) || *t < MinTempC || *t > MaxTempC {
			v.Add("temperature_c", "must be between %.1f and %.1f °C", MinTempC, MaxTempC)
		} else {
			rounded := math.Round(*t*10) / 10
			c.TemperatureC = &rounded
		}
	}
	seen := map[string]bool{}
	syms := []string{}
	for _, s := range c.Symptoms {
		s = strings.TrimSpace(s)
		if !ValidSymptom(s) {
			v.Add("symptoms", "unknown symptom code %q", s)
			continue
		}
		if !seen[s] {
			seen[s] = true
			syms = append(syms, s)
		}
	}
	c.Symptoms = syms
	if c.RegionCode != "" && !validRegion(c.RegionCode) {
		v.Add("region_code", "must be a 6-digit GB/T 2260 code")
	}
	if utf8.RuneCountInString(c.Address) > 200 {
		v.Add("address", "at most 200 characters")
	}
	if utf8.RuneCountInString(c.Note) > 500 {
		v.Add("note", "at most 500 characters")
	}
	if len(c.ClientID) > 100 {
		v.Add("client_id", "at most 100 characters")
	}
	switch c.Source {
	case "":
		c.Source = SourceAPI
	case SourceSelf, SourceGuardian, SourceTeacher, SourceGate, SourceAPI:
	default:
		v.Add("source", "must be self, guardian, teacher, gate or api")
	}
	return v.Err()
}

// validRegion checks the shape of a GB/T 2260 administrative division
// code: six digits whose province part is a real province number.
func validRegion(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	p := s[:2]
	return p >= "11" && p <= "82" && p != "00"
}

// CheckinInput is the body of POST /api/v1/checkins (SPEC §4.2), field for
// field; the handler turns it into a Checkin with who submitted it.
type CheckinInput struct {
	PersonID       int64    `json:"person_id"`
	Date           string   `json:"date"`
	Slot           string   `json:"slot"`
	TemperatureC   *float64 `json:"temperature_c"`
	Symptoms       []string `json:"symptoms"`
	OnCampus       *bool    `json:"on_campus"`
	RegionCode     string   `json:"region_code"`
	Address        string   `json:"address"`
	RiskAreaTravel bool     `json:"risk_area_travel"`
	CaseContact    bool     `json:"case_contact"`
	Absent         bool     `json:"absent"`
	Note           string   `json:"note"`
	Source         string   `json:"source"`
	ClientID       string   `json:"client_id"`
}
