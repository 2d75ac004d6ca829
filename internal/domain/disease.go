package domain

import "strings"

// Disease is a named infectious disease that cluster rules count when a
// diagnosis names it (SPEC §5.2), with the spellings a diagnosis may be
// typed with.
type Disease struct {
	Code    string
	NameZH  string
	NameEN  string
	Aliases []string
}

// Diseases are the diseases a diagnosis is recognised as: the codes and
// names of cluster.Diseases (a test keeps the two equal) with the
// spellings people type.
var Diseases = []Disease{
	{"influenza", "流行性感冒", "influenza", []string{"flu", "流感", "甲流", "乙流"}},
	{"covid19", "新型冠状病毒感染", "COVID-19", []string{"covid-19", "covid", "新冠", "新冠肺炎", "新型冠状病毒肺炎"}},
	{"measles", "麻疹", "measles", nil},
	{"rubella", "风疹", "rubella", nil},
	{"scarlet_fever", "猩红热", "scarlet fever", nil},
	{"pertussis", "百日咳", "pertussis", nil},
	{"tuberculosis", "肺结核", "tuberculosis", []string{"tb", "结核病", "结核"}},
	{"hepatitis_a", "甲型病毒性肝炎", "hepatitis A", []string{"甲肝"}},
	{"dysentery", "细菌性痢疾", "bacillary dysentery", []string{"菌痢", "痢疾"}},
	{"hfmd", "手足口病", "hand, foot and mouth disease", []string{"手足口"}},
	{"mumps", "流行性腮腺炎", "mumps", []string{"腮腺炎"}},
	{"acute_hemorrhagic_conjunctivitis", "急性出血性结膜炎", "acute haemorrhagic conjunctivitis", []string{"红眼病"}},
	{"infectious_diarrhoea", "感染性腹泻病", "infectious diarrhoea", []string{"感染性腹泻", "其他感染性腹泻", "其他感染性腹泻病"}},
	{"norovirus", "诺如病毒感染", "norovirus infection", []string{"诺如病毒", "诺如"}},
	{"varicella", "水痘", "varicella", []string{"chickenpox"}},
}

// DiseaseOf returns the code of the disease a free-text diagnosis names,
// or "" when it names none of Diseases. A diagnosis is matched whole, by
// code, name or alias, case-insensitively: "疑似水痘" is not a diagnosis
// of varicella until a doctor drops the 疑似.
func DiseaseOf(diagnosis string) string {
	d := strings.ToLower(strings.TrimSpace(diagnosis))
	if d == "" {
		return ""
	}
	for _, x := range Diseases {
		if d == x.Code || d == strings.ToLower(x.NameZH) || d == strings.ToLower(x.NameEN) {
			return x.Code
		}
		for _, a := range x.Aliases {
			if d == strings.ToLower(a) {
				return x.Code
			}
		}
	}
	return ""
}

// DiseaseSubject is the surveillance subject counting a disease, beside
// the syndromes: "disease:varicella".
func DiseaseSubject(code string) string { return "disease:" + code }
