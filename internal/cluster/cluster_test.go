package cluster

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/domain"
)

func findRule(t *testing.T, code string) Rule {
	t.Helper()
	for _, r := range DefaultRules() {
		if r.Code == code {
			return r
		}
	}
	t.Fatalf("no default rule %s", code)
	return Rule{}
}

// TestDefaultRulesTable pins the rules of SPEC §5.2 as shipped.
func TestDefaultRulesTable(t *testing.T) {
	type row struct {
		code     string
		counts   string // syndromes joined by "," or the disease
		kinds    string
		window   Span
		th       Threshold
		level    Level
		deadline string
		source   string // a part of the source
		profile  string
	}
	sim := "fever,rash,gi,jaundice"
	want := []row{
		{"similar_symptoms_1d", sim, "class,dorm_room", Span{Days: 1, School: true}, Threshold{Count: 3}, LevelCluster, "24h", "卫办疾控发〔2006〕65号", ""},
		{"similar_symptoms_3d", sim, "class,dorm_room", Span{Days: 3, School: true}, Threshold{Count: 5}, LevelCluster, "24h", "卫办疾控发〔2006〕65号", ""},
		{"ili_cluster", "ili", "school", Span{Days: 7}, Threshold{Count: 10}, LevelCluster, "24h", "流感样病例暴发疫情处置指南（2018年版）", ""},
		{"ili_outbreak", "ili", "school", Span{Days: 7}, Threshold{Count: 30}, LevelOutbreak, "2h", "流感样病例暴发疫情处置指南（2018年版）", ""},
		{"ili_class_suspension", "ili", "class", Span{Days: 1, School: true}, Threshold{Count: 5, New: true, Percent: 30}, LevelAdvice, "", "流感样病例暴发疫情处置指南（2018年版）", ""},
		{"hfmd_cluster", "hfmd", "class,dorm_room", Span{Days: 7}, Threshold{Count: 2}, LevelCluster, "24h", "手足口病聚集性和暴发疫情处置工作规范（2012版）", ""},
		{"hfmd_outbreak", "hfmd", "school", Span{Days: 7}, Threshold{Count: 10}, LevelOutbreak, "24h", "手足口病聚集性和暴发疫情处置工作规范（2012版）", ""},
		{"diarrhoea_cluster", "infectious_diarrhoea", "school", Span{Days: 7}, Threshold{Count: 10}, LevelCluster, "24h", "Zhejiang practice", ""},
		{"diarrhoea_event", "infectious_diarrhoea", "school", Span{Days: 7}, Threshold{Count: 20}, LevelEvent, "24h", "national event criteria", ""},
		{"varicella_cluster", "varicella", "school", Span{Days: 7}, Threshold{Count: 5}, LevelCluster, "24h", "Zhejiang practice", ""},
		{"varicella_event", "varicella", "school", Span{Days: 7}, Threshold{Count: 10}, LevelEvent, "24h", "national event criteria", ""},
		{"mumps_cluster", "mumps", "school", Span{Days: 7}, Threshold{Count: 5}, LevelCluster, "24h", "Zhejiang practice", ""},
		{"mumps_event", "mumps", "school", Span{Days: 7}, Threshold{Count: 10}, LevelEvent, "24h", "national event criteria", ""},
		{"measles_outbreak", "measles", "school", Span{Days: 10}, Threshold{Count: 2}, LevelOutbreak, "24h", "全国麻疹监测方案", ""},
		{"tb_cluster", "tuberculosis", "school", Span{Term: true}, Threshold{Count: 2}, LevelCluster, "24h", "中国学校结核病防控指南（2020年版）", ""},
		{"tb_event", "tuberculosis", "school", Span{Term: true}, Threshold{Count: 10}, LevelEvent, "24h", "中国学校结核病防控指南（2020年版）", ""},
		{"notifiable_case", "any_notifiable", "person", Span{Days: 1}, Threshold{Count: 1}, LevelCase, "0s", "卫办疾控发〔2006〕65号", ""},
		{"covid19_cluster", "covid19", "school", Span{Days: 7}, Threshold{Count: 2}, LevelCluster, "2h", "新型冠状病毒肺炎防控方案（第九版）", "covid-2022-v9"},
	}
	rules := DefaultRules()
	if len(rules) != len(want) {
		t.Fatalf("%d default rules, want %d", len(rules), len(want))
	}
	for i, r := range rules {
		w := want[i]
		counts := r.Disease
		if len(r.Syndromes) > 0 {
			var s []string
			for _, syn := range r.Syndromes {
				s = append(s, string(syn))
			}
			counts = strings.Join(s, ",")
		}
		got := row{r.Code, counts, strings.Join(r.Kinds, ","), r.Span, r.Threshold, r.Level, r.Deadline, w.source, r.Profile}
		if got != w {
			t.Errorf("rule %d:\n got %+v\nwant %+v", i, got, w)
		}
		if !strings.Contains(r.Source, w.source) {
			t.Errorf("%s: source %q lacks %q", r.Code, r.Source, w.source)
		}
		if !r.Enabled || r.NameZH == "" || r.NameEN == "" || len(r.Actions) == 0 {
			t.Errorf("%s: enabled %v, names %q %q, %d actions", r.Code, r.Enabled, r.NameZH, r.NameEN, len(r.Actions))
		}
	}
	if err := Validate(rules); err != nil {
		t.Errorf("the default rules do not validate: %v", err)
	}
}

