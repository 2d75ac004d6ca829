package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdb.Shutdown()
	os.Exit(code)
}

// open returns a migrated store on a fresh database of the engine.
func open(t testing.TB, e testdb.Engine) *store.DB { return testdb.Store(t, e.DSN(t)) }

// testToday is the date the tests run the demo as of: a Wednesday whose
// history holds the National Day week.
const testToday = "2026-11-18"

// seed runs Seed on db as of testToday with one school day of history (none
// with -short) and logs how long it took (timings are measured, never
// asserted: SPEC §7.1). TestSimulation and TestHistory check the history
// itself; a longer one here would only make the test slow, as
// ImportCheckins and RefreshStatuses write a row at a time.
func seed(t *testing.T, db *store.DB) *Summary {
	t.Helper()
	if testing.Short() {
		return seedDays(t, db, 0)
	}
	return seedDays(t, db, 1)
}

// seedDays is seed with a history of the given number of school days.
func seedDays(t *testing.T, db *store.DB, days int) *Summary {
	t.Helper()
	start := time.Now()
	sum, err := load(context.Background(), db, testLogger(t), testToday, days)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Seed on %s with %d school days of history: %v", db.Engine(), days, time.Since(start).Round(time.Millisecond))
	return sum
}

// TestBuildIsDeterministic checks the plan itself, clear identity and phone
// numbers included, which the database only shows masked.
func TestBuildIsDeterministic(t *testing.T) {
	a, b := build(), build()
	if !reflect.DeepEqual(a.batches, b.batches) {
		t.Fatal("two builds give different people")
	}
	if len(a.units) != len(b.units) {
		t.Fatalf("two builds give %d and %d units", len(a.units), len(b.units))
	}
	for i := range a.units {
		ua, ub := a.units[i], b.units[i]
		if ua.code != ub.code || ua.name != ub.name || ua.kind != ub.kind || !reflect.DeepEqual(ua.responsible, ub.responsible) {
			t.Fatalf("unit %d differs: %+v and %+v", i, ua, ub)
		}
	}
}

// TestPlanIsValid checks every generated person against the domain's rules
// and the promises of SPEC §6.
func TestPlanIsValid(t *testing.T) {
	p := build()
	ids, exts, phones := map[string]bool{}, map[string]bool{}, map[string]string{}
	for _, bt := range p.batches {
		for _, r := range bt.rows {
			where := bt.org.code + " " + r.ExternalID
			per := domain.Person{ExternalID: r.ExternalID, Name: r.Name, Kind: domain.PersonKind(r.Kind), OrgID: 1, Gender: r.Gender,
				BirthDate: r.BirthDate, IDNumber: r.IDNumber, Phone: r.Phone, GuardianName: r.GuardianName,
				GuardianPhone: r.GuardianPhone, Tags: r.Tags}
			if err := per.Validate(); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if per.IDNumber != r.IDNumber || per.Phone != r.Phone || per.GuardianPhone != r.GuardianPhone {
				t.Fatalf("%s: not in normalised form", where)
			}
			if birth, _ := domain.IDNumberBirthDate(r.IDNumber); birth != r.BirthDate {
				t.Fatalf("%s: identity number %s does not hold the birth date %s", where, r.IDNumber, r.BirthDate)
			}
			if male := (r.IDNumber[16]-'0')%2 == 1; male != (r.Gender == "M") {
				t.Fatalf("%s: identity number %s does not match gender %s", where, r.IDNumber, r.Gender)
			}
			if ids[r.IDNumber] || exts[r.ExternalID] {
				t.Fatalf("%s: identity number or external id used twice", where)
			}
			ids[r.IDNumber], exts[r.ExternalID] = true, true
			for _, ph := range []string{r.Phone, r.GuardianPhone} {
				if ph != "" && !strings.HasPrefix(ph, phonePrefix) {
					t.Fatalf("%s: phone %s outside the demo block", where, ph)
				}
			}
			// A person's own number is theirs alone; a guardian's is either
			// new or, for a resident child, a parent's own.
			if r.Phone != "" {
				if other, ok := phones[r.Phone]; ok {
					t.Fatalf("%s: phone %s also belongs to %s", where, r.Phone, other)
				}
				phones[r.Phone] = r.ExternalID
			}
		}
	}
	for _, u := range p.units {
		if !domain.ValidCode(u.code) {
			t.Fatalf("bad code %q", u.code)
		}
	}
}

