package store_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdb.Shutdown()
	os.Exit(code)
}

// open returns a migrated store on the engine's fresh database.
func open(t *testing.T, e testdb.Engine) *store.DB { return openB(t, e) }

func openB(t testing.TB, e testdb.Engine) *store.DB { return testdb.Store(t, e.DSN(t)) }

// each runs fn on SQLite and on PostgreSQL.
func each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t, e))
		})
	}
}

// tree builds district > school > grade > class1, class2 and returns them by code.
func tree(t *testing.T, db *store.DB) map[string]*domain.Org {
	t.Helper()
	ctx := context.Background()
	out := map[string]*domain.Org{}
	add := func(parent, kind, code, name string) {
		o := &domain.Org{Kind: domain.OrgKind(kind), Code: code, Name: name}
		if parent != "" {
			o.ParentID = &out[parent].ID
		}
		if err := db.CreateOrg(ctx, domain.System(), o); err != nil {
			t.Fatalf("create %s: %v", code, err)
		}
		out[code] = o
	}
	add("", "district", "D1", "示范区")
	add("D1", "school", "S1", "实验中学")
	add("S1", "grade", "S1G1", "初一")
	add("S1G1", "class", "S1G1C1", "初一(1)班")
	add("S1G1", "class", "S1G1C2", "初一(2)班")
	add("S1", "dorm_building", "S1B1", "1号楼")
	add("S1B1", "dorm_room", "S1B1R101", "101")
	add("D1", "school", "S2", "阳光小学")
	return out
}

func scopeOf(o *domain.Org, role domain.Role) domain.Scope {
	return domain.Scope{OrgID: o.ID, Path: o.Path, Role: role, PersonLevel: role != domain.RoleViewer}
}

func TestMigrateIsIdempotent(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		v1, err := db.Migrate(context.Background())
		if err != nil || v1 < 1 {
			t.Fatalf("migrate = %d, %v", v1, err)
		}
		v2, err := db.SchemaVersion(context.Background())
		if err != nil || v2 != v1 {
			t.Fatalf("version = %d, %v; want %d", v2, err, v1)
		}
	})
}