func TestDefaultRulesAreFresh(t *testing.T) {
	a := DefaultRules()
	a[0].Actions[0].ZH = "changed"
	a[0].Syndromes[0] = "changed"
	a[0].Kinds[0] = "changed"
	b := DefaultRules()
	if b[0].Actions[0].ZH == "changed" || b[0].Syndromes[0] == "changed" || b[0].Kinds[0] == "changed" {
		t.Error("DefaultRules shares slices between calls")
	}
	if a[1].Actions[0].ZH == "changed" || a[1].Syndromes[0] == "changed" || a[1].Kinds[0] == "changed" {
		t.Error("DefaultRules shares slices between rules")
	}
}

// subject returns a window counting what r counts, in a unit r applies to.
func subject(r Rule) Window {
	w := Window{Kind: r.Kinds[0], UnitName: "初一(1)班", People: 1000}
	switch {
	case len(r.Syndromes) > 0:
		w.Syndrome = r.Syndromes[0]
	case r.Disease == AnyNotifiable:
		w.Disease = "measles"
	default:
		w.Disease = r.Disease
	}
	return w
}

// TestThresholdEdges fires every default rule exactly at its count
// threshold and not one below, for each syndrome it counts.
func TestThresholdEdges(t *testing.T) {
	for _, r := range DefaultRules() {
		syndromes := r.Syndromes
		if len(syndromes) == 0 {
			syndromes = []domain.Syndrome{""}
		}
		for _, syn := range syndromes {
			t.Run(fmt.Sprintf("%s/%s", r.Code, syn), func(t *testing.T) {
				n := r.Threshold.Count
				w := subject(r)
				w.Syndrome = syn
				w.Count, w.NewToday = n, n
				fired, f := r.Check(w)
				if !fired {
					t.Errorf("%d counted: not fired (%s)", n, f.TextZH)
				}
				if f.Value != n || f.Threshold != n || f.Rule != r.Code || f.Level != r.Level {
					t.Errorf("finding %+v", f)
				}
				w.Count, w.NewToday = n-1, n-1
				if fired, f := r.Check(w); fired {
					t.Errorf("%d counted: fired (%s)", n-1, f.TextZH)
				}
			})
		}
	}
}