// TestSeed loads the demo data set on each engine, checks it, and checks
// that the two loads, on two fresh databases, hold the same people and the
// same check-ins.
func TestSeed(t *testing.T) {
	var mu sync.Mutex
	var loads [][]string // people of each load, as fingerprint lines
	t.Run("load", func(t *testing.T) {
		for _, e := range testdb.Engines() {
			t.Run(e.Name, func(t *testing.T) {
				t.Parallel()
				people := checkSeed(t, e)
				mu.Lock()
				loads = append(loads, people)
				mu.Unlock()
			})
		}
	})
	if len(loads) < 2 {
		// PostgreSQL was skipped: load SQLite a second time.
		db := open(t, testdb.Engines()[0])
		seed(t, db)
		tree, err := db.OrgTree(context.Background(), domain.System())
		if err != nil {
			t.Fatal(err)
		}
		hash, n := checkinHash(t, db)
		loads = append(loads, append(fingerprint(allPeople(t, db), tree), fmt.Sprintf("check-ins|%d|%s", n, hash)))
	}
	a, b := loads[0], loads[1]
	if !slices.Equal(a, b) {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("two loads differ; first difference:\n%s\n%s", a[i], b[i])
			}
		}
		t.Fatalf("two loads have %d and %d people", len(a), len(b))
	}
}

