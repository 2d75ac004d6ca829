package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/status"
)

// The history of SPEC §6 is simulated in memory first (this file): who
// checks in on which day with which temperature and symptoms, who falls ill
// and stays away, and the three outbreaks. history.go then writes it
// through the store, day by day, as the schools would have.

// The seed of the history's own stream. The people are drawn from
// seed1/seed2; a stream of its own lets the simulation change without
// changing them.
const (
	historySeed1 = 20260902
	historySeed2 = 0x5eed_4157
)

// HistoryDays is the number of school days the demo history covers.
const HistoryDays = 60

// Base rates per person and day of check-in (SPEC §6), and how people
// report.
const (
	feverRate       = 0.003 // 37.3–38.5 °C
	respiratoryRate = 0.010 // cough, sore throat or a runny nose
	giRate          = 0.002 // diarrhoea or vomiting
	vagueRate       = 0.003 // a headache, dizziness or fatigue alone
	missRate        = 0.03  // school check-ins nobody made
	absenceRate     = 0.002 // students who fall ill and stay away, per school day
	noonRate        = 0.30  // days a boarding class has the noon check (午检)
	reporterShare   = 0.25  // residents who report their health to the community
	reportRate      = 0.80  // days they do: 0.25 × 0.8 = 20 % of residents a day
)

// Where and when the outbreaks of SPEC §6 happen. The ILI cluster is in the
// demo teacher's class, so that the teacher account sees it.
const (
	iliClass          = "SYZX-G1-C01"
	varicellaClass    = "SYZX-G2-C05"
	noroDaysBack      = 22 // school days before today: about a month
	varicellaDaysBack = 10
)

// noroClasses share a floor and a canteen line at 阳光小学.
var noroClasses = []string{"YGXX-G2-C01", "YGXX-G2-C02", "YGXX-G2-C04"}

// submittedBy marks every simulated check-in.
const submittedBy = "demo"

// person is one person of the simulation.
type person struct {
	id       int64
	ext      string
	kind     domain.PersonKind
	class    *class // students
	guardian string // students: who reports an absence
	child    bool   // residents: a child whose guardian reports
	reporter bool   // residents: reports to the community
}

// class is a school class and its 班主任.
type class struct {
	code, teacher string
	boarding      bool
	// grid: the class teacher takes the morning check (晨检) on the grid;
	// otherwise students (boarders) or guardians (day pupils) report.
	grid     bool
	students []*person
}

// source is who reports a student's ordinary morning check-in.
func (c *class) source() string {
	switch {
	case c.grid:
		return domain.SourceTeacher
	case c.boarding:
		return domain.SourceSelf
	}
	return domain.SourceGuardian
}

// sickDay is a day of an illness planned ahead: the check-in shows the
// signs, or the person is away.
type sickDay struct {
	away     bool
	temp     float64
	symptoms []string
	source   string
	note     string
}

type dayKey struct {
	m   *person
	day int // index into the school days
}

// absencePlan is an illness absence and what becomes known about it, by
// school day: reported on start, followed up by the class teacher on
// followup (-1: never), back on back (len(days): not yet), the return
// certificate handed in on cert (-1: none needed; ≥ len(days): not yet).
type absencePlan struct {
	m                  *person
	start, back        int
	onset              string
	symptoms           []string
	hospital           string // "" when no doctor was seen
	diagnosis          string
	followup           int
	followupNote       string
	cert               int
	source, reportedBy string
	id                 int64 // set once written
}

// absenceStep is one write about an absence: its registration, a follow-up,
// the return, a late certificate.
type absenceStep struct {
	day  int // index into the school days
	kind string
	a    *absencePlan
}

// history is the simulated history, ready to write: the illnesses are
// planned; the check-ins are drawn a day at a time (day), so that only one
// day's are held at once.
type history struct {
	cal      schoolCalendar
	steps    []absenceStep // by day
	absences []*absencePlan
	// due counts the morning check-ins expected at the schools, missed
	// those nobody made, over the days drawn so far.
	due, missed int

	sim          *sim
	next, school int // the next day of cal.all and of cal.days
}

