package status

// Level is a status colour.
type Level string

// Levels, from best to worst.
const (
	Green  Level = "green"
	Yellow Level = "yellow"
	Red    Level = "red"
)

func (l Level) rank() int {
	switch l {
	case Yellow:
		return 1
	case Red:
		return 2
	}
	return 0
}

// Worse returns the worse of two levels (a when they are equal).
func Worse(a, b Level) Level {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Reason is one rule that applies to a person, with its message in the
// language asked for.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Result is a person's status: the worst level of the rules that matched,
// green when none did, and one reason per matched rule in rule order.
// Reasons is never nil.
type Result struct {
	Level   Level    `json:"status"`
	Reasons []Reason `json:"reasons"`
}

// Rule is one row of the rule set, stored as JSON.
type Rule struct {
	// Code names the rule in reasons and history: lower-case letters,
	// digits and underscores, starting with a letter, e.g. "fever_today".
	Code string `json:"code"`
	// Level is yellow or red.
	Level Level `json:"level"`
	// When is an expr expression over Facts that must be true or false,
	// e.g. `"fever" in syndromes && temperature_taken`.
	When string `json:"when"`
	// MessageZH and MessageEN are the reason shown when the rule matches.
	// {{name}} inserts the value of the fact name, e.g. "今日体温
	// {{temperature}}°C"; nothing else is interpreted.
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
	// Source is where the rule comes from, e.g. "SPEC §5.6".
	Source string `json:"source,omitempty"`
}

// RuleSet is the whole, versioned set of status rules. The store assigns
// versions; Compile does not check them.
type RuleSet struct {
	Version int    `json:"version"`
	Rules   []Rule `json:"rules"`
}

// DefaultRules returns the rules of SPEC §5.6 as version 1: red rules
// first, then yellow. Each call returns a fresh copy.
//
// Fever and ILI are one reason a day: ili_today when the ILI syndrome is
// present, otherwise fever_today with the measured temperature or
// fever_reported_today when only the symptom was reported. "Illness
// absence without return certificate" is two rules: absence_open while the
// absence has no return date (whatever the diagnosis), and
// return_certificate_missing once the diagnosis is known to need a
// certificate (SPEC §5.3) until it is received. A declared contact with a
// case (case_contact_declared) is left to contact tracing, as SPEC §5.6
// gives it no status.
func DefaultRules() RuleSet {
	const src = "SPEC §5.6"
	return RuleSet{Version: 1, Rules: []Rule{
		{
			Code:      "case",
			Level:     Red,
			When:      `case_status in ["suspected", "confirmed", "asymptomatic"]`,
			MessageZH: "{{case_disease}}病例（{{case_status}}）",
			MessageEN: "Case of {{case_disease}} ({{case_status}})",
			Source:    src,
		},
		{
			Code:      "quarantine",
			Level:     Red,
			When:      `in_quarantine`,
			MessageZH: "处于隔离期",
			MessageEN: "In quarantine",
			Source:    src,
		},
		{
			Code:      "close_contact",
			Level:     Red,
			When:      `close_contact_active`,
			MessageZH: "病例密切接触者，仍在管理期内",
			MessageEN: "Close contact of a case, still within the monitoring period",
			Source:    src,
		},
		{
			Code:      "pool_positive",
			Level:     Red,
			When:      `pool_positive_uncleared`,
			MessageZH: "混采检测阳性，尚未排除",
			MessageEN: "Pooled test positive, not yet cleared",
			Source:    src,
		},
		{
			Code:      "ili_today",
			Level:     Yellow,
			When:      `"ili" in syndromes`,
			MessageZH: "今日流感样症状（{{temperature}}°C，伴咳嗽或咽痛）",
			MessageEN: "Influenza-like illness today ({{temperature}} °C with cough or sore throat)",
			Source:    "SPEC §5.1, §5.6",
		},
		{
			Code:      "fever_today",
			Level:     Yellow,
			When:      `"fever" in syndromes && "ili" not in syndromes && temperature_taken`,
			MessageZH: "今日发热（{{temperature}}°C）",
			MessageEN: "Fever today ({{temperature}} °C)",
			Source:    "SPEC §5.1, §5.6",
		},
		{
			Code:      "fever_reported_today",
			Level:     Yellow,
			When:      `"fever" in syndromes && "ili" not in syndromes && !temperature_taken`,
			MessageZH: "今日自述发热（未测体温）",
			MessageEN: "Fever reported today (temperature not taken)",
			Source:    "SPEC §5.1, §5.6",
		},
		{
			Code:      "absence_open",
			Level:     Yellow,
			When:      `absence_open`,
			MessageZH: "因病缺勤中，尚未登记返校",
			MessageEN: "Absent through illness, return not yet recorded",
			Source:    src,
		},
		{
			Code:      "return_certificate_missing",
			Level:     Yellow,
			When:      `absence_needs_certificate`,
			MessageZH: "因{{absence_diagnosis}}缺勤，尚未收到复课证明",
			MessageEN: "Absent with {{absence_diagnosis}}, return certificate not yet received",
			Source:    "SPEC §5.3, §5.6",
		},
		{
			Code:      "risk_area_travel",
			Level:     Yellow,
			When:      `risk_area_travel`,
			MessageZH: "近{{risk_window_days}}天内到过风险地区",
			MessageEN: "Travelled to a risk area in the last {{risk_window_days}} days",
			Source:    src,
		},
		// Checking in today answers the question the missed days raise:
		// the reason stays while nobody knows how the person is, not
		// until the next day's refresh.
		{
			Code:      "missed_checkins",
			Level:     Yellow,
			When:      `missed_school_days >= 2 && !checked_in_today`,
			MessageZH: "已连续{{missed_school_days}}个上学日未打卡",
			MessageEN: "No check-in for {{missed_school_days}} school days in a row",
			Source:    src,
		},
	}}
}
