package status

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"epiguard/internal/domain"
)

// day returns the facts of a check-in with this temperature (nil when not
// taken) and these symptoms, syndromes computed as the check-in code does.
func day(temp *float64, symptoms ...string) Facts {
	f := Facts{Today: "2025-03-03", RiskWindowDays: DefaultRiskWindowDays, CheckedInToday: true, Symptoms: symptoms}
	if temp != nil {
		f.Temperature, f.TemperatureTaken = *temp, true
	}
	for _, s := range domain.SyndromesOf(temp, symptoms, domain.DefaultThresholds) {
		f.Syndromes = append(f.Syndromes, string(s))
	}
	return f
}

func temp(c float64) *float64 { return &c }

func codes(r Result) []string {
	out := []string{}
	for _, reason := range r.Reasons {
		out = append(out, reason.Code)
	}
	return out
}

func TestDefaultRules(t *testing.T) {
	e := DefaultEngine()
	with := func(change func(*Facts)) Facts {
		f := day(temp(36.5))
		change(&f)
		return f
	}
	tests := []struct {
		name  string
		facts Facts
		level Level
		codes []string
	}{
		{"nothing known", Facts{}, Green, []string{}},
		{"normal check-in", day(temp(36.5)), Green, []string{}},

		{"suspected case", with(func(f *Facts) { f.CaseStatus, f.CaseDisease = "suspected", "measles" }), Red, []string{"case"}},
		{"confirmed case", with(func(f *Facts) { f.CaseStatus, f.CaseDisease = "confirmed", "varicella" }), Red, []string{"case"}},
		{"asymptomatic case", with(func(f *Facts) { f.CaseStatus, f.CaseDisease = "asymptomatic", "covid19" }), Red, []string{"case"}},
		{"excluded case", with(func(f *Facts) { f.CaseStatus, f.CaseDisease = "excluded", "measles" }), Green, []string{}},

		{"in quarantine", with(func(f *Facts) { f.InQuarantine = true }), Red, []string{"quarantine"}},
		{"close contact in window", with(func(f *Facts) { f.CloseContactActive = true }), Red, []string{"close_contact"}},
		{"pool positive not cleared", with(func(f *Facts) { f.PoolPositiveUncleared = true }), Red, []string{"pool_positive"}},

		{"37.2 is no fever", day(temp(37.2)), Green, []string{}},
		{"37.3 is fever", day(temp(37.3)), Yellow, []string{"fever_today"}},
		{"fever symptom, temperature normal", day(temp(36.8), "fever"), Yellow, []string{"fever_today"}},
		{"fever symptom, no temperature", day(nil, "fever"), Yellow, []string{"fever_reported_today"}},
		{"37.9 with cough is fever, not ILI", day(temp(37.9), "cough"), Yellow, []string{"fever_today"}},
		{"38.0 with cough is ILI only", day(temp(38.0), "cough"), Yellow, []string{"ili_today"}},
		{"38.5 with sore throat is ILI", day(temp(38.5), "sore_throat"), Yellow, []string{"ili_today"}},
		{"38.5 without respiratory symptom is fever", day(temp(38.5), "headache"), Yellow, []string{"fever_today"}},
		{"cough alone", day(temp(36.6), "cough"), Green, []string{}},

		{"illness absence open", with(func(f *Facts) { f.AbsenceOpen = true }), Yellow, []string{"absence_open"}},
		{"certificate missing", with(func(f *Facts) { f.AbsenceNeedsCertificate, f.AbsenceDiagnosis = true, "mumps" }), Yellow, []string{"return_certificate_missing"}},
		{"certificate received", with(func(f *Facts) { f.AbsenceDiagnosis = "mumps" }), Green, []string{}},

		{"risk-area travel", with(func(f *Facts) { f.RiskAreaTravel = true }), Yellow, []string{"risk_area_travel"}},
		{"case contact declared only", with(func(f *Facts) { f.CaseContactDeclared = true }), Green, []string{}},

		{"missed 1 school day", with(func(f *Facts) { f.MissedSchoolDays = 1 }), Green, []string{}},
		{"missed 2 school days, checked in today", with(func(f *Facts) { f.MissedSchoolDays = 2 }), Green, []string{}},
		{"missed 2 school days, not yet today", Facts{MissedSchoolDays: 2, RiskWindowDays: 7}, Yellow, []string{"missed_checkins"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.EvaluateErr(tt.facts, "zh-CN")
			if err != nil {
				t.Fatalf("run-time error: %v", err)
			}
			if got.Level != tt.level || !slices.Equal(codes(got), tt.codes) {
				t.Errorf("got %s %v, want %s %v", got.Level, codes(got), tt.level, tt.codes)
			}
		})
	}
}