// sim draws the history.
type sim struct {
	rng       *rand.Rand
	cal       schoolCalendar
	classes   []*class
	byClass   map[string]*class
	staff     []*person
	residents []*person
	sick      map[dayKey]sickDay
	absences  []*absencePlan
}

// newSim lays out the people of the plan for the simulation; ids maps
// their external ids to the ids the store gave them.
func newSim(p *plan, ids map[string]int64, today time.Time, days int) (*sim, error) {
	s := &sim{rng: rand.New(rand.NewPCG(historySeed1, historySeed2)), cal: newCalendar(today, days),
		byClass: map[string]*class{}, sick: map[dayKey]sickDay{}}
	for _, u := range p.units {
		if u.kind != "class" {
			continue
		}
		c := &class{code: u.code, teacher: u.responsible[0].Name, boarding: strings.HasPrefix(u.code, middleSpec.code+"-")}
		// Two in five classes of the boarding school and one in four of the
		// primary school take the 晨检 on the grid; the teacher account's
		// class does.
		gridPct := 25
		if c.boarding {
			gridPct = 40
		}
		c.grid = c.code == iliClass || s.rng.IntN(100) < gridPct
		s.classes = append(s.classes, c)
		s.byClass[c.code] = c
	}
	for _, bt := range p.batches {
		for _, r := range bt.rows {
			id, ok := ids[r.ExternalID]
			if !ok {
				return nil, domain.Errorf(domain.EInvalid, "person %s of the demo data set is not in the database: load the data set first", r.ExternalID)
			}
			m := &person{id: id, ext: r.ExternalID, kind: domain.PersonKind(r.Kind), guardian: r.GuardianName}
			switch m.kind {
			case domain.Student:
				m.class = s.byClass[r.OrgCode]
				m.class.students = append(m.class.students, m)
			case domain.Staff:
				s.staff = append(s.staff, m)
			case domain.Resident:
				birth, _ := time.Parse(time.DateOnly, r.BirthDate)
				m.child = birth.AddDate(14, 0, 0).After(today)
				m.reporter = s.rng.Float64() < reporterShare
				s.residents = append(s.residents, m)
			}
		}
	}
	return s, nil
}

// run plans the history: the outbreaks first, then illness absences at the
// base rate among the others. The check-ins follow day by day (day).
func (s *sim) run() *history {
	s.iliCluster()
	s.noroCluster()
	s.varicella()
	s.sporadicAbsences()

	h := &history{cal: s.cal, absences: s.absences, sim: s}
	for _, a := range s.absences {
		h.steps = append(h.steps, a.steps(len(s.cal.days))...)
	}
	slices.SortStableFunc(h.steps, func(x, y absenceStep) int { return x.day - y.day })
	return h
}

// day draws the check-ins of the next day of cal.all and returns it, its
// index into cal.days (-1 when it is not a school day) and the check-ins.
// Every call draws from the one random stream, so the days come in order,
// each once.
func (h *history) day() (d time.Time, school int, cs []*domain.Checkin) {
	d, school = h.cal.all[h.next], -1
	h.next++
	date := d.Format(time.DateOnly)
	if h.school < len(h.cal.days) && h.cal.days[h.school].Equal(d) {
		school = h.school
		h.school++
		cs = h.sim.schoolDay(h, school, date)
	}
	return d, school, append(cs, h.sim.communityDay(date)...)
}

// onCampus is the on_campus answer of every check-in taken at school.
var onCampus = new(true)