func TestOrgTree(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		if o["S1G1C1"].Path != "/"+itoa(o["D1"].ID)+"/"+itoa(o["S1"].ID)+"/"+itoa(o["S1G1"].ID)+"/"+itoa(o["S1G1C1"].ID)+"/" {
			t.Fatalf("path = %s", o["S1G1C1"].Path)
		}
		sc := scopeOf(o["S1"], domain.RoleAdmin)
		sub, err := db.OrgTree(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if len(sub) != 6 {
			t.Fatalf("subtree of S1 has %d units, want 6", len(sub))
		}
		if _, err := db.Org(ctx, sc, o["S2"].ID); domain.ErrorCode(err) != domain.ENotFound {
			t.Fatalf("sibling school visible: %v", err)
		}
		dup := &domain.Org{Kind: "class", Code: "S1G1C1", Name: "x", ParentID: &o["S1G1"].ID}
		if err := db.CreateOrg(ctx, sc, dup); domain.ErrorCode(err) != domain.EConflict {
			t.Fatalf("duplicate code: %v", err)
		}
		bad := &domain.Org{Kind: "planet", Code: "", Name: ""}
		if err := db.CreateOrg(ctx, sc, bad); len(domain.ErrorFields(err)) < 3 {
			t.Fatalf("invalid org: %v", err)
		}
		// Move grade G1 (with its classes) under school S2.
		s2 := o["S2"].ID
		g, err := db.UpdateOrg(ctx, domain.System(), o["S1G1"].ID, store.OrgUpdate{ParentID: &s2})
		if err != nil {
			t.Fatal(err)
		}
		c1, err := db.Org(ctx, domain.System(), o["S1G1C1"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c1.Path, g.Path) || !strings.HasPrefix(g.Path, o["S2"].Path) || c1.Depth != 3 {
			t.Fatalf("after move: grade %s class %s depth %d", g.Path, c1.Path, c1.Depth)
		}
		// Moving a unit below itself is refused.
		self := o["S1G1C1"].ID
		if _, err := db.UpdateOrg(ctx, domain.System(), o["S1G1"].ID, store.OrgUpdate{ParentID: &self}); domain.ErrorCode(err) != domain.EInvalid {
			t.Fatalf("move below itself: %v", err)
		}
		if err := db.DeleteOrg(ctx, domain.System(), o["S2"].ID); domain.ErrorCode(err) != domain.EConflict {
			t.Fatalf("delete non-empty: %v", err)
		}
		if err := db.DeleteOrg(ctx, domain.System(), o["S1B1R101"].ID); err != nil {
			t.Fatalf("delete empty: %v", err)
		}
	})
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestPeopleScopeAndMasking(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["D1"], domain.RoleAdmin)
		p1 := &domain.Person{ExternalID: "2024001", Name: "张三", OrgID: o["S1G1C1"].ID, IDNumber: "11010520100307123X",
			Phone: "13800138000", GuardianName: "张父", GuardianPhone: "13900139000", Tags: []string{"key_person"}}
		p1.IDNumber = validID("11010520100307123")
		if err := db.CreatePerson(ctx, admin, p1); err != nil {
			t.Fatal(err)
		}
		p2 := &domain.Person{ExternalID: "2024002", Name: "张四", OrgID: o["S1G1C2"].ID, GuardianPhone: "13900139000"}
		if err := db.CreatePerson(ctx, admin, p2); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMembership(ctx, admin, p2.ID, o["S1B1R101"].ID, "dorm", false); err != nil {
			t.Fatal(err)
		}
		// The same guardian phone links one guardian to both children.
		g1, _ := db.Guardians(ctx, admin, p1.ID)
		g2, _ := db.Guardians(ctx, admin, p2.ID)
		if len(g1) != 1 || len(g2) != 1 || g1[0].ID != g2[0].ID {
			t.Fatalf("guardians %v %v", g1, g2)
		}
		teacher := scopeOf(o["S1G1C1"], domain.RoleTeacher)
		got, err := db.Person(ctx, teacher, p1.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.IDNumber != "" || got.Phone != "" || got.IDNumberMasked != p1.IDNumber[:3]+"***********"+p1.IDNumber[14:] || got.PhoneMasked != "138****8000" {
			t.Fatalf("masking: %+v", got)
		}
		if _, err := db.Person(ctx, teacher, p2.ID, false); domain.ErrorCode(err) != domain.ENotFound {
			t.Fatalf("teacher sees other class: %v", err)
		}
		if _, err := db.Person(ctx, teacher, p1.ID, true); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("teacher unmasks: %v", err)
		}
		full, err := db.Person(ctx, admin, p1.ID, true)
		if err != nil || full.IDNumber != p1.IDNumber || full.Phone != "13800138000" {
			t.Fatalf("unmask: %+v %v", full, err)
		}
		// Dorm membership puts p2 in the dorm room's scope.
		dorm := scopeOf(o["S1B1R101"], domain.RoleTeacher)
		if _, err := db.Person(ctx, dorm, p2.ID, false); err != nil {
			t.Fatalf("dorm scope: %v", err)
		}
		list, total, err := db.People(ctx, teacher, store.PeopleQuery{})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != p1.ID {
			t.Fatalf("teacher list = %d %v", total, err)
		}
		list, total, err = db.People(ctx, admin, store.PeopleQuery{Q: "张", Limit: 1})
		if err != nil || total != 2 || len(list) != 1 {
			t.Fatalf("search = %d/%d %v", len(list), total, err)
		}
		list, _, _ = db.People(ctx, admin, store.PeopleQuery{Q: "张", After: list[0].ID})
		if len(list) != 1 || list[0].ID != p2.ID {
			t.Fatalf("second page %v", list)
		}
		if list, _, _ := db.People(ctx, admin, store.PeopleQuery{Tag: "key_person"}); len(list) != 1 {
			t.Fatalf("tag filter: %d", len(list))
		}
		viewer := scopeOf(o["D1"], domain.RoleViewer)
		if _, _, err := db.People(ctx, viewer, store.PeopleQuery{}); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("viewer lists people: %v", err)
		}
		dupID := &domain.Person{ExternalID: "2024003", Name: "李四", OrgID: o["S1G1C1"].ID, IDNumber: p1.IDNumber}
		if err := db.CreatePerson(ctx, admin, dupID); domain.ErrorCode(err) != domain.EConflict {
			t.Fatalf("duplicate id number: %v", err)
		}
		name := "张三丰"
		if _, err := db.UpdatePerson(ctx, teacher, p1.ID, store.PersonUpdate{Name: &name}); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("teacher edits: %v", err)
		}
		up, err := db.UpdatePerson(ctx, admin, p1.ID, store.PersonUpdate{Name: &name})
		if err != nil || up.Name != name || up.IDNumberMasked != got.IDNumberMasked {
			t.Fatalf("update: %+v %v", up, err)
		}
		tok, err := db.RotatePersonToken(ctx, admin, p1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bp, err := db.PersonByToken(ctx, tok); err != nil || bp.ID != p1.ID {
			t.Fatalf("by token: %v", err)
		}
		tok2, _ := db.RotatePersonToken(ctx, admin, p1.ID)
		if _, err := db.PersonByToken(ctx, tok); domain.ErrorCode(err) != domain.ENotFound || tok2 == tok {
			t.Fatalf("old token still works: %v", err)
		}
	})
}

