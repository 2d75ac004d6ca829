package status

import "strings"

// ReturnRule is one disease after which a pupil needs a return-to-school
// certificate (复课证明), with the criterion for returning (SPEC §5.3).
type ReturnRule struct {
	Code        string   `json:"code"` // stable lower-case disease code
	NameZH      string   `json:"name_zh"`
	NameEN      string   `json:"name_en"`
	CriterionZH string   `json:"criterion_zh"`
	CriterionEN string   `json:"criterion_en"`
	Aliases     []string `json:"aliases"` // other spellings a diagnosis may be entered with
}

// ReturnRules are the defaults of SPEC §5.3. Treat as read-only.
var ReturnRules = []ReturnRule{
	{
		Code: "influenza", NameZH: "流感", NameEN: "influenza",
		CriterionZH: "体温恢复正常、流感样症状消失 48 小时后",
		CriterionEN: "48 hours after fever and influenza-like symptoms have resolved",
		Aliases:     []string{"ili", "flu", "流行性感冒", "流感样病例"},
	},
	{
		Code: "varicella", NameZH: "水痘", NameEN: "varicella",
		CriterionZH: "全部皮疹结痂干燥，且发病满 14 天",
		CriterionEN: "All lesions crusted and at least 14 days since onset",
		Aliases:     []string{"chickenpox"},
	},
	{
		Code: "mumps", NameZH: "流行性腮腺炎", NameEN: "mumps",
		CriterionZH: "腮腺肿大完全消退",
		CriterionEN: "Parotid swelling has gone",
		Aliases:     []string{"腮腺炎"},
	},
	{
		Code: "hfmd", NameZH: "手足口病", NameEN: "hand, foot and mouth disease",
		CriterionZH: "发病满 2 周",
		CriterionEN: "2 weeks since onset",
		Aliases:     []string{"手足口"},
	},
	{
		Code: "tuberculosis", NameZH: "肺结核", NameEN: "tuberculosis",
		CriterionZH: "持结核病定点医疗机构出具的复学证明",
		CriterionEN: "A certificate from a designated tuberculosis clinic",
		Aliases:     []string{"tb", "结核病", "结核"},
	},
	{
		Code: "norovirus", NameZH: "诺如病毒感染", NameEN: "norovirus infection",
		CriterionZH: "症状消失 72 小时后",
		CriterionEN: "72 hours after symptoms have resolved",
		Aliases:     []string{"诺如病毒", "诺如"},
	},
}

// DiseasesNeedingCertificate returns the codes of the diseases in
// ReturnRules, in table order.
func DiseasesNeedingCertificate() []string {
	codes := make([]string, len(ReturnRules))
	for i, r := range ReturnRules {
		codes[i] = r.Code
	}
	return codes
}

// FindReturnRule returns the rule for a diagnosis given as a code, a name in
// either language or an alias, ignoring case and surrounding space.
func FindReturnRule(diagnosis string) (ReturnRule, bool) {
	d := strings.ToLower(strings.TrimSpace(diagnosis))
	if d == "" {
		return ReturnRule{}, false
	}
	for _, r := range ReturnRules {
		if d == r.Code || d == r.NameZH || d == strings.ToLower(r.NameEN) {
			return r, true
		}
		for _, a := range r.Aliases {
			if d == a {
				return r, true
			}
		}
	}
	return ReturnRule{}, false
}

// NeedsCertificate reports whether returning after an illness with this
// diagnosis requires a return-to-school certificate (SPEC §5.3).
func NeedsCertificate(diagnosis string) bool {
	_, ok := FindReturnRule(diagnosis)
	return ok
}