// schoolDay returns the check-ins at both schools on school day i.
func (s *sim) schoolDay(h *history, i int, date string) []*domain.Checkin {
	var out []*domain.Checkin
	for _, c := range s.classes {
		noon := c.boarding && s.rng.Float64() < noonRate
		for _, m := range c.students {
			h.due++
			if sd, ok := s.sick[dayKey{m, i}]; ok {
				if sd.away {
					// The 晨检 grid marks an absent pupil, with the reason.
					out = append(out, &domain.Checkin{PersonID: m.id, Date: date, Slot: domain.SlotMorning, Absent: true,
						Note: "病假", Source: domain.SourceTeacher, SubmittedBy: submittedBy})
					continue
				}
				ch := checkin(m, date, domain.SlotMorning, sd.temp, sd.symptoms, sd.source)
				ch.Note = sd.note
				if sd.source == domain.SourceTeacher || c.boarding {
					ch.OnCampus = onCampus
				}
				out = append(out, ch)
				continue
			}
			if s.rng.Float64() < missRate {
				h.missed++
				continue
			}
			t, syms := s.signs()
			ch := checkin(m, date, domain.SlotMorning, t, syms, c.source())
			if c.boarding || c.grid {
				ch.OnCampus = onCampus
			}
			out = append(out, ch)
			if noon {
				// The noon check (午检) by the class teacher: symptoms stay,
				// a fever may have moved a little.
				nt := s.normalTemp()
				if t >= domain.DefaultThresholds.FeverC {
					nt = math.Round((t+s.between(-0.4, 0.2))*10) / 10
				}
				n := checkin(m, date, domain.SlotNoon, nt, syms, domain.SourceTeacher)
				n.OnCampus = onCampus
				out = append(out, n)
			}
		}
	}
	for _, m := range s.staff {
		h.due++
		if s.rng.Float64() < missRate {
			h.missed++
			continue
		}
		t, syms := s.signs()
		out = append(out, checkin(m, date, domain.SlotMorning, t, syms, domain.SourceSelf))
	}
	return out
}

// communityDay returns the residents' self-reports of a day, weekends and
// holidays included.
func (s *sim) communityDay(date string) []*domain.Checkin {
	var out []*domain.Checkin
	for _, m := range s.residents {
		if !m.reporter || s.rng.Float64() >= reportRate {
			continue
		}
		t, syms := s.signs()
		if s.rng.IntN(10) < 3 && t < domain.DefaultThresholds.FeverC {
			t = 0 // no thermometer at hand: "all normal"
		}
		source := domain.SourceSelf
		if m.child {
			source = domain.SourceGuardian
		}
		out = append(out, checkin(m, date, domain.SlotMorning, t, syms, source))
	}
	return out
}

// checkin returns a check-in; temp 0 means none was taken.
func checkin(m *person, date, slot string, temp float64, syms []string, source string) *domain.Checkin {
	c := &domain.Checkin{PersonID: m.id, Date: date, Slot: slot, Symptoms: syms, Source: source, SubmittedBy: submittedBy}
	if temp > 0 {
		c.TemperatureC = &temp
	}
	return c
}

var (
	respiratory = []string{"cough", "runny_nose", "sore_throat"}
	vague       = []string{"headache", "dizziness", "fatigue"}
)

// signs draws a temperature and symptoms at the base rates.
func (s *sim) signs() (float64, []string) {
	t := s.normalTemp()
	r := s.rng.Float64()
	switch {
	case r < feverRate:
		t = s.between(37.3, 38.5)
		var syms []string
		if s.rng.IntN(2) == 0 {
			syms = append(syms, "fever")
		}
		if s.rng.IntN(2) == 0 {
			syms = append(syms, s.pick(respiratory))
		}
		return t, syms
	case r < feverRate+respiratoryRate:
		return t, s.some(respiratory, 1+s.rng.IntN(2))
	case r < feverRate+respiratoryRate+giRate:
		syms := []string{s.pick([]string{"diarrhea", "vomiting"})}
		if s.rng.IntN(2) == 0 {
			syms = append(syms, "abdominal_pain")
		}
		return t, syms
	case r < feverRate+respiratoryRate+giRate+vagueRate:
		return t, []string{s.pick(vague)}
	}
	return t, nil
}

