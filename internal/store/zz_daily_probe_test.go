package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/testdb"
)

func TestZZDailyProbe(t *testing.T) {
	ctx := context.Background()
	e := testdb.Engines()[0]
	db := openB(t, e)
	school := &domain.Org{Kind: "school", Code: "S", Name: "大学校"}
	orgs := []*domain.Org{school}
	var classOrgs []*domain.Org
	for g := 0; g < 20; g++ {
		grade := &domain.Org{Kind: "grade", Code: fmt.Sprintf("G%02d", g), Name: "g", ParentID: &school.ID}
		orgs = append(orgs, grade)
		for c := 0; c < 50; c++ {
			class := &domain.Org{Kind: "class", Code: fmt.Sprintf("G%02dC%02d", g, c), Name: "c", ParentID: &grade.ID}
			orgs = append(orgs, class)
			classOrgs = append(classOrgs, class)
		}
	}
	db.CreateOrgs(ctx, domain.System(), orgs)
	var rows []roster.Row
	for i, c := range classOrgs {
		for k := 0; k < 50; k++ {
			rows = append(rows, roster.Row{ExternalID: fmt.Sprintf("X%03d%02d", i, k), Name: "学生", Kind: "student", OrgCode: c.Code})
		}
	}
	db.ImportPeople(ctx, domain.System(), school.ID, &roster.Result{Rows: rows, Total: len(rows)}, false)
	db.GenerateCheckinsForBenchmark(ctx, "2026-01-01", 3)
	db.RebuildDailyCounts(ctx)
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		d, err := db.DailySummary(ctx, domain.System(), school.ID, "2026-01-02", "")
		t.Logf("summary %v %d %v", time.Since(t0), d.CheckedIn, err)
	}
}
