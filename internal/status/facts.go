package status

import (
	"reflect"
	"strconv"
	"strings"
)

// DefaultRiskWindowDays is the risk-area travel look-back when the policy
// profile sets none.
const DefaultRiskWindowDays = 7

// Facts is what is known about one person on one day: the fact set that
// rule expressions and message placeholders name. The name of each fact is
// its `expr` tag (snake_case). The caller fills every field; zero values
// mean "nothing known", so an empty Facts is a person who is green.
//
// FactDocs describes the same facts in both languages for the rule editor.
type Facts struct {
	// Today is the date the status is computed for, YYYY-MM-DD in the
	// installation's time zone.
	Today string `expr:"today" json:"today"`

	// Temperature is the latest temperature recorded today (check-in,
	// morning/noon check or gate) in °C, rounded to 0.1; 0 when none was taken.
	Temperature float64 `expr:"temperature" json:"temperature"`

	// TemperatureTaken reports whether a temperature was recorded today.
	TemperatureTaken bool `expr:"temperature_taken" json:"temperature_taken"`

	// Symptoms are the symptom codes (SPEC §5.1) of today's latest check-in.
	Symptoms []string `expr:"symptoms" json:"symptoms"`

	// Syndromes are today's syndromes (SPEC §5.1): fever, ili, gi, rash,
	// parotitis, conjunctivitis, jaundice, respiratory — as computed by
	// domain.SyndromesOf from the temperature and symptoms above.
	Syndromes []string `expr:"syndromes" json:"syndromes"`

	// CheckedInToday reports whether any check-in exists for today.
	CheckedInToday bool `expr:"checked_in_today" json:"checked_in_today"`

	// MissedSchoolDays counts the consecutive school days before today
	// without any check-in (today is not counted).
	MissedSchoolDays int `expr:"missed_school_days" json:"missed_school_days"`

	// RiskAreaTravel reports whether a check-in within the last
	// RiskWindowDays days declared travel to a risk area.
	RiskAreaTravel bool `expr:"risk_area_travel" json:"risk_area_travel"`

	// RiskWindowDays is the travel look-back of the policy profile in days
	// (DefaultRiskWindowDays unless the profile says otherwise).
	RiskWindowDays int `expr:"risk_window_days" json:"risk_window_days"`

	// CaseContactDeclared reports whether today's check-in declared contact
	// with a case.
	CaseContactDeclared bool `expr:"case_contact_declared" json:"case_contact_declared"`

	// AbsenceOpen reports an illness absence with no return date yet.
	AbsenceOpen bool `expr:"absence_open" json:"absence_open"`

	// AbsenceNeedsCertificate reports that the person returned, or is
	// returning, from an illness absence whose diagnosis requires a return
	// certificate (SPEC §5.3, NeedsCertificate) that has not been received.
	AbsenceNeedsCertificate bool `expr:"absence_needs_certificate" json:"absence_needs_certificate"`

	// AbsenceDiagnosis is the diagnosis of the latest illness absence, a
	// disease code such as "varicella" where known, else free text or "".
	AbsenceDiagnosis string `expr:"absence_diagnosis" json:"absence_diagnosis"`

	// CaseStatus is the person's open case: "", "suspected", "confirmed",
	// "asymptomatic" or "excluded".
	CaseStatus string `expr:"case_status" json:"case_status"`

	// CaseDisease is the disease code of that case, "" when there is none.
	CaseDisease string `expr:"case_disease" json:"case_disease"`

	// InQuarantine reports an active quarantine (isolation or health
	// monitoring) today.
	InQuarantine bool `expr:"in_quarantine" json:"in_quarantine"`

	// CloseContactActive reports that the person is a close contact (密接)
	// of a case whose monitoring window under the policy profile includes
	// today.
	CloseContactActive bool `expr:"close_contact_active" json:"close_contact_active"`

	// PoolPositiveUncleared reports that a pool holding the person's sample
	// tested positive and the person has not yet been cleared by a single
	// test.
	PoolPositiveUncleared bool `expr:"pool_positive_uncleared" json:"pool_positive_uncleared"`
}