func TestEvaluateSeveralReasons(t *testing.T) {
	f := day(temp(38.2), "cough")
	f.MissedSchoolDays = 3
	f.InQuarantine = true
	f.RiskAreaTravel = true
	f.CheckedInToday = false // or the missed days would not count

	got := DefaultEngine().Evaluate(f, "en")
	if got.Level != Red {
		t.Errorf("level = %s, want red", got.Level)
	}
	want := []string{"quarantine", "ili_today", "risk_area_travel", "missed_checkins"}
	if !slices.Equal(codes(got), want) {
		t.Errorf("reasons = %v, want %v (rule order)", codes(got), want)
	}

	f.InQuarantine = false
	if got := DefaultEngine().Evaluate(f, "en"); got.Level != Yellow || len(got.Reasons) != 3 {
		t.Errorf("without quarantine got %s with %d reasons, want yellow with 3", got.Level, len(got.Reasons))
	}
}

func TestDefaultMessages(t *testing.T) {
	e := DefaultEngine()
	tests := []struct {
		name   string
		facts  Facts
		zh, en string
	}{
		{"fever", day(temp(38.2)), "今日发热（38.2°C）", "Fever today (38.2 °C)"},
		{"one decimal", day(temp(38.04)), "今日发热（38.0°C）", "Fever today (38.0 °C)"},
		{"fever reported", day(nil, "fever"), "今日自述发热（未测体温）", "Fever reported today (temperature not taken)"},
		{"ili", day(temp(38.6), "cough"), "今日流感样症状（38.6°C，伴咳嗽或咽痛）", "Influenza-like illness today (38.6 °C with cough or sore throat)"},
		{"confirmed case", Facts{CaseStatus: "confirmed", CaseDisease: "varicella"}, "水痘病例（确诊）", "Case of varicella (confirmed)"},
		{"suspected case", Facts{CaseStatus: "suspected", CaseDisease: "measles"}, "麻疹病例（疑似）", "Case of measles (suspected)"},
		{"unknown disease code", Facts{CaseStatus: "asymptomatic", CaseDisease: "x_fever"}, "x_fever病例（无症状感染）", "Case of x_fever (asymptomatic)"},
		{"certificate by code", Facts{AbsenceNeedsCertificate: true, AbsenceDiagnosis: "hfmd"}, "因手足口病缺勤，尚未收到复课证明", "Absent with hand, foot and mouth disease, return certificate not yet received"},
		{"certificate by alias", Facts{AbsenceNeedsCertificate: true, AbsenceDiagnosis: "水痘"}, "因水痘缺勤，尚未收到复课证明", "Absent with varicella, return certificate not yet received"},
		{"travel window", Facts{RiskAreaTravel: true, RiskWindowDays: 14}, "近14天内到过风险地区", "Travelled to a risk area in the last 14 days"},
		{"missed days", Facts{MissedSchoolDays: 3}, "已连续3个上学日未打卡", "No check-in for 3 school days in a row"},
		{"quarantine", Facts{InQuarantine: true}, "处于隔离期", "In quarantine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, lang := range []struct{ code, want string }{{"zh-CN", tt.zh}, {"", tt.zh}, {"en", tt.en}, {"en-GB", tt.en}} {
				got := e.Evaluate(tt.facts, lang.code)
				if len(got.Reasons) != 1 || got.Reasons[0].Message != lang.want {
					t.Errorf("lang %q: reasons %v, want one reading %q", lang.code, got.Reasons, lang.want)
				}
			}
		})
	}
}

