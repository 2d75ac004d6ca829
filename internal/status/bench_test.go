package status

import "testing"

// BenchmarkEvaluateDefault measures one status computation with the
// default rules: a green person, a person with fever, and a person every
// rule matches.
func BenchmarkEvaluateDefault(b *testing.B) {
	e := DefaultEngine()
	fever := day(temp(38.2), "headache")
	fever.MissedSchoolDays = 1
	for _, bc := range []struct {
		name  string
		facts Facts
	}{
		{"green", day(temp(36.5))},
		{"fever", fever},
		{"all", sampleFacts[1]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Evaluate(bc.facts, "zh-CN")
			}
		})
	}
}
