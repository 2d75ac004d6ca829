package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/testdb"
)

// BenchmarkDailySummary measures SPEC §7.1's completion summary target:
// a school of 50,000 people with 10 million check-in rows, p99 ≤ 20 ms.
// The rows are generated inside the database (a recursive CTE), so the
// setup takes a minute or two per engine.
func BenchmarkDailySummary(b *testing.B) {
	const (
		grades, classes, perClass = 20, 50, 50 // 50,000 people
		days                      = 200        // × 200 days = 10,000,000 rows
	)
	for _, e := range testdb.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			db := openB(b, e)
			school := &domain.Org{Kind: "school", Code: "S", Name: "大学校"}
			orgs := []*domain.Org{school}
			var classOrgs []*domain.Org
			for g := 0; g < grades; g++ {
				grade := &domain.Org{Kind: "grade", Code: fmt.Sprintf("G%02d", g), Name: fmt.Sprintf("%d年级", g+1), ParentID: &school.ID}
				orgs = append(orgs, grade)
				for c := 0; c < classes; c++ {
					class := &domain.Org{Kind: "class", Code: fmt.Sprintf("G%02dC%02d", g, c), Name: fmt.Sprintf("%d班", c+1), ParentID: &grade.ID}
					orgs = append(orgs, class)
					classOrgs = append(classOrgs, class)
				}
			}
			if err := db.CreateOrgs(ctx, domain.System(), orgs); err != nil {
				b.Fatal(err)
			}
			var rows []roster.Row
			for i, c := range classOrgs {
				for k := 0; k < perClass; k++ {
					rows = append(rows, roster.Row{ExternalID: fmt.Sprintf("X%03d%02d", i, k), Name: "学生", Kind: "student", OrgCode: c.Code})
				}
			}
			t0 := time.Now()
			if rep, err := db.ImportPeople(ctx, domain.System(), school.ID, &roster.Result{Rows: rows, Total: len(rows)}, false); err != nil || !rep.Written {
				b.Fatal(err)
			}
			if err := db.GenerateCheckinsForBenchmark(ctx, "2026-01-01", days); err != nil {
				b.Fatal(err)
			}
			if err := db.RebuildDailyCounts(ctx); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: setup (50,000 people, %d check-in rows) in %s", e.Name, grades*classes*perClass*days, time.Since(t0).Round(time.Second))
			start, _ := time.Parse(time.DateOnly, "2026-01-01")
			var took []time.Duration
			b.ResetTimer()
			i := 0
			for b.Loop() {
				date := start.AddDate(0, 0, i%days).Format(time.DateOnly)
				i++
				t := time.Now()
				d, err := db.DailySummary(ctx, domain.System(), school.ID, date, "")
				if err != nil || d.Expected != 50000 || len(d.Children) != grades {
					b.Fatalf("summary: %v %+v", err, d)
				}
				took = append(took, time.Since(t))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*50/100].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}