// checkSeed loads the demo data set on a fresh database of the engine,
// checks it, and returns its people and a hash of its check-ins as
// fingerprint lines.
func checkSeed(t *testing.T, e testdb.Engine) []string {
	ctx := context.Background()
	db := open(t, e)
	if on, err := IsDemo(ctx, db); on || err != nil {
		t.Fatalf("IsDemo on an empty database = %v, %v", on, err)
	}
	sum := seed(t, db)
	p := build()
	if sum.Orgs != len(p.units) || sum.People != p.people() || sum.Guardians != p.guardians || len(sum.Accounts) != 5 {
		t.Fatalf("summary = %+v", sum)
	}
	t.Logf("%d units, %d people, %d guardians", sum.Orgs, sum.People, sum.Guardians)

	tree, err := db.OrgTree(ctx, domain.System())
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]*domain.Org{}
	kinds := map[domain.OrgKind]int{}
	for _, o := range tree {
		byCode[o.Code] = o
		kinds[o.Kind]++
	}
	people := allPeople(t, db)

	t.Run("units", func(t *testing.T) {
		want := map[domain.OrgKind]int{"district": 1, "school": 2, "grade": 3 + 6, "class": 36 + 36,
			"department": len(middleSpec.depts) + len(primarySpec.depts), "dorm_building": 2,
			"street": 1, "community": 2, "compound": 8, "building": 64, "unit": 128, "household": 1536}
		for k, n := range want {
			if kinds[k] != n {
				t.Errorf("%d units of kind %s, want %d", kinds[k], k, n)
			}
		}
		if kinds["dorm_room"] < (36*45)/roomBeds {
			t.Errorf("%d dorm rooms cannot hold 1620 students", kinds["dorm_room"])
		}
		if len(tree) != sum.Orgs {
			t.Errorf("%d units, summary says %d", len(tree), sum.Orgs)
		}
		for _, code := range []string{"SFQ", "SYZX", "SYZX-G1-C01", "SYZX-DB1", "SYZX-DB1-R0101", "YGXX-G6-C06", "YGJD-C1-X2-B05-U1-0302"} {
			if byCode[code] == nil {
				t.Errorf("no unit %s", code)
			}
		}
		for _, o := range tree {
			if o.Kind == "class" && (len(o.Responsible) != 1 || o.Responsible[0].Role != "班主任" || o.Responsible[0].Phone == "") {
				t.Errorf("class %s: responsible = %+v", o.Code, o.Responsible)
			}
			if (o.Kind == "building" || o.Kind == "community" || o.Kind == "dorm_building") && len(o.Responsible) != 1 {
				t.Errorf("%s %s: responsible = %+v", o.Kind, o.Code, o.Responsible)
			}
		}
	})

	t.Run("students per class", func(t *testing.T) {
		perClass := map[int64]int{}
		for _, per := range people {
			if per.Kind == domain.Student {
				perClass[per.OrgID]++
			}
		}
		for _, o := range tree {
			if o.Kind != "class" {
				continue
			}
			want := 45
			if strings.HasPrefix(o.Code, "YGXX-") {
				want = 40
			}
			if perClass[o.ID] != want {
				t.Errorf("class %s has %d students, want %d", o.Code, perClass[o.ID], want)
			}
		}
	})

	t.Run("dorm rooms", func(t *testing.T) {
		checkDorms(t, db, tree, people)
	})

	t.Run("matches the plan", func(t *testing.T) {
		var want []string
		for _, bt := range p.batches {
			for _, r := range bt.rows {
				want = append(want, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", r.ExternalID, r.Name, r.Kind, r.OrgCode,
					r.Gender, r.BirthDate, domain.MaskIDNumber(r.IDNumber), maskOr(r.Phone), r.GuardianName, maskOr(r.GuardianPhone),
					strings.Join(r.Tags, ",")))
			}
		}
		got := fingerprint(people, tree)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("people differ from the plan: %d rows, want %d", len(got), len(want))
		}
		// Clear text comes back as generated: spot-check a few.
		for _, i := range []int{0, len(people) / 2, len(people) - 1} {
			per, err := db.Person(ctx, domain.System(), people[i].ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := domain.ValidIDNumber(per.IDNumber); err != nil {
				t.Errorf("%s: identity number %s: %v", per.ExternalID, per.IDNumber, err)
			}
			for _, ph := range []string{per.Phone, per.GuardianPhone} {
				if ph != "" && domain.ValidMobile(ph) != nil {
					t.Errorf("%s: bad phone %s", per.ExternalID, ph)
				}
			}
		}
	})

	t.Run("accounts", func(t *testing.T) {
		teacher := byCode["SYZX-G1-C01"].Responsible[0].Name
		want := map[string]struct {
			role  domain.Role
			scope string
		}{
			"admin": {domain.RoleAdmin, "SFQ"}, "health": {domain.RoleHealth, "SFQ"},
			"teacher": {domain.RoleTeacher, "SYZX-G1-C01"}, "guard": {domain.RoleGuard, "SYZX"},
			"district": {domain.RoleViewer, "SFQ"},
		}
		for _, a := range sum.Accounts {
			w, ok := want[a.Username]
			if !ok || a.Password != Password || a.Role != w.role || a.Scope != byCode[w.scope].Name {
				t.Errorf("summary account %+v", a)
			}
			acc, err := db.Authenticate(ctx, a.Username, Password)
			if err != nil {
				t.Fatalf("sign in as %s: %v", a.Username, err)
			}
			if acc.Role != w.role || acc.OrgID != byCode[w.scope].ID {
				t.Errorf("%s: role %s at %d, want %s at %s", a.Username, acc.Role, acc.OrgID, w.role, w.scope)
			}
			if a.Username == "district" && acc.Scope().PersonLevel {
				t.Error("district sees person-level data")
			}
			if a.Username == "teacher" && acc.DisplayName != teacher {
				t.Errorf("teacher is %q, the class teacher of 初一(1)班 is %q", acc.DisplayName, teacher)
			}
		}
	})

	t.Run("guardian with children in both schools", func(t *testing.T) {
		middle, primary := map[string]string{}, map[string]string{}
		for _, r := range p.batches[0].rows {
			middle[r.GuardianPhone] = r.ExternalID
		}
		for _, r := range p.batches[1].rows {
			if r.GuardianPhone != "" && middle[r.GuardianPhone] != "" {
				primary[r.ExternalID] = middle[r.GuardianPhone]
			}
		}
		if n := len(primary); n < 20 || n > 120 {
			t.Fatalf("%d students of 阳光小学 have a sibling at 实验中学; want a few per cent of 1440", n)
		}
		ids := map[string]int64{}
		for _, per := range people {
			ids[per.ExternalID] = per.ID
		}
		found := 0
		for young, old := range primary {
			g1, err := db.Guardians(ctx, domain.System(), ids[young])
			if err != nil {
				t.Fatal(err)
			}
			g2, err := db.Guardians(ctx, domain.System(), ids[old])
			if err != nil {
				t.Fatal(err)
			}
			if len(g1) != 1 || len(g2) != 1 || g1[0].ID != g2[0].ID {
				t.Fatalf("%s and %s do not share their guardian: %+v, %+v", young, old, g1, g2)
			}
			if found++; found == 5 {
				break
			}
		}
	})

	t.Run("second seed", func(t *testing.T) {
		if _, err := Seed(ctx, db, nil, testToday); domain.ErrorCode(err) != domain.EConflict {
			t.Fatalf("second Seed: %v, want %s", err, domain.EConflict)
		}
		if on, err := IsDemo(ctx, db); !on || err != nil {
			t.Fatalf("IsDemo = %v, %v", on, err)
		}
	})

	hash, n := checkinHash(t, db)
	if sum.History != nil && sum.History.Checkins != n {
		t.Errorf("%d check-ins, the summary says %d", n, sum.History.Checkins)
	}
	return append(fingerprint(people, tree), fmt.Sprintf("check-ins|%d|%s", n, hash))
}

