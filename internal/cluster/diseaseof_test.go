package cluster

import "testing"

func TestDiseaseOf(t *testing.T) {
	for in, want := range map[string]string{
		"水痘": "varicella", " Chickenpox ": "varicella", "varicella": "varicella", "诺如": "norovirus",
		"感染性腹泻": "infectious_diarrhoea", "新冠": "covid19", "TB": "tuberculosis", "手足口病": "hfmd",
		"疑似水痘": "", "感冒": "", "": "",
	} {
		if got := DiseaseOf(in); got != want {
			t.Errorf("DiseaseOf(%q) = %q, want %q", in, got, want)
		}
	}
	for _, d := range Diseases() {
		if got := DiseaseOf(d.NameZH); got != d.Code {
			t.Errorf("DiseaseOf(%q) = %q, want %q", d.NameZH, got, d.Code)
		}
	}
	if Subject("varicella") != "disease:varicella" {
		t.Error("Subject")
	}
}