// normalTemp is a healthy forehead or armpit reading, 36.0–37.1 °C.
func (s *sim) normalTemp() float64 {
	t := 36.5 + s.rng.NormFloat64()*0.22
	return math.Round(min(37.1, max(36.0, t))*10) / 10
}

// between returns a temperature from lo to hi, rounded to 0.1.
func (s *sim) between(lo, hi float64) float64 {
	return math.Round((lo+s.rng.Float64()*(hi-lo))*10) / 10
}

func (s *sim) pick(from []string) string { return from[s.rng.IntN(len(from))] }

// some returns n different codes of from, in from's order.
func (s *sim) some(from []string, n int) []string {
	idx := s.rng.Perm(len(from))[:n]
	slices.Sort(idx)
	out := make([]string, n)
	for i, j := range idx {
		out[i] = from[j]
	}
	return out
}

// with returns base and each of extra with the given per cent chance.
func (s *sim) with(base []string, pct int, extra ...string) []string {
	out := slices.Clone(base)
	for _, e := range extra {
		if s.rng.IntN(100) < pct {
			out = append(out, e)
		}
	}
	return out
}

// busy reports whether m has a planned sick day from day from to day to.
func (s *sim) busy(m *person, from, to int) bool {
	for d := from; d <= to; d++ {
		if _, ok := s.sick[dayKey{m, d}]; ok {
			return true
		}
	}
	return false
}

// ill plans an illness absence of m from school day a.start: that day's
// check-in shows first, and m stays away until a.back (the day back).
func (s *sim) ill(a *absencePlan, first sickDay) {
	a.onset = s.cal.days[a.start].Format(time.DateOnly)
	s.sick[dayKey{a.m, a.start}] = first
	for d := a.start + 1; d < a.back && d < len(s.cal.days); d++ {
		s.sick[dayKey{a.m, d}] = sickDay{away: true}
	}
	s.absences = append(s.absences, a)
}

// pickStudents returns n students of classes at random, none of them ill
// from day from to day to.
func (s *sim) pickStudents(classes []string, n, from, to int) []*person {
	var pool []*person
	for _, code := range classes {
		pool = append(pool, s.byClass[code].students...)
	}
	var out []*person
	for _, i := range s.rng.Perm(len(pool)) {
		if len(out) == n {
			break
		}
		if !s.busy(pool[i], from, to) {
			out = append(out, pool[i])
		}
	}
	return out
}

// hospitals are where the demo's pupils see a doctor.
var hospitals = []string{"西湖区人民医院", "浙江大学医学院附属儿童医院", "杭州市第一人民医院", "文新街道社区卫生服务中心"}

// iliCluster plans influenza in one class of 实验中学 over the last four
// school days: 6 to 9 boarders with 38 °C or more and a cough or a sore
// throat. Most go home with influenza; the first is back by the last day,
// the later ones are still away today. The others stay at school under
// the school doctor's eye and get better over two days.
func (s *sim) iliCluster() {
	last := len(s.cal.days) - 1
	c := s.byClass[iliClass]
	first := max(0, last-3)
	cases := s.pickStudents([]string{iliClass}, 6+s.rng.IntN(4), first-1, last)
	home := 0
	for k, m := range cases {
		onset := first
		if k > 0 {
			onset = min(last, first+1+s.rng.IntN(3))
		}
		syms := []string{"fever", s.pick([]string{"cough", "sore_throat"})}
		syms = s.with(syms, 50, "cough", "sore_throat", "headache", "fatigue")
		day := sickDay{temp: s.between(38.0, 39.3), symptoms: dedupe(syms), source: domain.SourceTeacher, note: "晨检发热，送校医室"}
		// The first goes home; so do most others, at least one of them.
		if k > 0 && s.rng.IntN(10) >= 6 && (k < len(cases)-1 || home > 1) {
			// Kept at school: fever down the next day, a cough for one more.
			day.note = "晨检发热，校医室留观"
			s.sick[dayKey{m, onset}] = day
			if onset+1 <= last {
				s.sick[dayKey{m, onset + 1}] = sickDay{temp: s.between(37.3, 37.8), symptoms: []string{"cough"}, source: c.source()}
			}
			if onset+2 <= last {
				s.sick[dayKey{m, onset + 2}] = sickDay{temp: s.normalTemp(), symptoms: []string{"cough"}, source: c.source()}
			}
			continue
		}
		home++
		back := onset + 3 + s.rng.IntN(3)
		if k == 0 {
			back = onset + 3
		}
		hospital := s.pick(hospitals)
		s.ill(&absencePlan{m: m, start: onset, back: back, symptoms: day.symptoms, hospital: hospital,
			diagnosis: "influenza", followup: onset, cert: back,
			source: domain.SourceTeacher, reportedBy: c.teacher,
			followupNote: fmt.Sprintf("电话随访：已到%s就诊，甲型流感抗原阳性，遵医嘱居家休息", hospital)}, day)
	}
}