// validID completes 17 digits with the GB 11643 check character.
func validID(first17 string) string {
	return first17 + string(domain.IDNumberCheckChar(first17))
}

func TestAccountsSessionsTokens(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["S1"], domain.RoleAdmin)
		a := &domain.Account{Username: "teacher1", Role: domain.RoleTeacher, OrgID: o["S1G1C1"].ID}
		if err := db.CreateAccount(ctx, admin, a, "secret1"); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAccount(ctx, admin, &domain.Account{Username: "teacher1", Role: "teacher", OrgID: o["S1"].ID}, "x1234"); domain.ErrorCode(err) != domain.EConflict {
			t.Fatalf("duplicate username: %v", err)
		}
		if err := db.CreateAccount(ctx, admin, &domain.Account{Username: "x", Role: "teacher", OrgID: o["S2"].ID}, "x1234"); domain.ErrorCode(err) != domain.EInvalid {
			t.Fatalf("account outside scope: %v", err)
		}
		if _, err := db.Authenticate(ctx, "teacher1", "wrong"); domain.ErrorCode(err) != domain.EUnauthenticated {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := db.Authenticate(ctx, "nobody", "secret1"); domain.ErrorCode(err) != domain.EUnauthenticated {
			t.Fatalf("unknown user: %v", err)
		}
		acc, err := db.Authenticate(ctx, "teacher1", "secret1")
		if err != nil || acc.OrgPath != o["S1G1C1"].Path {
			t.Fatalf("authenticate: %+v %v", acc, err)
		}
		tok, s, err := db.CreateSession(ctx, acc.ID, time.Hour)
		if err != nil || s.CSRFToken == "" {
			t.Fatal(err)
		}
		if s2, err := db.Session(ctx, tok); err != nil || s2.Account.ID != acc.ID {
			t.Fatalf("session: %v", err)
		}
		disabled := true
		if _, err := db.UpdateAccount(ctx, admin, acc.ID, store.AccountUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, tok); domain.ErrorCode(err) != domain.EUnauthenticated {
			t.Fatalf("session of disabled account: %v", err)
		}
		if _, err := db.Authenticate(ctx, "teacher1", "secret1"); domain.ErrorCode(err) != domain.EUnauthenticated {
			t.Fatalf("disabled account signs in: %v", err)
		}
		enabled := false
		db.UpdateAccount(ctx, admin, acc.ID, store.AccountUpdate{Disabled: &enabled})
		raw, at, err := db.CreateAPIToken(ctx, admin, acc.ID, "gate 1")
		if err != nil || !strings.HasPrefix(raw, at.Prefix) {
			t.Fatalf("api token: %v", err)
		}
		if ba, err := db.AccountByAPIToken(ctx, raw); err != nil || ba.ID != acc.ID {
			t.Fatalf("by api token: %v", err)
		}
		if err := db.RevokeAPIToken(ctx, admin, at.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AccountByAPIToken(ctx, raw); domain.ErrorCode(err) != domain.EUnauthenticated {
			t.Fatalf("revoked token works: %v", err)
		}
		db.Audit(ctx, domain.AuditEntry{Username: "teacher1", Action: domain.AuditSignInFailed, AccountID: &acc.ID})
		n, err := db.RecentFailedSignIns(ctx, "teacher1", time.Now().Add(-time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("failed sign-ins = %d, %v", n, err)
		}
		log, err := db.AuditLog(ctx, admin, store.AuditQuery{})
		if err != nil || len(log) != 1 {
			t.Fatalf("audit log = %d, %v", len(log), err)
		}
		if _, err := db.AuditLog(ctx, scopeOf(o["S1"], domain.RoleHealth), store.AuditQuery{}); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("health reads audit: %v", err)
		}
	})
}