// FactDoc describes one fact for people writing rules.
type FactDoc struct {
	Name string `json:"name"` // as written in expressions and {{placeholders}}
	Type string `json:"type"` // string, float, int, bool or list of strings
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// FactDocs lists every field of Facts, in order.
var FactDocs = []FactDoc{
	{"today", "string", "计算状态的日期（YYYY-MM-DD）", "The date the status is for (YYYY-MM-DD)"},
	{"temperature", "float", "今日最近一次体温（°C），未测为 0", "Latest temperature today in °C; 0 when not taken"},
	{"temperature_taken", "bool", "今日是否测过体温", "Whether a temperature was taken today"},
	{"symptoms", "list of strings", "今日最近一次打卡的症状代码", "Symptom codes of today's latest check-in"},
	{"syndromes", "list of strings", "今日症候群：fever、ili、gi、rash、parotitis、conjunctivitis、jaundice、respiratory",
		"Today's syndromes: fever, ili, gi, rash, parotitis, conjunctivitis, jaundice, respiratory"},
	{"checked_in_today", "bool", "今日是否已打卡", "Whether there is a check-in today"},
	{"missed_school_days", "int", "今日之前连续未打卡的上学日数（不含今日）", "Consecutive school days before today without a check-in"},
	{"risk_area_travel", "bool", "近 risk_window_days 天内的打卡是否申报到过风险地区", "Whether a check-in within risk_window_days declared risk-area travel"},
	{"risk_window_days", "int", "防控方案规定的风险地区旅居回溯天数（默认 7）", "The policy profile's travel look-back in days (default 7)"},
	{"case_contact_declared", "bool", "今日打卡是否申报接触过病例", "Whether today's check-in declared contact with a case"},
	{"absence_open", "bool", "是否有尚未登记返校日期的因病缺勤", "Whether an illness absence has no return date yet"},
	{"absence_needs_certificate", "bool", "因病缺勤的诊断需要复课证明且尚未收到", "The illness absence's diagnosis needs a return certificate not yet received"},
	{"absence_diagnosis", "string", "最近一次因病缺勤的诊断（疾病代码或文字）", "Diagnosis of the latest illness absence (disease code or text)"},
	{"case_status", "string", "病例状态：空、suspected、confirmed、asymptomatic、excluded", "Case status: empty, suspected, confirmed, asymptomatic, excluded"},
	{"case_disease", "string", "病例的疾病代码", "Disease code of the case"},
	{"in_quarantine", "bool", "今日是否处于隔离或健康监测期", "Whether a quarantine or health monitoring is active today"},
	{"close_contact_active", "bool", "是否为病例的密切接触者且仍在管理期内", "Whether the person is a close contact within the active window"},
	{"pool_positive_uncleared", "bool", "混采检测阳性且尚未经单检排除", "Whether a pooled test was positive and not yet cleared"},
}

// factList holds the fact names in field order, factIndex the reverse.
var (
	factList  = factNamesOf(reflect.TypeFor[Facts]())
	factIndex = func() map[string]int {
		m := make(map[string]int, len(factList))
		for i, n := range factList {
			m[n] = i
		}
		return m
	}()
)

func factNamesOf(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range t.NumField() {
		names[i] = t.Field(i).Tag.Get("expr")
	}
	return names
}

// sampleFacts are the facts every rule is tried on when it is compiled: a
// day on which nothing is known and one on which everything is true, so
// that an expression that fails at run time for ordinary people is refused
// on save.
var sampleFacts = []Facts{
	{Today: "2025-03-03", RiskWindowDays: DefaultRiskWindowDays},
	{
		Today:                   "2025-03-03",
		Temperature:             38.5,
		TemperatureTaken:        true,
		Symptoms:                []string{"fever", "cough", "sore_throat"},
		Syndromes:               []string{"fever", "ili", "respiratory"},
		CheckedInToday:          true,
		MissedSchoolDays:        3,
		RiskAreaTravel:          true,
		RiskWindowDays:          DefaultRiskWindowDays,
		CaseContactDeclared:     true,
		AbsenceOpen:             true,
		AbsenceNeedsCertificate: true,
		AbsenceDiagnosis:        "influenza",
		CaseStatus:              "confirmed",
		CaseDisease:             "influenza",
		InQuarantine:            true,
		CloseContactActive:      true,
		PoolPositiveUncleared:   true,
	},
}

// factText formats the value of a fact for a message in Chinese or
// English: temperatures with one decimal, codes by their names.
func factText(f *Facts, field int, en bool) string {
	fact := factList[field]
	switch v := reflect.ValueOf(f).Elem().Field(field).Interface().(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case int:
		return strconv.Itoa(v)
	case bool:
		switch {
		case en && v:
			return "yes"
		case en:
			return "no"
		case v:
			return "是"
		default:
			return "否"
		}
	case string:
		return codeName(fact, v, en)
	case []string:
		names := make([]string, len(v))
		for i, c := range v {
			names[i] = codeName(fact, c, en)
		}
		if en {
			return strings.Join(names, ", ")
		}
		return strings.Join(names, "、")
	}
	return ""
}

// name is a code's display name in both languages.
type name struct{ zh, en string }

var symptomNames = map[string]name{
	"fever":                   {"发热", "fever"},
	"cough":                   {"咳嗽", "cough"},
	"headache":                {"头痛", "headache"},
	"sore_throat":             {"咽痛", "sore throat"},
	"parotid_swelling":        {"腮腺肿大", "parotid swelling"},
	"abdominal_pain":          {"腹痛", "abdominal pain"},
	"diarrhea":                {"腹泻", "diarrhoea"},
	"vomiting":                {"呕吐", "vomiting"},
	"rash":                    {"皮疹", "rash"},
	"dizziness":               {"头晕", "dizziness"},
	"fatigue":                 {"乏力", "fatigue"},
	"conjunctival_congestion": {"结膜充血", "conjunctival congestion"},
	"runny_nose":              {"流涕", "runny nose"},
	"loss_of_smell_taste":     {"嗅觉味觉减退", "loss of smell or taste"},
	"shortness_of_breath":     {"呼吸困难", "shortness of breath"},
	"jaundice":                {"黄疸", "jaundice"},
}

var syndromeNames = map[string]name{
	"fever":          {"发热", "fever"},
	"ili":            {"流感样症状", "influenza-like illness"},
	"gi":             {"胃肠道症状", "gastrointestinal symptoms"},
	"rash":           {"皮疹", "rash"},
	"parotitis":      {"腮腺肿大", "parotitis"},
	"conjunctivitis": {"结膜炎症状", "conjunctivitis"},
	"jaundice":       {"黄疸", "jaundice"},
	"respiratory":    {"呼吸道症状", "respiratory symptoms"},
}

var caseStatusNames = map[string]name{
	"suspected":    {"疑似", "suspected"},
	"confirmed":    {"确诊", "confirmed"},
	"asymptomatic": {"无症状感染", "asymptomatic"},
	"excluded":     {"已排除", "excluded"},
}

// otherDiseases names diseases of SPEC §5.2 that need no return
// certificate; the others are in ReturnRules.
var otherDiseases = map[string]name{
	"measles":             {"麻疹", "measles"},
	"covid19":             {"新冠病毒感染", "COVID-19"},
	"infectious_diarrhea": {"感染性腹泻", "infectious diarrhoea"},
}

// codeName returns the display name of a code held by the named fact, or
// the code itself when it has none.
func codeName(fact, code string, en bool) string {
	var n name
	var ok bool
	switch fact {
	case "symptoms":
		n, ok = symptomNames[code]
	case "syndromes":
		n, ok = syndromeNames[code]
	case "case_status":
		n, ok = caseStatusNames[code]
	case "case_disease", "absence_diagnosis":
		if r, found := FindReturnRule(code); found {
			n, ok = name{r.NameZH, r.NameEN}, true
		} else {
			n, ok = otherDiseases[code]
		}
	}
	switch {
	case !ok:
		return code
	case en:
		return n.en
	default:
		return n.zh
	}
}