// noroCluster plans norovirus at 阳光小学 about a month ago: about a dozen
// pupils of three classes of one grade fall ill with vomiting or diarrhoea
// over three days, stay home three or four school days and come back with
// a certificate.
func (s *sim) noroCluster() {
	start := max(0, len(s.cal.days)-noroDaysBack)
	cases := s.pickStudents(noroClasses, 11+s.rng.IntN(3), start-1, start+6)
	for k, m := range cases {
		onset := min(start+3*k/len(cases), len(s.cal.days)-1)
		var syms []string
		if s.rng.IntN(10) < 9 {
			syms = append(syms, "vomiting")
		}
		if len(syms) == 0 || s.rng.IntN(10) < 6 {
			syms = append(syms, "diarrhea")
		}
		syms = s.with(syms, 50, "abdominal_pain")
		t := s.normalTemp()
		if s.rng.IntN(10) < 3 {
			t = s.between(37.4, 38.4)
			syms = append(syms, "fever")
		}
		hospital := s.pick(hospitals)
		back := onset + 3 + s.rng.IntN(2)
		s.ill(&absencePlan{m: m, start: onset, back: back, symptoms: syms, hospital: hospital,
			diagnosis: "norovirus", followup: onset, cert: back,
			source: domain.SourceGuardian, reportedBy: m.guardian,
			followupNote: fmt.Sprintf("电话随访：夜间呕吐腹泻，已到%s就诊，诊断诺如病毒感染，居家隔离", hospital)},
			sickDay{temp: t, symptoms: syms, source: domain.SourceGuardian, note: "在家，未到校"})
	}
}

// varicella plans one case of chickenpox at 实验中学 about two weeks ago:
// fever and a rash at the 晨检, home, back no earlier than 14 days after
// onset with a certificate — or still away today.
func (s *sim) varicella() {
	day := max(0, len(s.cal.days)-varicellaDaysBack)
	c := s.byClass[varicellaClass]
	m := s.pickStudents([]string{varicellaClass}, 1, day-1, len(s.cal.days)-1)[0]
	earliest := s.cal.days[day].AddDate(0, 0, 14)
	back := day + 1
	for back < len(s.cal.days) && s.cal.days[back].Before(earliest) {
		back++
	}
	syms := []string{"fever", "rash", "fatigue"}
	hospital := s.pick(hospitals)
	s.ill(&absencePlan{m: m, start: day, back: back, symptoms: syms, hospital: hospital,
		diagnosis: "varicella", followup: day, cert: back,
		source: domain.SourceTeacher, reportedBy: c.teacher,
		followupNote: fmt.Sprintf("电话随访：已到%s就诊，确诊水痘，居家隔离至全部结痂且发病满 14 天", hospital)},
		sickDay{temp: s.between(37.6, 38.3), symptoms: syms, source: domain.SourceTeacher, note: "晨检发热、皮疹，送校医室"})
}

// illness is an everyday illness that keeps a pupil at home.
type illness struct {
	weight    int
	diagnosis string
	symptoms  []string // always
	extra     []string // each in half the cases
	lo, hi    float64  // temperature at the morning check, °C
}

