package cluster

import (
	"slices"
	"strings"

	"epiguard/internal/domain"
)

// AnyNotifiable is the disease of a rule that counts a case of any
// notifiable disease (法定传染病).
const AnyNotifiable = "any_notifiable"

// Disease is a disease that cluster rules may count.
type Disease struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	// Notifiable marks the diseases of the national list of notifiable
	// infectious diseases (法定传染病, classes A, B and C).
	Notifiable bool `json:"notifiable"`
	// Includes are diseases whose cases count as cases of this one too.
	Includes []string `json:"includes,omitempty"`
	// Aliases are other spellings a diagnosis may be typed with.
	Aliases []string `json:"aliases,omitempty"`
}

// Diseases returns the diseases rules may name, the ones schools meet most.
// Codes match those of the return-to-school rules (status.ReturnRules).
// Each call returns a fresh copy.
//
// Varicella is not on the national list of notifiable diseases, so a
// single case does not fire the any_notifiable rule; its cluster and event
// rules count it all the same. Norovirus infection is reported as "other
// infectious diarrhoea" (其他感染性腹泻病, class C), so it is notifiable and
// counted by the infectious-diarrhoea rules.
func Diseases() []Disease {
	return []Disease{
		{Code: "influenza", NameZH: "流行性感冒", NameEN: "influenza", Notifiable: true, Aliases: []string{"flu", "流感", "甲流", "乙流"}},
		{Code: "covid19", NameZH: "新型冠状病毒感染", NameEN: "COVID-19", Notifiable: true, Aliases: []string{"covid-19", "covid", "新冠", "新冠肺炎", "新型冠状病毒肺炎"}},
		{Code: "measles", NameZH: "麻疹", NameEN: "measles", Notifiable: true},
		{Code: "rubella", NameZH: "风疹", NameEN: "rubella", Notifiable: true},
		{Code: "scarlet_fever", NameZH: "猩红热", NameEN: "scarlet fever", Notifiable: true},
		{Code: "pertussis", NameZH: "百日咳", NameEN: "pertussis", Notifiable: true},
		{Code: "tuberculosis", NameZH: "肺结核", NameEN: "tuberculosis", Notifiable: true, Aliases: []string{"tb", "结核病", "结核"}},
		{Code: "hepatitis_a", NameZH: "甲型病毒性肝炎", NameEN: "hepatitis A", Notifiable: true, Aliases: []string{"甲肝"}},
		{Code: "dysentery", NameZH: "细菌性痢疾", NameEN: "bacillary dysentery", Notifiable: true, Aliases: []string{"菌痢", "痢疾"}},
		{Code: "hfmd", NameZH: "手足口病", NameEN: "hand, foot and mouth disease", Notifiable: true, Aliases: []string{"手足口"}},
		{Code: "mumps", NameZH: "流行性腮腺炎", NameEN: "mumps", Notifiable: true, Aliases: []string{"腮腺炎"}},
		{Code: "acute_hemorrhagic_conjunctivitis", NameZH: "急性出血性结膜炎", NameEN: "acute haemorrhagic conjunctivitis", Notifiable: true, Aliases: []string{"红眼病"}},
		{Code: "infectious_diarrhoea", NameZH: "感染性腹泻病", NameEN: "infectious diarrhoea", Notifiable: true, Includes: []string{"norovirus"}, Aliases: []string{"感染性腹泻", "其他感染性腹泻", "其他感染性腹泻病"}},
		{Code: "norovirus", NameZH: "诺如病毒感染", NameEN: "norovirus infection", Notifiable: true, Aliases: []string{"诺如病毒", "诺如"}},
		{Code: "varicella", NameZH: "水痘", NameEN: "varicella", Aliases: []string{"chickenpox"}},
	}
}

// DiseaseOf returns the code of the disease a free-text diagnosis names,
// or "" when it names none of Diseases. A diagnosis is matched whole, by
// code, name or alias, case-insensitively: "疑似水痘" is not a diagnosis of
// varicella until a doctor drops the 疑似.
func DiseaseOf(diagnosis string) string {
	d := strings.ToLower(strings.TrimSpace(diagnosis))
	if d == "" {
		return ""
	}
	for _, x := range Diseases() {
		if d == x.Code || d == strings.ToLower(x.NameZH) || d == strings.ToLower(x.NameEN) || slices.ContainsFunc(x.Aliases, func(a string) bool {
			return d == strings.ToLower(a)
		}) {
			return x.Code
		}
	}
	return ""
}

// Subject is the surveillance subject counting a disease, beside the
// syndromes: "disease:varicella".
func Subject(code string) string { return "disease:" + code }

// FindDisease returns the disease with this code.
func FindDisease(code string) (Disease, bool) {
	for _, d := range Diseases() {
		if d.Code == code {
			return d, true
		}
	}
	return Disease{}, false
}

// IsNotifiable reports whether code names a notifiable disease of Diseases.
func IsNotifiable(code string) bool {
	d, ok := FindDisease(code)
	return ok && d.Notifiable
}

// diseaseName returns the name of a disease code, or the code itself.
func diseaseName(code string) (zh, en string) {
	if code == AnyNotifiable {
		return "法定传染病", "notifiable disease"
	}
	if d, ok := FindDisease(code); ok {
		return d.NameZH, d.NameEN
	}
	return code, code
}

// SyndromeName returns the name of a syndrome in Chinese and English, as
// findings, alerts and pages show it.
func SyndromeName(s domain.Syndrome) (zh, en string) {
	switch s {
	case domain.SynFever:
		return "发热", "fever"
	case domain.SynILI:
		return "流感样病例", "influenza-like illness"
	case domain.SynGI:
		return "胃肠道症状（腹泻或呕吐）", "diarrhoea or vomiting"
	case domain.SynRash:
		return "皮疹", "rash"
	case domain.SynParotitis:
		return "腮腺肿大", "parotid swelling"
	case domain.SynConjunctivitis:
		return "结膜炎症状", "conjunctivitis"
	case domain.SynJaundice:
		return "黄疸", "jaundice"
	case domain.SynRespiratory:
		return "呼吸道症状", "respiratory symptoms"
	}
	return string(s), string(s)
}