// checkDorms checks that every student of 实验中学 sleeps in exactly one
// room of their gender's building, and that no room has more than 6.
func checkDorms(t *testing.T, db *store.DB, tree []*domain.Org, people []*domain.Person) {
	ctx := context.Background()
	byID := map[int64]*domain.Org{}
	for _, o := range tree {
		byID[o.ID] = o
	}
	beds := map[string]int{} // room code: students
	students := 0
	for _, per := range people {
		if per.Kind != domain.Student || !strings.HasPrefix(byID[per.OrgID].Code, "SYZX-") {
			continue
		}
		students++
		full, err := db.Person(ctx, domain.System(), per.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		building := "SYZX-DB1-" // boys
		if per.Gender == "F" {
			building = "SYZX-DB2-"
		}
		var rooms []string
		for _, m := range full.Memberships {
			if room := byID[m.OrgID]; room.Kind == "dorm_room" {
				rooms = append(rooms, room.Code)
				beds[room.Code]++
			}
		}
		if len(rooms) != 1 || !strings.HasPrefix(rooms[0], building) {
			t.Errorf("student %s (%s) sleeps in %v", per.ExternalID, per.Gender, rooms)
		}
	}
	if students != 36*45 {
		t.Errorf("%d students of 实验中学, want %d", students, 36*45)
	}
	for _, o := range tree {
		if o.Kind == "dorm_room" && (beds[o.Code] == 0 || beds[o.Code] > roomBeds) {
			t.Errorf("room %s has %d students", o.Code, beds[o.Code])
		}
	}
}

// allPeople lists every person in the database.
func allPeople(t *testing.T, db *store.DB) []*domain.Person {
	t.Helper()
	var out []*domain.Person
	var after int64
	for {
		list, _, err := db.People(context.Background(), domain.System(), store.PeopleQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			return out
		}
		out = append(out, list...)
		after = list[len(list)-1].ID
	}
}

// fingerprint renders people as sorted lines of the fields Seed promises
// to keep the same, with the primary unit by code.
func fingerprint(people []*domain.Person, tree []*domain.Org) []string {
	codes := map[int64]string{}
	for _, o := range tree {
		codes[o.ID] = o.Code
	}
	var out []string
	for _, per := range people {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", per.ExternalID, per.Name, per.Kind, codes[per.OrgID],
			per.Gender, per.BirthDate, per.IDNumberMasked, per.PhoneMasked, per.GuardianName, per.GuardianMasked,
			strings.Join(per.Tags, ",")))
	}
	slices.Sort(out)
	return out
}

func maskOr(s string) string {
	if s == "" {
		return ""
	}
	return domain.MaskPhone(s)
}

// BenchmarkSeed measures Seed on SQLite, the default engine.
func BenchmarkSeed(b *testing.B) {
	e := testdb.Engines()[0]
	for b.Loop() {
		b.StopTimer()
		db := open(b, e)
		b.StartTimer()
		if _, err := Seed(context.Background(), db, nil, testToday); err != nil {
			b.Fatal(err)
		}
	}
}

// cancelOn is a log handler that cancels a load when it logs msg.
type cancelOn struct {
	msg    string
	cancel context.CancelFunc
}

func (h cancelOn) Enabled(context.Context, slog.Level) bool { return true }
func (h cancelOn) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.cancel()
	}
	return nil
}
func (h cancelOn) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h cancelOn) WithGroup(string) slog.Handler      { return h }

// A load interrupted after its first writes leaves the database marked
// Partial, told apart from real data and from the whole data set.
func TestInterruptedLoadIsPartial(t *testing.T) {
	db := open(t, testdb.Engines()[0])
	if st, err := Status(context.Background(), db); st != None || err != nil {
		t.Fatalf("Status of an empty database = %v, %v", st, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := load(ctx, db, slog.New(cancelOn{"demo: org units created", cancel}), testToday, 0); err == nil {
		t.Fatal("the interrupted load succeeded")
	}
	bg := context.Background()
	if roots, err := db.Orgs(bg, domain.System(), 0); err != nil || len(roots) == 0 {
		t.Fatalf("the load was interrupted before writing: %v %v", roots, err)
	}
	if st, err := Status(bg, db); st != Partial || err != nil {
		t.Fatalf("Status after an interrupted load = %v, %v; want Partial", st, err)
	}
	// It may hold the demo accounts: serve must still warn.
	if on, err := IsDemo(bg, db); !on || err != nil {
		t.Fatalf("IsDemo after an interrupted load = %v, %v", on, err)
	}
	if _, err := load(bg, db, nil, testToday, 0); domain.ErrorCode(err) != domain.EConflict {
		t.Fatalf("a second load over the partial one: %v, want EConflict", err)
	}
	full := open(t, testdb.Engines()[0])
	if _, err := load(bg, full, nil, testToday, 0); err != nil {
		t.Fatal(err)
	}
	if st, err := Status(bg, full); st != Loaded || err != nil {
		t.Fatalf("Status after a load = %v, %v; want Loaded", st, err)
	}
}