func TestMessagePlaceholders(t *testing.T) {
	f := day(temp(38.4), "cough", "runny_nose", "x_unknown")
	f.AbsenceDiagnosis = "肺炎"
	tests := []struct {
		message string
		zh, en  string
	}{
		{"plain text", "plain text", "plain text"},
		{"{{temperature}}", "38.4", "38.4"},
		{"体温{{ temperature }}度", "体温38.4度", "体温38.4度"},
		{"{{symptoms}}", "咳嗽、流涕、x_unknown", "cough, runny nose, x_unknown"},
		{"{{syndromes}}", "发热、流感样症状、呼吸道症状", "fever, influenza-like illness, respiratory symptoms"},
		{"{{temperature_taken}}/{{in_quarantine}}", "是/否", "yes/no"},
		{"{{missed_school_days}} {{today}}", "0 2025-03-03", "0 2025-03-03"},
		{"{{absence_diagnosis}}", "肺炎", "肺炎"},
		{"{single} }} {{case_status}}!", "{single} }} !", "{single} }} !"},
	}
	for _, tt := range tests {
		t.Run(tt.message, func(t *testing.T) {
			e, err := Compile(RuleSet{Rules: []Rule{{Code: "r", Level: Yellow, When: "true", MessageZH: tt.message, MessageEN: tt.message}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Evaluate(f, "zh-CN").Reasons[0].Message; got != tt.zh {
				t.Errorf("zh: got %q, want %q", got, tt.zh)
			}
			if got := e.Evaluate(f, "en").Reasons[0].Message; got != tt.en {
				t.Errorf("en: got %q, want %q", got, tt.en)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	rule := func(change func(*Rule)) Rule {
		r := Rule{Code: "r", Level: Yellow, When: "in_quarantine", MessageZH: "中", MessageEN: "en"}
		change(&r)
		return r
	}
	tests := []struct {
		name    string
		rules   []Rule
		field   string
		message string // a part of the field's message
	}{
		{"bad syntax", []Rule{rule(func(r *Rule) { r.When = "temperature >= " })}, "rules[0].when", "unexpected token EOF"},
		{"not bool", []Rule{rule(func(r *Rule) { r.When = "temperature + 1" })}, "rules[0].when", "expected bool, but got float64"},
		{"unknown type", []Rule{rule(func(r *Rule) { r.When = `first([true, 1])` })}, "rules[0].when", "expected bool, but got interface {}"},
		{"unknown fact", []Rule{rule(func(r *Rule) { r.When = "fever_today" })}, "rules[0].when", "unknown name fever_today"},
		{"Go field name", []Rule{rule(func(r *Rule) { r.When = "InQuarantine" })}, "rules[0].when", "unknown name InQuarantine"},
		{"type mismatch", []Rule{rule(func(r *Rule) { r.When = `temperature > "38"` })}, "rules[0].when", "invalid operation"},
		{"now", []Rule{rule(func(r *Rule) { r.When = "now().Year() > 2000" })}, "rules[0].when", "function now is not allowed"},
		{"string building", []Rule{rule(func(r *Rule) { r.When = `repeat("a", 3) == "aaa"` })}, "rules[0].when", "function repeat is not allowed"},
		{"string +", []Rule{rule(func(r *Rule) { r.When = `today + "x" == "x"` })}, "rules[0].when", "+ only adds numbers"},
		{"let", []Rule{rule(func(r *Rule) { r.When = `let t = temperature; t > 38` })}, "rules[0].when", "let is not allowed"},
		{"range", []Rule{rule(func(r *Rule) { r.When = `missed_school_days in 2..5` })}, "rules[0].when", "ranges (..) are not allowed"},
		{"nested list functions", []Rule{rule(func(r *Rule) { r.When = `any(symptoms, {any(syndromes, {# == "ili"})})` })}, "rules[0].when", "inside another one's"},
		{"fails on empty facts", []Rule{rule(func(r *Rule) { r.When = `symptoms[0] == "fever"` })}, "rules[0].when", "fails on sample facts: index out of range"},
		{"empty expression", []Rule{rule(func(r *Rule) { r.When = "  " })}, "rules[0].when", "required"},
		{"long expression", []Rule{rule(func(r *Rule) { r.When = "true" + strings.Repeat(" ", MaxExpressionLen) })}, "rules[0].when", "at most 2000 characters"},
		{"duplicate code", []Rule{rule(func(*Rule) {}), rule(func(*Rule) {})}, "rules[1].code", `duplicate code "r" (also rules[0])`},
		{"empty code", []Rule{rule(func(r *Rule) { r.Code = "" })}, "rules[0].code", "required"},
		{"code not snake_case", []Rule{rule(func(r *Rule) { r.Code = "Fever Today" })}, "rules[0].code", "lower-case letters"},
		{"bad level", []Rule{rule(func(r *Rule) { r.Level = "orange" })}, "rules[0].level", "must be yellow or red"},
		{"green level", []Rule{rule(func(r *Rule) { r.Level = Green })}, "rules[0].level", "must be yellow or red"},
		{"unknown placeholder zh", []Rule{rule(func(r *Rule) { r.MessageZH = "体温 {{temp}}" })}, "rules[0].message_zh", "unknown placeholder {{temp}}"},
		{"unknown placeholder en", []Rule{rule(func(*Rule) {}), rule(func(r *Rule) { r.Code = "s"; r.MessageEN = "{{ Temperature }}" })}, "rules[1].message_en", "unknown placeholder {{Temperature}}"},
		{"code in placeholder", []Rule{rule(func(r *Rule) { r.MessageEN = "{{temperature + 1}}" })}, "rules[0].message_en", "unknown placeholder"},
		{"unclosed placeholder", []Rule{rule(func(r *Rule) { r.MessageEN = "Fever {{temperature" })}, "rules[0].message_en", "unclosed {{"},
		{"empty message", []Rule{rule(func(r *Rule) { r.MessageZH = "" })}, "rules[0].message_zh", "required"},
		{"long message", []Rule{rule(func(r *Rule) { r.MessageEN = strings.Repeat("x", MaxMessageLen+1) })}, "rules[0].message_en", "at most 500 characters"},
		{"long source", []Rule{rule(func(r *Rule) { r.Source = strings.Repeat("x", MaxSourceLen+1) })}, "rules[0].source", "at most 200 characters"},
		{"too many rules", make([]Rule, MaxRules+1), "rules", "at most 100 rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(RuleSet{Version: 2, Rules: tt.rules})
			if e != nil || err == nil {
				t.Fatalf("Compile = %v, %v; want an error", e, err)
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EInvalid {
				t.Fatalf("error %#v is not an EInvalid *domain.Error", err)
			}
			if len(de.Fields) != 1 {
				t.Errorf("want one field error, got %v", de.Fields)
			}
			for _, fe := range de.Fields {
				if fe.Field != tt.field || !strings.Contains(fe.Message, tt.message) {
					t.Errorf("got %s: %q; want %s containing %q", fe.Field, fe.Message, tt.field, tt.message)
				}
			}
		})
	}
}

func TestCompileReportsEveryProblem(t *testing.T) {
	rs := DefaultRules()
	rs.Rules[1].Level = "purple"
	rs.Rules[2].When = "close_contact"
	rs.Rules[3].Code = rs.Rules[0].Code
	rs.Rules[4].MessageZH = "{{a}}{{b}}"
	_, err := Compile(rs)
	want := []domain.FieldError{
		{Field: "rules[1].level"},
		{Field: "rules[2].when"},
		{Field: "rules[3].code"},
		{Field: "rules[4].message_zh"},
		{Field: "rules[4].message_zh"},
	}
	got := domain.ErrorFields(err)
	if len(got) != len(want) {
		t.Fatalf("got %v, want fields %v", got, want)
	}
	for i := range want {
		if got[i].Field != want[i].Field || got[i].Message == "" {
			t.Errorf("field %d = %+v, want %s with a message", i, got[i], want[i].Field)
		}
	}
}

func TestCompileEmptyRuleSet(t *testing.T) {
	e, err := Compile(RuleSet{Version: 3})
	if err != nil {
		t.Fatal(err)
	}
	if e.Version() != 3 {
		t.Errorf("Version() = %d, want 3", e.Version())
	}
	got := e.Evaluate(Facts{InQuarantine: true}, "en")
	if got.Level != Green || got.Reasons == nil || len(got.Reasons) != 0 {
		t.Errorf("got %#v, want green with an empty, non-nil list of reasons", got)
	}
}

func TestEvaluateRunTimeError(t *testing.T) {
	// Passes on both sample fact sets but indexes past the end of a list
	// of one symptom.
	rs := RuleSet{Version: 1, Rules: []Rule{
		{Code: "fragile", Level: Red, When: `len(symptoms) != 1 || symptoms[1] == "cough"`, MessageZH: "脆弱", MessageEN: "fragile"},
		{Code: "fever", Level: Yellow, When: `"fever" in syndromes`, MessageZH: "发热", MessageEN: "fever"},
	}}
	e, err := Compile(rs)
	if err != nil {
		t.Fatal(err)
	}
	f := day(temp(37.5), "headache")
	got, err := e.EvaluateErr(f, "en")
	if err == nil || !strings.Contains(err.Error(), "status rule fragile: index out of range") {
		t.Errorf("error = %v, want the fragile rule's failure", err)
	}
	if got.Level != Yellow || !slices.Equal(codes(got), []string{"fever"}) {
		t.Errorf("got %s %v, want yellow [fever]: a failing rule is not matched", got.Level, codes(got))
	}
	if plain := e.Evaluate(f, "en"); !reflect.DeepEqual(plain, got) {
		t.Errorf("Evaluate = %v, EvaluateErr = %v", plain, got)
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	e := DefaultEngine()
	f := day(temp(38.2), "cough")
	want := e.Evaluate(f, "zh-CN")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := e.Evaluate(f, "zh-CN"); !reflect.DeepEqual(got, want) {
					t.Errorf("got %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWorse(t *testing.T) {
	tests := []struct{ a, b, want Level }{
		{Green, Green, Green},
		{Green, Yellow, Yellow},
		{Yellow, Green, Yellow},
		{Yellow, Red, Red},
		{Red, Yellow, Red},
		{Green, Red, Red},
		{Red, Red, Red},
	}
	for _, tt := range tests {
		if got := Worse(tt.a, tt.b); got != tt.want {
			t.Errorf("Worse(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDefaultRulesShape(t *testing.T) {
	rs := DefaultRules()
	if rs.Version != 1 {
		t.Errorf("version = %d, want 1", rs.Version)
	}
	for _, r := range rs.Rules {
		if r.Source == "" {
			t.Errorf("rule %s has no source", r.Code)
		}
	}
	// Stored as JSON: a round trip compiles to the same engine.
	data, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	var back RuleSet
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rs) {
		t.Errorf("JSON round trip changed the rule set:\n%s", data)
	}
	// Each call is a fresh copy.
	rs.Rules[0].When = "false"
	if DefaultRules().Rules[0].When == "false" {
		t.Error("DefaultRules shares its slice between calls")
	}
}

func TestResultJSON(t *testing.T) {
	data, err := json.Marshal(DefaultEngine().Evaluate(Facts{}, "en"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), `{"status":"green","reasons":[]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestFactDocsMatchFacts(t *testing.T) {
	typ := reflect.TypeFor[Facts]()
	if len(FactDocs) != typ.NumField() {
		t.Fatalf("FactDocs has %d entries, Facts %d fields", len(FactDocs), typ.NumField())
	}
	types := map[reflect.Kind]string{
		reflect.String: "string", reflect.Float64: "float", reflect.Int: "int",
		reflect.Bool: "bool", reflect.Slice: "list of strings",
	}
	for i, d := range FactDocs {
		field := typ.Field(i)
		if name := field.Tag.Get("expr"); d.Name != name || field.Tag.Get("json") != name {
			t.Errorf("FactDocs[%d] is %q; field %s has expr tag %q and json tag %q", i, d.Name, field.Name, name, field.Tag.Get("json"))
		}
		if types[field.Type.Kind()] != d.Type {
			t.Errorf("fact %s: documented as %s, field is %s", d.Name, d.Type, field.Type)
		}
		if d.ZH == "" || d.EN == "" {
			t.Errorf("fact %s is not described in both languages", d.Name)
		}
	}
}

func TestCompileAcceptsRuleLanguage(t *testing.T) {
	// What admins may write: the subset still reads like the defaults.
	for _, when := range []string{
		`"cough" in symptoms and "fever" in syndromes`,
		`count(symptoms, # in ["cough", "sore_throat", "runny_nose"]) >= 2`,
		`symptoms | filter(# != "cough") | any(hasPrefix(#, "s"))`,
		`temperature_taken && temperature + 0.5 >= 38`,
		`missed_school_days >= 2 || (!checked_in_today && missed_school_days >= 1)`,
		`date(today) + duration("24h") > date("2025-03-01")`,
		`case_status != "" ? case_status != "excluded" : false`,
		`lower(absence_diagnosis) matches "^(tb|tuberculosis)$"`,
		`len(syndromes) > 2 && risk_window_days <= 14`,
	} {
		if _, err := Compile(RuleSet{Rules: []Rule{{Code: "r", Level: Yellow, When: when, MessageZH: "中", MessageEN: "en"}}}); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
}