func TestImportPeople(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := tree(t, db)
		admin := scopeOf(o["S1"], domain.RoleAdmin)
		csv := "学号,姓名,班级编码,身份证号,手机号,监护人,监护人电话,宿舍编码\n" +
			"1001,王一,S1G1C1," + validID("11010520100307123") + ",13800138001,王父,13900139001,S1B1R101\n" +
			"1002,王二,S1G1C2,,,王父,13900139001,\n"
		res, err := roster.Parse(strings.NewReader(csv), "r.csv")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := db.ImportPeople(ctx, admin, o["S1"].ID, res, false)
		if err != nil || rep.Imported != 2 || !rep.Written {
			t.Fatalf("import: %+v %v", rep, err)
		}
		again, _ := roster.Parse(strings.NewReader(csv), "r.csv")
		rep, err = db.ImportPeople(ctx, admin, o["S1"].ID, again, false)
		if err != nil || rep.Imported != 0 || rep.Updated != 0 || rep.Unchanged != 2 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		list, total, _ := db.People(ctx, scopeOf(o["S1B1R101"], domain.RoleTeacher), store.PeopleQuery{})
		if total != 1 || list[0].ExternalID != "1001" {
			t.Fatalf("dorm membership: %d", total)
		}
		// A bad org code and a clash with a stored identity number: nothing is written.
		bad := "学号,姓名,班级编码,身份证号\n1003,王三,NOPE,\n1004,王四,S1G1C1," + validID("11010520100307123") + "\n1005,王五,,\n"
		res, _ = roster.Parse(strings.NewReader(bad), "b.csv")
		rep, err = db.ImportPeople(ctx, admin, o["S1"].ID, res, false)
		if err != nil || rep.Written || rep.Invalid != 2 {
			t.Fatalf("bad import: %+v %v", rep, err)
		}
		want := []string{"2:班级编码: unknown org code \"NOPE\" under S1", "3:身份证号: already registered for another person (1001)"}
		for i, w := range want {
			if rep.Problems[i].String() != w {
				t.Errorf("problem %d = %q, want %q", i, rep.Problems[i].String(), w)
			}
		}
		if _, total, _ := db.People(ctx, admin, store.PeopleQuery{}); total != 2 {
			t.Fatalf("all-or-nothing broken: %d people", total)
		}
		rep, err = db.ImportPeople(ctx, admin, o["S1"].ID, res, true)
		if err != nil || rep.Imported != 1 || rep.Invalid != 2 {
			t.Fatalf("skip invalid: %+v %v", rep, err)
		}
		if !strings.HasSuffix(rep.String(), "imported 1, updated 0, invalid 2\n") {
			t.Fatalf("report: %s", rep)
		}
	})
}

// reasonsOn recomputes a person's status as of today and returns the codes
// of its reasons.
func reasonsOn(t *testing.T, db *store.DB, personID int64, today string) []string {
	t.Helper()
	ctx := context.Background()
	if err := db.RefreshStatus(ctx, personID, today); err != nil {
		t.Fatal(err)
	}
	st, err := db.PersonStatus(ctx, domain.System(), personID, "en")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range st.Reasons {
		out = append(out, r.Code)
	}
	return out
}
