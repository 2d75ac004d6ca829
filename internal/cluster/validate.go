package cluster

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"epiguard/internal/domain"
)

// Limits of a rule set.
const (
	MaxRules      = 200
	MaxWindowDays = 366
	MaxActions    = 20
	MaxNameLen    = 100 // characters
	MaxActionLen  = 500 // characters
	MaxSourceLen  = 300 // characters
	MaxDeadline   = 30 * 24 * time.Hour
)

var (
	codePattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	profilePattern = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)
)

// Validate checks a rule set as an admin saves it: unique codes
// (lower-case letters, digits and underscores), names in both languages,
// either known syndromes or one known disease, known unit kinds, a window
// of 1 to MaxWindowDays days or the term, a threshold with a count above 0
// or a percentage in (0, 100], a known level, a deadline that is a
// non-negative Go duration ("24h", "2h", "0s") or empty, a source, and
// actions with both languages.
//
// Errors are a *domain.Error with code EInvalid and one FieldError per
// problem, the field named like "rules[3].threshold.percent".
func Validate(rules []Rule) error {
	var v domain.Validation
	if len(rules) > MaxRules {
		v.Add("rules", "at most %d rules, got %d", MaxRules, len(rules))
		return v.Err()
	}
	first := map[string]int{} // code → index of the rule that uses it first
	for i, r := range rules {
		field := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }

		switch j, dup := first[r.Code]; {
		case r.Code == "":
			v.Add(field("code"), "required")
		case !codePattern.MatchString(r.Code):
			v.Add(field("code"), "must be lower-case letters, digits and underscores, starting with a letter, at most 64 characters")
		case dup:
			v.Add(field("code"), "duplicate code %q (also rules[%d])", r.Code, j)
		default:
			first[r.Code] = i
		}
		checkText(&v, field("name_zh"), r.NameZH, MaxNameLen, true)
		checkText(&v, field("name_en"), r.NameEN, MaxNameLen, true)

		switch {
		case len(r.Syndromes) == 0 && r.Disease == "":
			v.Add(field("syndromes"), "set the syndromes or the disease the rule counts")
		case len(r.Syndromes) > 0 && r.Disease != "":
			v.Add(field("disease"), "a rule counts syndromes or a disease, not both")
		}
		for k, s := range r.Syndromes {
			switch {
			case !slices.Contains(domain.AllSyndromes, s):
				v.Add(field(fmt.Sprintf("syndromes[%d]", k)), "unknown syndrome %q", s)
			case slices.Index(r.Syndromes, s) < k:
				v.Add(field(fmt.Sprintf("syndromes[%d]", k)), "%s is listed twice", s)
			}
		}
		if r.Disease != "" && r.Disease != AnyNotifiable {
			if _, ok := FindDisease(r.Disease); !ok {
				v.Add(field("disease"), "unknown disease %q", r.Disease)
			}
		}

		if len(r.Kinds) == 0 {
			v.Add(field("kinds"), "required: the unit kinds the rule applies to")
		}
		for k, kind := range r.Kinds {
			switch {
			case kind != KindPerson && !domain.OrgKind(kind).Valid():
				v.Add(field(fmt.Sprintf("kinds[%d]", k)), "unknown unit kind %q", kind)
			case slices.Index(r.Kinds, kind) < k:
				v.Add(field(fmt.Sprintf("kinds[%d]", k)), "%s is listed twice", kind)
			}
		}

		switch s := r.Span; {
		case s.Term && (s.Days != 0 || s.School):
			v.Add(field("window"), "a term window has no days")
		case s.Term:
		case s.Days < 1 || s.Days > MaxWindowDays:
			v.Add(field("window.days"), "must be 1 to %d days, or the window the term", MaxWindowDays)
		}

		t := r.Threshold
		switch {
		case t.Count < 0:
			v.Add(field("threshold.count"), "must not be negative")
		case t.Count == 0 && t.New:
			v.Add(field("threshold.new"), "needs a count")
		}
		switch {
		case math.IsNaN(t.Percent) || t.Percent < 0 || t.Percent > 100:
			v.Add(field("threshold.percent"), "must be above 0 and at most 100")
		case t.Count <= 0 && t.Percent == 0:
			v.Add(field("threshold"), "set a count above 0 or a percentage")
		}

		if !slices.Contains(Levels(), r.Level) {
			v.Add(field("level"), "must be one of advice, case, cluster, outbreak, event")
		}
		if r.Deadline != "" {
			d, err := time.ParseDuration(r.Deadline)
			switch {
			case err != nil:
				v.Add(field("deadline"), "must be a duration such as 24h, 2h or 0s (immediately), or empty for none")
			case d < 0 || d > MaxDeadline:
				v.Add(field("deadline"), "must be between 0s and %s", MaxDeadline)
			}
		}

		if len(r.Actions) > MaxActions {
			v.Add(field("actions"), "at most %d actions", MaxActions)
		}
		for k, a := range r.Actions {
			checkText(&v, field(fmt.Sprintf("actions[%d].zh", k)), a.ZH, MaxActionLen, true)
			checkText(&v, field(fmt.Sprintf("actions[%d].en", k)), a.EN, MaxActionLen, true)
		}
		checkText(&v, field("source"), r.Source, MaxSourceLen, true)
		if r.Profile != "" && !profilePattern.MatchString(r.Profile) {
			v.Add(field("profile"), "must be a policy profile code such as covid-2022-v9")
		}
	}
	return v.Err()
}

func checkText(v *domain.Validation, field, s string, limit int, required bool) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(s)); {
	case n == 0 && required:
		v.Add(field, "required")
	case n > limit:
		v.Add(field, "at most %d characters", limit)
	}
}
