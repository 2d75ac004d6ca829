package store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/testdb"
)

// rosterCSV builds a roster of n students over classes C0..C49 with
// identity numbers, phones and guardians (siblings share a guardian).
func rosterCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("学号,姓名,类别,班级编码,性别,出生日期,身份证号,手机号,监护人,监护人电话,标签\n")
	for i := 0; i < n; i++ {
		birth := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%2000)
		first17 := fmt.Sprintf("110105%s%03d", birth.Format("20060102"), (i/2000)%1000)
		id := first17 + string(domain.IDNumberCheckChar(first17))
		gender := "男"
		if i%2 == 1 {
			gender = "女"
		}
		fmt.Fprintf(&b, "S%07d,学生%d,学生,C%d,%s,%s,%s,139%08d,家长%d,138%08d,\n",
			i, i, i%50, gender, birth.Format("2006-01-02"), id, i, i/2, i/2)
	}
	return b.Bytes()
}

// BenchmarkImport100k measures SPEC's roster import target: 100,000 rows
// parsed, validated and written in one transaction (target ≤ 10 s).
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	data := rosterCSV(n)
	for _, e := range testdb.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := openB(b, e)
				ctx := context.Background()
				school := &domain.Org{Kind: "school", Code: "S", Name: "学校"}
				if err := db.CreateOrg(ctx, domain.System(), school); err != nil {
					b.Fatal(err)
				}
				for c := 0; c < 50; c++ {
					o := &domain.Org{Kind: "class", Code: fmt.Sprintf("C%d", c), Name: fmt.Sprintf("%d班", c), ParentID: &school.ID}
					if err := db.CreateOrg(ctx, domain.System(), o); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				res, err := roster.Parse(bytes.NewReader(data), "big.csv")
				if err != nil {
					b.Fatal(err)
				}
				rep, err := db.ImportPeople(ctx, domain.System(), school.ID, res, false)
				if err != nil || rep.Imported != n {
					b.Fatalf("import: %v %+v", err, rep.Problems[:min(3, len(rep.Problems))])
				}
				b.StopTimer()
				// Re-importing the same file changes nothing.
				t0 := time.Now()
				res, _ = roster.Parse(bytes.NewReader(data), "big.csv")
				rep, err = db.ImportPeople(ctx, domain.System(), school.ID, res, false)
				if err != nil || rep.Imported != 0 || rep.Updated != 0 {
					b.Fatalf("re-import: %v %s", err, rep.Summary())
				}
				b.ReportMetric(time.Since(t0).Seconds(), "reimport-s")
				b.StartTimer()
			}
		})
	}
}
