package status

import (
	"errors"
	"testing"

	"epiguard/internal/domain"
)

// FuzzCompile checks that no expression or message makes Compile or
// Evaluate panic, that Compile's errors are EInvalid field errors, and that
// an accepted rule evaluates on ordinary facts.
func FuzzCompile(f *testing.F) {
	for _, r := range DefaultRules().Rules {
		f.Add(r.When, r.MessageZH)
		f.Add(r.When, r.MessageEN)
	}
	f.Add(`symptoms[0] == "fever"`, "{{")
	f.Add(`date(today) > date("2025-01-01") && temperature ** 2 > 1`, "{{ today }}}}")
	f.Add(`all(symptoms, # in ["cough"]) ?? false`, "{}{{}}")
	f.Add(`let n = len(syndromes); n > 1 and missed_school_days % n == 0`, "{{symptoms}}")

	facts := append([]Facts{day(temp(38.1), "cough"), day(nil, "fever", "rash")}, sampleFacts...)
	f.Fuzz(func(t *testing.T, when, message string) {
		e, err := Compile(RuleSet{Version: 1, Rules: []Rule{
			{Code: "fuzz", Level: Red, When: when, MessageZH: message, MessageEN: message},
		}})
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EInvalid || len(de.Fields) == 0 {
				t.Fatalf("error %#v is not an EInvalid *domain.Error with fields", err)
			}
			return
		}
		for _, f := range facts {
			r := e.Evaluate(f, "en")
			if r.Reasons == nil || (r.Level != Green && r.Level != Red) {
				t.Fatalf("Evaluate = %#v", r)
			}
		}
	})
}
