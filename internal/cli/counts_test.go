package cli_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"epiguard/internal/domain"
	"epiguard/internal/secret"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

// counts rebuild brings back the surveillance counts a bulk load or a
// restore left behind.
func TestCountsRebuild(t *testing.T) {
	dsn := testdb.SQLite(t)
	if r := run(t, "", "org", "add", "--db", dsn, "--code", "S", "--name", "学校", "--kind", "school"); r.code != 0 {
		t.Fatalf("org add: %+v", r)
	}
	// The key file run gave the CLI; the test opens the same database with it.
	ctx := context.Background()
	key, err := secret.LoadOrCreateKey(testKeyFile(t))
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(key)
	db, err := store.Open(ctx, dsn, store.Options{Box: box})
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.OrgByCode(ctx, domain.System(), "S")
	if err != nil {
		t.Fatal(err)
	}
	p := &domain.Person{ExternalID: "x", Name: "学生", OrgID: s.ID}
	if err := db.CreatePerson(ctx, domain.System(), p); err != nil {
		t.Fatal(err)
	}
	temp := 38.5
	c := &domain.Checkin{PersonID: p.ID, Date: "2026-11-25", Slot: "morning", TemperatureC: &temp, Symptoms: []string{"cough"}}
	if err := db.ImportCheckins(ctx, domain.System(), []*domain.Checkin{c}, domain.DefaultThresholds); err != nil {
		t.Fatal(err)
	}
	if cs, _ := db.SubjectSeries(ctx, s.ID, "2026-11-25", "2026-11-25"); len(cs) != 0 {
		t.Fatalf("bulk import counted already: %v", cs)
	}
	db.Close()
	if r := run(t, "", "counts", "rebuild", "--db", dsn); r.code != 0 || !strings.Contains(r.stdout, "rebuilt") {
		t.Fatalf("counts rebuild: %+v", r)
	}
	db, err = store.Open(ctx, dsn, store.Options{Box: box})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs, err := db.SubjectSeries(ctx, s.ID, "2026-11-25", "2026-11-25")
	if err != nil || len(cs) != 3 { // fever, ili, respiratory
		t.Fatalf("after rebuild: %+v %v", cs, err)
	}
	if r := run(t, "", "counts"); r.code != 2 {
		t.Fatalf("counts without rebuild: %d", r.code)
	}
}

// testKeyFile is the key file run gives the CLI in this test.
func testKeyFile(t *testing.T) string { return os.Getenv("TEST_KEY_FILE_" + t.Name()) }
