package status

import (
	"slices"
	"testing"
)

func TestDiseasesNeedingCertificate(t *testing.T) {
	want := []string{"influenza", "varicella", "mumps", "hfmd", "tuberculosis", "norovirus"}
	if got := DiseasesNeedingCertificate(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, r := range ReturnRules {
		if r.NameZH == "" || r.NameEN == "" || r.CriterionZH == "" || r.CriterionEN == "" {
			t.Errorf("return rule %s is incomplete: %+v", r.Code, r)
		}
	}
}

func TestNeedsCertificate(t *testing.T) {
	tests := []struct {
		diagnosis string
		want      bool
	}{
		{"influenza", true},
		{"ili", true},
		{"流感", true},
		{"varicella", true},
		{"  Chickenpox ", true},
		{"水痘", true},
		{"mumps", true},
		{"流行性腮腺炎", true},
		{"hfmd", true},
		{"Hand, foot and mouth disease", true},
		{"手足口病", true},
		{"TB", true},
		{"肺结核", true},
		{"norovirus", true},
		{"诺如病毒感染", true},
		{"measles", false},
		{"common cold", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := NeedsCertificate(tt.diagnosis); got != tt.want {
			t.Errorf("NeedsCertificate(%q) = %v, want %v", tt.diagnosis, got, tt.want)
		}
	}
}
