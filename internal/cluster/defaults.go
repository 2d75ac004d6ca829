package cluster

import (
	"slices"

	"epiguard/internal/domain"
)

// Sources of the default rules (SPEC §5.2).
const (
	srcSchoolReport = "卫办疾控发〔2006〕65号《学校和托幼机构传染病疫情报告工作规范（试行）》"
	srcILI          = "流感样病例暴发疫情处置指南（2018年版）"
	srcHFMD         = "手足口病聚集性和暴发疫情处置工作规范（2012版）"
	srcZhejiang     = "浙江省学校传染病聚集性疫情处置实践（Zhejiang practice）"
	srcEvent        = "国家突发公共卫生事件相关信息报告管理工作规范（试行）（national event criteria）"
	srcMeasles      = "全国麻疹监测方案"
	srcTB           = "中国学校结核病防控指南（2020年版）"
	srcCOVID        = "新型冠状病毒肺炎防控方案（第九版）"
)

// ProfileCOVIDv9 is the policy profile the COVID-19 rule belongs to.
const ProfileCOVIDv9 = "covid-2022-v9"

// DefaultRules returns the cluster rules of SPEC §5.2, each with its
// source, all enabled. A row with two thresholds becomes two rules (the
// similar-symptoms 1-day and 3-day rules; the cluster and event levels of
// diarrhoea, varicella, mumps and tuberculosis). Each call returns a fresh
// copy.
//
// Where the table leaves a choice, the rules read it so:
//
//   - Similar symptoms (65号: "同一班级1天内有3例或者连续3天内有多个学生
//     （5例以上）患病，并有相似症状"): fever, rash, GI and jaundice, each
//     counted on its own, in class or dorm room, over school days.
//   - ILI class suspension: "该班级当天新发现流感样病例达5例及以上，或现症
//     流感样病例达30%及以上" — 5 new ILI on the school day, or ILI on the
//     school day among at least 30 % of the class; advice, with no report
//     deadline of its own (the guideline asks to report the suspension to
//     the CDC at once, which is one of its actions).
//   - The 7-day and 10-day rules count calendar days ("1周内", "10天内").
//   - Infectious diarrhoea counts norovirus and other infectious diarrhoea
//     cases together.
//   - Any notifiable disease case: one case of a disease on the national
//     list (IsNotifiable), for the person; to report at once.
//   - COVID-19 only under the policy profile covid-2022-v9.
func DefaultRules() []Rule {
	// Measures shared by several rules.
	actReport24 := Action{"学校疫情报告人24小时内向辖区疾控机构和教育行政部门报告", "The school's epidemic reporter reports to the local CDC and the education bureau within 24 hours"}
	actChecks := Action{"加强晨午检，住宿生增加晚检", "Step up morning and noon checks, with evening checks for boarders"}
	actAbsence := Action{"落实因病缺勤登记和病因追查", "Record every illness absence and follow up its cause"}
	actVentil := Action{"教室、宿舍等场所开窗通风，做好清洁消毒", "Ventilate classrooms and dormitories; clean and disinfect"}
	actHomeSick := Action{"有症状者及时就医，居家休息，不带病上课", "Pupils with symptoms see a doctor and stay at home rather than attend ill"}
	actGather := Action{"减少或暂停大型集体活动", "Reduce or suspend large gatherings"}
	actCDC := Action{"配合疾控机构开展流行病学调查和采样检测", "Support the CDC's epidemiological investigation and sampling"}
	actVaccine := Action{"查验预防接种证，配合疾控开展应急接种", "Check vaccination records; support emergency vaccination by the CDC"}
	actObserve := Action{"对同班、同宿舍接触者医学观察21天", "Medical observation of classmates and room-mates for 21 days"}
	similar := []domain.Syndrome{domain.SynFever, domain.SynRash, domain.SynGI, domain.SynJaundice}
	classOrRoom := []string{"class", "dorm_room"}
	school := []string{"school"}
	week := Span{Days: 7}
	similarActions := []Action{
		actReport24, actChecks, actAbsence, actHomeSick, actVentil,
		{"排查共同用餐、饮水史，必要时封存可疑食品和饮用水", "Look for shared meals and drinking water; keep suspect food and water for testing"},
	}
	iliActions := []Action{
		actChecks, actAbsence,
		{"流感样病例居家休息，体温恢复正常、症状消失48小时后方可返校", "Pupils with ILI stay at home until 48 hours after fever and symptoms have resolved"},
		actVentil, actGather,
		{"鼓励师生接种流感疫苗", "Encourage influenza vaccination of pupils and staff"},
	}
	hfmdActions := []Action{
		actReport24,
		{"晨午检重点查看手、足、口腔及臀部皮疹", "At morning and noon checks look for rash on hands, feet, mouth and buttocks"},
		{"病例居家隔离，发病满2周并持复课证明返校", "Cases stay at home; they return 2 weeks after onset with a return-to-school certificate"},
		{"玩具、餐具、门把手、楼梯扶手等用含氯消毒剂消毒", "Disinfect toys, tableware, door handles and handrails with chlorine disinfectant"},
		{"加强洗手，勤用肥皂流动水洗手", "Hand washing with soap and running water"},
		actAbsence,
	}
	diarrhoeaActions := []Action{
		{"病例居家休息，症状消失72小时后方可返校", "Cases stay at home until 72 hours after symptoms have resolved"},
		{"呕吐物、排泄物及污染区域用含氯消毒剂规范消毒", "Disinfect vomit, stools and soiled areas with chlorine disinfectant"},
		{"加强食堂、饮用水卫生管理，有症状的食堂从业人员暂停工作", "Tighten canteen and drinking-water hygiene; kitchen staff with symptoms stop work"},
		{"加强洗手，勤用肥皂流动水洗手", "Hand washing with soap and running water"},
		actAbsence, actCDC,
	}
	varicellaActions := []Action{
		{"病例居家隔离，全部皮疹结痂干燥且发病满14天后持复课证明返校", "Cases stay at home until all lesions have crusted and 14 days have passed since onset; they return with a certificate"},
		actObserve, actVaccine, actVentil, actChecks,
	}
	mumpsActions := []Action{
		{"病例居家隔离，腮腺肿大完全消退后持复课证明返校", "Cases stay at home until the parotid swelling has gone; they return with a certificate"},
		actObserve, actVaccine, actVentil, actChecks,
	}
	tbActions := []Action{
		{"配合疾控机构对密切接触者开展结核病筛查", "Support the CDC's tuberculosis screening of close contacts"},
		{"病例休学治疗，持结核病定点医疗机构复学证明返校", "Cases leave school for treatment and return with a certificate from a designated tuberculosis clinic"},
		actVentil, actAbsence,
	}

	rules := []Rule{
		{
			Code: "similar_symptoms_1d", NameZH: "相似症状聚集（1天）", NameEN: "Similar symptoms (1 day)",
			Syndromes: similar, Kinds: classOrRoom, Span: Span{Days: 1, School: true},
			Threshold: Threshold{Count: 3}, Level: LevelCluster, Deadline: "24h",
			Actions: similarActions, Source: srcSchoolReport, Enabled: true,
		},
		{
			Code: "similar_symptoms_3d", NameZH: "相似症状聚集（连续3天）", NameEN: "Similar symptoms (3 consecutive days)",
			Syndromes: similar, Kinds: classOrRoom, Span: Span{Days: 3, School: true},
			Threshold: Threshold{Count: 5}, Level: LevelCluster, Deadline: "24h",
			Actions: similarActions, Source: srcSchoolReport, Enabled: true,
		},
		{
			Code: "ili_cluster", NameZH: "流感样病例聚集", NameEN: "ILI cluster",
			Syndromes: []domain.Syndrome{domain.SynILI}, Kinds: school, Span: week,
			Threshold: Threshold{Count: 10}, Level: LevelCluster, Deadline: "24h",
			Actions: append([]Action{
				{"及时以电话等方式向属地县（区）级疾控机构报告", "Report to the county (district) CDC at once by telephone"},
			}, iliActions...),
			Source: srcILI, Enabled: true,
		},
		{
			Code: "ili_outbreak", NameZH: "流感样病例暴发", NameEN: "ILI outbreak",
			Syndromes: []domain.Syndrome{domain.SynILI}, Kinds: school, Span: week,
			Threshold: Threshold{Count: 30}, Level: LevelOutbreak, Deadline: "2h",
			Actions: append([]Action{
				{"2小时内通过突发公共卫生事件管理信息系统报告", "Report within 2 hours through the public-health emergency reporting system"},
				actCDC,
				{"经评估可逐级实施停课（班级、年级、全校）", "After assessment, suspend classes step by step: class, grade, school"},
			}, iliActions...),
			Source: srcILI, Enabled: true,
		},
		{
			Code: "ili_class_suspension", NameZH: "流感样病例班级停课建议", NameEN: "ILI class suspension advice",
			Syndromes: []domain.Syndrome{domain.SynILI}, Kinds: []string{"class"}, Span: Span{Days: 1, School: true},
			Threshold: Threshold{Count: 5, New: true, Percent: 30}, Level: LevelAdvice,
			Actions: []Action{
				{"经评估疫情存在进一步扩散可能时，建议该班停课，停课期限一般为4天", "If the assessment finds the outbreak may spread, suspend the class, usually for 4 days"},
				{"停课后立即报告辖区疾控机构", "Report the suspension to the local CDC at once"},
				{"停课期间学生居家健康监测，不参加校外培训和聚集活动", "During the suspension pupils stay at home under health monitoring, with no tutoring classes or gatherings"},
				{"教室彻底通风消毒", "Ventilate and disinfect the classroom thoroughly"},
				actChecks, actAbsence,
				{"复课时仍有症状者须体温恢复正常、症状消失48小时后方可返校", "Pupils still ill when the class resumes return 48 hours after fever and symptoms have resolved"},
			},
			Source: srcILI, Enabled: true,
		},
		{
			Code: "hfmd_cluster", NameZH: "手足口病聚集性疫情", NameEN: "HFMD cluster",
			Disease: "hfmd", Kinds: classOrRoom, Span: week,
			Threshold: Threshold{Count: 2}, Level: LevelCluster, Deadline: "24h",
			Actions: hfmdActions, Source: srcHFMD, Enabled: true,
		},
		{
			Code: "hfmd_outbreak", NameZH: "手足口病暴发疫情", NameEN: "HFMD outbreak",
			Disease: "hfmd", Kinds: school, Span: week,
			Threshold: Threshold{Count: 10}, Level: LevelOutbreak, Deadline: "24h",
			Actions: append([]Action{actCDC}, hfmdActions...), Source: srcHFMD, Enabled: true,
		},
		{
			Code: "diarrhoea_cluster", NameZH: "感染性腹泻（诺如病毒）聚集性疫情", NameEN: "Infectious diarrhoea / norovirus cluster",
			Disease: "infectious_diarrhoea", Kinds: school, Span: week,
			Threshold: Threshold{Count: 10}, Level: LevelCluster, Deadline: "24h",
			Actions: append([]Action{actReport24}, diarrhoeaActions...), Source: srcZhejiang, Enabled: true,
		},
		{
			Code: "diarrhoea_event", NameZH: "感染性腹泻（诺如病毒）突发公共卫生事件", NameEN: "Infectious diarrhoea / norovirus event",
			Disease: "infectious_diarrhoea", Kinds: school, Span: week,
			Threshold: Threshold{Count: 20}, Level: LevelEvent, Deadline: "24h",
			Actions: append([]Action{actReport24}, diarrhoeaActions...), Source: srcEvent, Enabled: true,
		},
		{
			Code: "varicella_cluster", NameZH: "水痘聚集性疫情", NameEN: "Varicella cluster",
			Disease: "varicella", Kinds: school, Span: week,
			Threshold: Threshold{Count: 5}, Level: LevelCluster, Deadline: "24h",
			Actions: append([]Action{actReport24}, varicellaActions...), Source: srcZhejiang, Enabled: true,
		},
		{
			Code: "varicella_event", NameZH: "水痘突发公共卫生事件", NameEN: "Varicella event",
			Disease: "varicella", Kinds: school, Span: week,
			Threshold: Threshold{Count: 10}, Level: LevelEvent, Deadline: "24h",
			Actions: append([]Action{actReport24, actCDC}, varicellaActions...), Source: srcEvent, Enabled: true,
		},
		{
			Code: "mumps_cluster", NameZH: "流行性腮腺炎聚集性疫情", NameEN: "Mumps cluster",
			Disease: "mumps", Kinds: school, Span: week,
			Threshold: Threshold{Count: 5}, Level: LevelCluster, Deadline: "24h",
			Actions: append([]Action{actReport24}, mumpsActions...), Source: srcZhejiang, Enabled: true,
		},
		{
			Code: "mumps_event", NameZH: "流行性腮腺炎突发公共卫生事件", NameEN: "Mumps event",
			Disease: "mumps", Kinds: school, Span: week,
			Threshold: Threshold{Count: 10}, Level: LevelEvent, Deadline: "24h",
			Actions: append([]Action{actReport24, actCDC}, mumpsActions...), Source: srcEvent, Enabled: true,
		},
		{
			Code: "measles_outbreak", NameZH: "麻疹暴发", NameEN: "Measles outbreak",
			Disease: "measles", Kinds: school, Span: Span{Days: 10},
			Threshold: Threshold{Count: 2}, Level: LevelOutbreak, Deadline: "24h",
			Actions: []Action{
				actReport24, actCDC,
				{"病例隔离至出疹后5天，持复课证明返校", "Cases are isolated until 5 days after the rash appeared and return with a certificate"},
				actObserve, actVaccine, actVentil, actChecks,
			},
			Source: srcMeasles, Enabled: true,
		},
		{
			Code: "tb_cluster", NameZH: "肺结核聚集性疫情（需调查）", NameEN: "Tuberculosis cluster (investigate)",
			Disease: "tuberculosis", Kinds: school, Span: Span{Term: true},
			Threshold: Threshold{Count: 2}, Level: LevelCluster, Deadline: "24h",
			Actions: append([]Action{
				actReport24,
				{"配合疾控机构调查病例间的流行病学关联", "Support the CDC in investigating links between the cases"},
			}, tbActions...),
			Source: srcTB, Enabled: true,
		},
		{
			Code: "tb_event", NameZH: "肺结核突发公共卫生事件", NameEN: "Tuberculosis event",
			Disease: "tuberculosis", Kinds: school, Span: Span{Term: true},
			Threshold: Threshold{Count: 10}, Level: LevelEvent, Deadline: "24h",
			Actions: append([]Action{actReport24, actCDC}, tbActions...), Source: srcTB, Enabled: true,
		},
		{
			Code: "notifiable_case", NameZH: "法定传染病病例", NameEN: "Notifiable disease case",
			Disease: AnyNotifiable, Kinds: []string{KindPerson}, Span: Span{Days: 1},
			Threshold: Threshold{Count: 1}, Level: LevelCase, Deadline: "0s",
			Actions: []Action{
				{"立即报告辖区疾控机构和教育行政部门", "Report to the local CDC and the education bureau at once"},
				{"病例居家或住院隔离治疗，病愈持复课证明返校", "The case is isolated at home or in hospital and returns with a certificate"},
				{"排查密切接触者", "Identify close contacts"},
				{"对病例活动场所进行消毒", "Disinfect the places the case used"},
			},
			Source: srcSchoolReport, Enabled: true,
		},
		{
			Code: "covid19_cluster", NameZH: "新冠肺炎聚集性疫情", NameEN: "COVID-19 cluster",
			Disease: "covid19", Kinds: school, Span: week,
			Threshold: Threshold{Count: 2}, Level: LevelCluster, Deadline: "2h",
			Actions: []Action{
				{"2小时内报告辖区疾控机构和教育行政部门", "Report to the local CDC and the education bureau within 2 hours"},
				{"按防控方案判定密切接触者和密接的密接，落实隔离管控", "Identify close and secondary contacts per the control plan and put them under quarantine"},
				{"相关班级、宿舍和区域实施管控，配合开展核酸检测", "Restrict the classes, dormitories and areas concerned; support nucleic-acid testing"},
				{"对病例活动场所进行终末消毒", "Terminal disinfection of the places the cases used"},
			},
			Source: srcCOVID, Profile: ProfileCOVIDv9, Enabled: true,
		},
	}
	// The rules share slices above; give each its own, so that editing one
	// rule of the result never changes another.
	for i := range rules {
		rules[i].Syndromes = slices.Clone(rules[i].Syndromes)
		rules[i].Kinds = slices.Clone(rules[i].Kinds)
		rules[i].Actions = slices.Clone(rules[i].Actions)
	}
	return rules
}
