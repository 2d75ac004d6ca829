package cluster

import (
	"testing"

	"epiguard/internal/domain"
)

// The store recognises diagnoses with domain.Diseases; the rules count
// cluster.Diseases. They must name the same diseases the same way.
func TestDiseasesMatchDomain(t *testing.T) {
	ds := Diseases()
	if len(ds) != len(domain.Diseases) {
		t.Fatalf("cluster has %d diseases, domain %d", len(ds), len(domain.Diseases))
	}
	for i, d := range ds {
		x := domain.Diseases[i]
		if d.Code != x.Code || d.NameZH != x.NameZH || d.NameEN != x.NameEN {
			t.Errorf("disease %d: cluster %s/%s/%s, domain %s/%s/%s", i, d.Code, d.NameZH, d.NameEN, x.Code, x.NameZH, x.NameEN)
		}
		if got := domain.DiseaseOf(d.NameZH); got != d.Code {
			t.Errorf("DiseaseOf(%q) = %q", d.NameZH, got)
		}
	}
}