// everyday are the illnesses of the base absence rate, mostly colds and
// influenza-like illness.
var everyday = []illness{
	{35, "普通感冒", []string{"runny_nose"}, []string{"cough", "sore_throat", "headache"}, 36.8, 37.6},
	{20, "上呼吸道感染", []string{"fever", "cough"}, []string{"sore_throat", "runny_nose"}, 37.5, 38.6},
	{10, "流感样病例", []string{"fever", "cough"}, []string{"sore_throat", "headache", "fatigue"}, 38.0, 39.2},
	{12, "急性胃肠炎", []string{"diarrhea"}, []string{"vomiting", "abdominal_pain"}, 36.6, 37.8},
	{10, "急性扁桃体炎", []string{"fever", "sore_throat"}, []string{"headache"}, 38.0, 39.3},
	{8, "发热待查", []string{"fever"}, []string{"headache", "fatigue"}, 37.5, 38.7},
	{5, "支气管炎", []string{"cough"}, []string{"fever", "fatigue"}, 37.2, 38.3},
}

// sporadicAbsences plans illness absences at the base rate: on each school
// day a student falls ill with absenceRate and stays home one to three
// days. Some see a doctor; the class teacher calls most; a pupil with a
// disease on the certificate list brings one back.
func (s *sim) sporadicAbsences() {
	weights := make([]int, len(everyday))
	for i, il := range everyday {
		weights[i] = il.weight
	}
	for day := range s.cal.days {
		for _, c := range s.classes {
			for _, m := range c.students {
				if s.rng.Float64() >= absenceRate {
					continue
				}
				away := 1 + weighted(s.rng, []int{40, 40, 20})
				if s.busy(m, day-1, day+away) {
					continue
				}
				il := everyday[weighted(s.rng, weights)]
				syms := s.with(il.symptoms, 50, il.extra...)
				a := &absencePlan{m: m, start: day, back: day + away, symptoms: syms, followup: -1, cert: -1,
					source: domain.SourceGuardian, reportedBy: m.guardian}
				first := sickDay{temp: s.between(il.lo, il.hi), symptoms: syms, source: domain.SourceGuardian, note: "在家，未到校"}
				if c.boarding {
					a.source, a.reportedBy = domain.SourceTeacher, c.teacher
					first.source, first.note = domain.SourceTeacher, "晨检不适，家长接回"
				}
				if s.rng.IntN(10) < 6 {
					a.hospital, a.diagnosis = s.pick(hospitals), il.diagnosis
				}
				if s.rng.IntN(10) < 7 {
					a.followup = day
					a.followupNote = "电话随访：在家休息，症状减轻"
					if a.hospital != "" {
						a.followupNote = fmt.Sprintf("电话随访：已到%s就诊，诊断%s，遵医嘱居家休息", a.hospital, a.diagnosis)
					}
				}
				if status.NeedsCertificate(a.diagnosis) {
					a.cert = a.back
					if s.rng.IntN(10) < 2 {
						a.cert++ // forgotten on the first day back
					}
				}
				s.ill(a, first)
			}
		}
	}
}

// steps returns the writes about a, by school day; days is the number of
// school days (the ones from there on have not happened).
func (a *absencePlan) steps(days int) []absenceStep {
	out := []absenceStep{{a.start, "report", a}}
	if a.followup >= 0 && a.followup < days {
		out = append(out, absenceStep{a.followup, "followup", a})
	}
	if a.back < days {
		out = append(out, absenceStep{a.back, "back", a})
	}
	if a.cert > a.back && a.cert < days {
		out = append(out, absenceStep{a.cert, "certificate", a})
	}
	return out
}

// open reports whether the absence still needs something today: the pupil
// is not back, or the certificate has not come.
func (a *absencePlan) open(days int) bool {
	return a.back >= days || a.cert >= days
}

func dedupe(codes []string) []string {
	var out []string
	for _, c := range codes {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