func TestClassSuspension(t *testing.T) {
	r := findRule(t, "ili_class_suspension")
	tests := []struct {
		name                     string
		people, count, newToday  int
		fired                    bool
		wantPercent, wantDisplay string
	}{
		{"5 new", 40, 5, 5, true, "12.5", "12.5%"},
		{"4 new", 40, 4, 4, false, "10", "10.0%"},
		{"many ill but only 4 new, under 30 %", 40, 11, 4, false, "27.5", "27.5%"},
		{"30 % of 40 ill, 0 new", 40, 12, 0, true, "30", "30.0%"},
		{"29.8 % of 47", 47, 14, 0, false, "29.78723404255319", "29.7%"},
		{"31.9 % of 47", 47, 15, 0, true, "31.914893617021278", "31.9%"},
		{"29.9 % of 1000", 1000, 299, 0, false, "29.9", "29.9%"},
		{"30 % of 1000", 1000, 300, 0, true, "30", "30.0%"},
		{"29.99 % shows as 29.9 %", 10000, 2999, 0, false, "29.99", "29.9%"},
		{"no people: percent never fires", 0, 12, 0, false, "0", "0.0%"},
		{"negative counts are zero", 40, -3, -3, false, "0", "0.0%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Window{Kind: "class", UnitName: "初一(1)班", Syndrome: domain.SynILI, People: tt.people, Count: tt.count, NewToday: tt.newToday}
			fired, f := r.Check(w)
			if fired != tt.fired {
				t.Errorf("fired = %v, want %v (%s)", fired, tt.fired, f.TextZH)
			}
			if got := fmt.Sprint(f.Percent); got != tt.wantPercent {
				t.Errorf("percent = %s, want %s", got, tt.wantPercent)
			}
			if !strings.Contains(f.TextZH, " "+tt.wantDisplay+"（阈值 ≥30%）") || !strings.Contains(f.TextEN, "("+tt.wantDisplay+")") {
				t.Errorf("texts do not show %s:\n%s\n%s", tt.wantDisplay, f.TextZH, f.TextEN)
			}
		})
	}
}

func TestFindingText(t *testing.T) {
	tests := []struct {
		code   string
		w      Window
		zh, en string
	}{
		{"similar_symptoms_3d",
			Window{Kind: "class", UnitName: "初一(1)班", Syndrome: domain.SynFever, People: 45, Count: 5},
			"初一(1)班 连续3个上学日内发热 5 例（阈值 ≥5）",
			"初一(1)班: 5 with fever in 3 consecutive school days (threshold ≥ 5)"},
		{"similar_symptoms_1d",
			Window{Kind: "dorm_room", UnitName: "1号楼101", Syndrome: domain.SynGI, People: 6, Count: 2},
			"1号楼101 当日胃肠道症状（腹泻或呕吐） 2 例（阈值 ≥3）",
			"1号楼101: 2 with diarrhoea or vomiting on the day (threshold ≥ 3)"},
		{"ili_class_suspension",
			Window{Kind: "class", UnitName: "初一(1)班", Syndrome: domain.SynILI, People: 40, Count: 12, NewToday: 5},
			"初一(1)班 当日新发流感样病例 5 例（阈值 ≥5）；当日流感样病例共 12 例，占 40 人的 30.0%（阈值 ≥30%）",
			"初一(1)班: 5 new with influenza-like illness on the day (threshold ≥ 5); 12 of 40 (30.0%) with influenza-like illness on the day (threshold ≥ 30%)"},
		{"hfmd_outbreak",
			Window{Kind: "school", UnitName: "阳光小学", People: 1440, Count: 10},
			"阳光小学 7天内手足口病 10 例（阈值 ≥10）",
			"阳光小学: 10 cases of hand, foot and mouth disease in 7 days (threshold ≥ 10)"},
		{"diarrhoea_cluster",
			Window{Kind: "school", UnitName: "阳光小学", Disease: "norovirus", People: 1440, Count: 11},
			"阳光小学 7天内诺如病毒感染 11 例（阈值 ≥10）",
			"阳光小学: 11 cases of norovirus infection in 7 days (threshold ≥ 10)"},
		{"tb_cluster",
			Window{Kind: "school", UnitName: "实验中学", People: 1700, Count: 2},
			"实验中学 本学期内肺结核 2 例（阈值 ≥2）",
			"实验中学: 2 cases of tuberculosis this term (threshold ≥ 2)"},
		{"notifiable_case",
			Window{Kind: "person", UnitName: "张三", Disease: "measles", People: 1, Count: 1},
			"张三：麻疹病例",
			"张三: a case of measles"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			_, f := findRule(t, tt.code).Check(tt.w)
			if f.TextZH != tt.zh {
				t.Errorf("zh:\n got %s\nwant %s", f.TextZH, tt.zh)
			}
			if f.TextEN != tt.en {
				t.Errorf("en:\n got %s\nwant %s", f.TextEN, tt.en)
			}
		})
	}
}

func TestApplies(t *testing.T) {
	kinds := []string{"class", "dorm_room", "grade", "school", "community", "person"}
	tests := map[string][]string{
		"similar_symptoms_1d":  {"class", "dorm_room"},
		"ili_class_suspension": {"class"},
		"ili_cluster":          {"school"},
		"hfmd_cluster":         {"class", "dorm_room"},
		"tb_event":             {"school"},
		"notifiable_case":      {"person"},
	}
	for code, yes := range tests {
		r := findRule(t, code)
		for _, k := range kinds {
			if got := r.Applies(k); got != slices.Contains(yes, k) {
				t.Errorf("%s.Applies(%s) = %v", code, k, got)
			}
			// Check never fires for a kind the rule does not apply to.
			w := subject(r)
			w.Kind, w.Count, w.NewToday = k, 100, 100
			if fired, _ := r.Check(w); fired != slices.Contains(yes, k) {
				t.Errorf("%s fired %v for kind %s", code, fired, k)
			}
		}
	}
}

func TestSubjectMatching(t *testing.T) {
	fires := func(code string, w Window) bool {
		r := findRule(t, code)
		w.Kind, w.People, w.Count, w.NewToday = r.Kinds[0], 1000, 100, 100
		fired, _ := r.Check(w)
		return fired
	}
	tests := []struct {
		name string
		code string
		w    Window
		want bool
	}{
		{"similar symptoms: rash", "similar_symptoms_1d", Window{Syndrome: domain.SynRash}, true},
		{"similar symptoms: jaundice", "similar_symptoms_1d", Window{Syndrome: domain.SynJaundice}, true},
		{"similar symptoms: not respiratory", "similar_symptoms_1d", Window{Syndrome: domain.SynRespiratory}, false},
		{"similar symptoms: no syndrome", "similar_symptoms_1d", Window{}, false},
		{"ILI rule: not fever", "ili_cluster", Window{Syndrome: domain.SynFever}, false},
		{"disease rule: not a syndrome", "hfmd_outbreak", Window{Syndrome: domain.SynRash}, false},
		{"disease rule: its disease", "hfmd_outbreak", Window{Disease: "hfmd"}, true},
		{"disease rule: disease left to the store", "hfmd_outbreak", Window{}, true},
		{"disease rule: another disease", "hfmd_outbreak", Window{Disease: "mumps"}, false},
		{"diarrhoea includes norovirus", "diarrhoea_event", Window{Disease: "norovirus"}, true},
		{"any notifiable: measles", "notifiable_case", Window{Disease: "measles"}, true},
		{"any notifiable: norovirus", "notifiable_case", Window{Disease: "norovirus"}, true},
		{"any notifiable: not varicella", "notifiable_case", Window{Disease: "varicella"}, false},
		{"any notifiable: not unknown text", "notifiable_case", Window{Disease: "感冒"}, false},
	}
	for _, tt := range tests {
		if got := fires(tt.code, tt.w); got != tt.want {
			t.Errorf("%s: fired %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWindowDays(t *testing.T) {
	cal := calendar.Default(2026, 2026)
	days := func(from, to string) []string {
		out, err := calendar.Everyday().SchoolDays(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name string
		code string
		cal  *calendar.Calendar
		date string
		want []string
	}{
		{"1 school day", "similar_symptoms_1d", cal, "2026-10-09", []string{"2026-10-09"}},
		{"3 school days across the National Day holiday", "similar_symptoms_3d", cal, "2026-10-09", []string{"2026-09-30", "2026-10-08", "2026-10-09"}},
		{"3 school days over a weekend", "similar_symptoms_3d", cal, "2026-09-07", []string{"2026-09-03", "2026-09-04", "2026-09-07"}},
		{"ending on a make-up Saturday", "similar_symptoms_3d", cal, "2026-10-10", []string{"2026-10-08", "2026-10-09", "2026-10-10"}},
		{"3 school days at the start of a term", "similar_symptoms_3d", cal, "2026-09-01", []string{"2026-07-09", "2026-07-10", "2026-09-01"}},
		{"school-day rule on a holiday", "similar_symptoms_3d", cal, "2026-10-03", nil},
		{"school-day rule on a Sunday", "ili_class_suspension", cal, "2026-09-06", nil},
		{"school-day rule in the summer break", "similar_symptoms_1d", cal, "2026-08-03", nil},
		{"7 calendar days", "ili_cluster", cal, "2026-10-09", days("2026-10-03", "2026-10-09")},
		{"10 calendar days", "measles_outbreak", cal, "2026-10-09", days("2026-09-30", "2026-10-09")},
		{"7 calendar days in a break", "hfmd_outbreak", cal, "2026-08-03", days("2026-07-28", "2026-08-03")},
		{"term so far", "tb_cluster", cal, "2026-10-09", days("2026-09-01", "2026-10-09")},
		{"term just ended, in the break", "tb_event", cal, "2026-08-03", days("2026-03-02", "2026-08-03")},
		{"before every term", "tb_event", cal, "2025-08-01", nil},
		{"past the calendar's last term", "tb_event", cal, "2029-03-01", nil},
		{"community: 3 days on a holiday", "similar_symptoms_3d", calendar.Everyday(), "2026-10-03", []string{"2026-10-01", "2026-10-02", "2026-10-03"}},
		{"nil calendar: every day", "similar_symptoms_3d", nil, "2026-10-04", []string{"2026-10-02", "2026-10-03", "2026-10-04"}},
		{"community: no term", "tb_cluster", calendar.Everyday(), "2026-10-03", nil},
		{"person: the day", "notifiable_case", cal, "2026-10-03", []string{"2026-10-03"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findRule(t, tt.code).WindowDays(tt.cal, tt.date)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("WindowDays(%s) = %v, want %v", tt.date, got, tt.want)
			}
		})
	}
	if _, err := findRule(t, "ili_cluster").WindowDays(cal, "2026-10-32"); err == nil {
		t.Error("no error for a bad date")
	}
}

func TestInForceAndDeadline(t *testing.T) {
	rules := DefaultRules()
	covid := findRule(t, "covid19_cluster")
	if covid.InForce("routine") || !covid.InForce(ProfileCOVIDv9) {
		t.Error("the COVID-19 rule should be in force under covid-2022-v9 only")
	}
	if got := InForce(rules, "routine"); len(got) != len(rules)-1 || slices.ContainsFunc(got, func(r Rule) bool { return r.Code == covid.Code }) {
		t.Errorf("InForce(routine) = %d rules", len(got))
	}
	if got := InForce(rules, ProfileCOVIDv9); len(got) != len(rules) {
		t.Errorf("InForce(covid-2022-v9) = %d rules, want %d", len(got), len(rules))
	}
	off := rules[0]
	off.Enabled = false
	if off.InForce("") {
		t.Error("a disabled rule is in force")
	}

	tests := []struct {
		code string
		d    time.Duration
		ok   bool
	}{
		{"similar_symptoms_1d", 24 * time.Hour, true},
		{"ili_outbreak", 2 * time.Hour, true},
		{"notifiable_case", 0, true},
		{"ili_class_suspension", 0, false},
	}
	for _, tt := range tests {
		if d, ok := findRule(t, tt.code).ReportWithin(); d != tt.d || ok != tt.ok {
			t.Errorf("%s.ReportWithin() = %v, %v; want %v, %v", tt.code, d, ok, tt.d, tt.ok)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rules := DefaultRules()
	b, err := json.Marshal(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		`"code":"ili_class_suspension"`,
		`"window":{"days":1,"school":true}`,
		`"threshold":{"count":5,"new":true,"percent":30}`,
		`"window":{"term":true}`,
		`"deadline":"24h"`,
		`"deadline":"0s"`,
		`"syndromes":["fever","rash","gi","jaundice"]`,
		`"profile":"covid-2022-v9"`,
		`"actions":[{"zh":`,
	} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	var back []Rule
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rules) {
		t.Error("JSON round trip changed the rules")
	}
	if err := Validate(back); err != nil {
		t.Errorf("round-tripped rules do not validate: %v", err)
	}
}

func TestValidate(t *testing.T) {
	valid := func() Rule {
		return Rule{
			Code: "r", NameZH: "规则", NameEN: "rule",
			Syndromes: []domain.Syndrome{domain.SynFever}, Kinds: []string{"class"},
			Span: Span{Days: 3, School: true}, Threshold: Threshold{Count: 5},
			Level: LevelCluster, Deadline: "24h", Source: "本校规定", Enabled: true,
			Actions: []Action{{ZH: "报告", EN: "report"}},
		}
	}
	tests := []struct {
		name   string
		change func(r *Rule)
		fields []string
	}{
		{"valid", func(r *Rule) {}, nil},
		{"percent only", func(r *Rule) { r.Threshold = Threshold{Percent: 100} }, nil},
		{"no deadline", func(r *Rule) { r.Deadline = "" }, nil},
		{"term window", func(r *Rule) { r.Span = Span{Term: true} }, nil},
		{"bad code", func(r *Rule) { r.Code = "Similar-1" }, []string{"rules[0].code"}},
		{"no code", func(r *Rule) { r.Code = "" }, []string{"rules[0].code"}},
		{"no names", func(r *Rule) { r.NameZH, r.NameEN = " ", "" }, []string{"rules[0].name_zh", "rules[0].name_en"}},
		{"counts nothing", func(r *Rule) { r.Syndromes = nil }, []string{"rules[0].syndromes"}},
		{"counts both", func(r *Rule) { r.Disease = "hfmd" }, []string{"rules[0].disease"}},
		{"unknown syndrome", func(r *Rule) { r.Syndromes = []domain.Syndrome{"cough"} }, []string{"rules[0].syndromes[0]"}},
		{"syndrome twice", func(r *Rule) { r.Syndromes = []domain.Syndrome{"gi", "rash", "gi"} }, []string{"rules[0].syndromes[2]"}},
		{"unknown disease", func(r *Rule) { r.Syndromes, r.Disease = nil, "flu" }, []string{"rules[0].disease"}},
		{"any notifiable", func(r *Rule) { r.Syndromes, r.Disease = nil, AnyNotifiable }, nil},
		{"no kinds", func(r *Rule) { r.Kinds = nil }, []string{"rules[0].kinds"}},
		{"unknown kind", func(r *Rule) { r.Kinds = []string{"class", "classroom", "class"} }, []string{"rules[0].kinds[1]", "rules[0].kinds[2]"}},
		{"person kind", func(r *Rule) { r.Kinds = []string{"person"} }, nil},
		{"window 0", func(r *Rule) { r.Span = Span{} }, []string{"rules[0].window.days"}},
		{"window too long", func(r *Rule) { r.Span = Span{Days: MaxWindowDays + 1} }, []string{"rules[0].window.days"}},
		{"term with days", func(r *Rule) { r.Span = Span{Days: 3, Term: true} }, []string{"rules[0].window"}},
		{"threshold 0", func(r *Rule) { r.Threshold = Threshold{} }, []string{"rules[0].threshold"}},
		{"negative count", func(r *Rule) { r.Threshold = Threshold{Count: -1} }, []string{"rules[0].threshold.count", "rules[0].threshold"}},
		{"new without count", func(r *Rule) { r.Threshold = Threshold{New: true, Percent: 30} }, []string{"rules[0].threshold.new"}},
		{"percent over 100", func(r *Rule) { r.Threshold.Percent = 100.5 }, []string{"rules[0].threshold.percent"}},
		{"negative percent", func(r *Rule) { r.Threshold.Percent = -30 }, []string{"rules[0].threshold.percent"}},
		{"unknown level", func(r *Rule) { r.Level = "warning" }, []string{"rules[0].level"}},
		{"bad deadline", func(r *Rule) { r.Deadline = "1 day" }, []string{"rules[0].deadline"}},
		{"negative deadline", func(r *Rule) { r.Deadline = "-2h" }, []string{"rules[0].deadline"}},
		{"no source", func(r *Rule) { r.Source = "" }, []string{"rules[0].source"}},
		{"half an action", func(r *Rule) { r.Actions = []Action{{ZH: "报告"}} }, []string{"rules[0].actions[0].en"}},
		{"bad profile", func(r *Rule) { r.Profile = "COVID v9" }, []string{"rules[0].profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.change(&r)
			err := Validate([]Rule{r})
			var got []string
			for _, f := range domain.ErrorFields(err) {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("fields = %v, want %v (%v)", got, tt.fields, err)
			}
			if err != nil && domain.ErrorCode(err) != domain.EInvalid {
				t.Errorf("code %s", domain.ErrorCode(err))
			}
		})
	}

	// Duplicate codes are reported on the later rule.
	err := Validate([]Rule{valid(), valid()})
	if f := domain.ErrorFields(err); len(f) != 1 || f[0].Field != "rules[1].code" {
		t.Errorf("duplicate codes: %v", err)
	}
	if err := Validate(make([]Rule, MaxRules+1)); err == nil {
		t.Error("no error for too many rules")
	}
}

func TestDiseases(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Diseases() {
		if seen[d.Code] || d.NameZH == "" || d.NameEN == "" {
			t.Errorf("disease %+v: duplicate or unnamed", d)
		}
		seen[d.Code] = true
	}
	for _, d := range Diseases() {
		for _, inc := range d.Includes {
			if !seen[inc] {
				t.Errorf("%s includes unknown %s", d.Code, inc)
			}
		}
	}
	// Every disease of the default rules is known.
	for _, r := range DefaultRules() {
		if r.Disease != "" && r.Disease != AnyNotifiable && !seen[r.Disease] {
			t.Errorf("%s counts unknown disease %s", r.Code, r.Disease)
		}
	}
	if IsNotifiable("varicella") || !IsNotifiable("measles") || IsNotifiable("nonsense") {
		t.Error("IsNotifiable")
	}
}

// FuzzRules feeds admin-edited JSON rules, valid or not, to Validate, Check
// and WindowDays: none may panic, and a rule that validates fires only
// with something counted.
func FuzzRules(f *testing.F) {
	seed, err := json.Marshal(DefaultRules())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, "class", "fever", 40, 3, 1, "2026-10-09")
	f.Add([]byte(`[{"code":"x","kinds":["school"],"window":{"days":-5,"term":true},"threshold":{"percent":1e308}}]`), "school", "", 0, 0, 0, "2026-02-29")
	f.Add([]byte(`[{"code":"y","disease":"any_notifiable","kinds":["person"],"window":{"days":1000000000},"threshold":{"count":1}}]`), "person", "", 1, 1, 1, "9999-12-31")
	cal := calendar.Default(2026, 2026)
	f.Fuzz(func(t *testing.T, data []byte, kind, syndrome string, people, count, newToday int, date string) {
		var rules []Rule
		if json.Unmarshal(data, &rules) != nil {
			return
		}
		valid := Validate(rules) == nil
		for _, r := range rules {
			w := Window{Kind: kind, Syndrome: domain.Syndrome(syndrome), People: people, Count: count, NewToday: newToday, UnitName: "u"}
			fired, _ := r.Check(w)
			if valid && fired && count <= 0 && newToday <= 0 {
				t.Fatalf("rule %s fired with nothing counted", r.Code)
			}
			_, _ = r.WindowDays(cal, date)
			_, _ = r.WindowDays(nil, date)
			r.ReportWithin()
		}
	})
}
