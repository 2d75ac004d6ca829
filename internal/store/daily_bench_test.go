package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/secret"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

// benchSchool is SPEC §7.1's completion-summary case: a school of 50,000
// people in 1,000 classes with about 10 million check-in rows.
var benchSchool = store.BenchSchool{Grades: 20, Classes: 50, PerClass: 50, Start: "2026-03-02", Days: 200}

// benchFixtureVersion names the generated data: change it when
// GenerateBenchmarkSchool changes, so that the cached SQLite database is
// generated again.
const benchFixtureVersion = "daily-1"

// BenchmarkDailySummary measures SPEC §7.1's target for the completion
// summary, p99 ≤ 20 ms, for the school (one entry per grade), a grade (one
// per class) and a class, over random dates of the generated period, on
// each engine. It reports p50_ms and p99_ms of single calls.
//
// The SQLite database is generated once, in about 5 minutes, and kept in
// os.TempDir (2 GB; see sqliteBenchDB); PostgreSQL's is generated in every
// run, in about 3 minutes, in a throwaway database. Run it with
//
//	go test ./internal/store/ -run XXX -bench DailySummary -benchtime 200x -v
//
// (-v shows the setup's steps and their times).
func BenchmarkDailySummary(b *testing.B) {
	if testing.Short() {
		b.Skip("skipped in -short mode: needs a generated school of 50,000 people and 10 million check-ins (minutes of setup)")
	}
	for _, e := range testdb.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			var db *store.DB
			var school *domain.Org
			if e.Name == store.SQLite {
				db, school = sqliteBenchDB(b)
			} else {
				t0 := time.Now()
				db = testdb.Store(b, e.DSN(b))
				var err error
				if school, err = db.GenerateBenchmarkSchool(ctx, benchSchool, b.Logf); err != nil {
					b.Fatal(err)
				}
				b.Logf("%s: generated %s in %s", e.Name, benchSchoolText(), time.Since(t0).Round(time.Second))
			}
			// A grade and a class from the middle of the school.
			sum, err := db.DailySummary(ctx, domain.System(), school.ID, benchSchool.Start, "")
			if err != nil {
				b.Fatal(err)
			}
			grade := sum.Children[len(sum.Children)/2]
			gsum, err := db.DailySummary(ctx, domain.System(), grade.OrgID, benchSchool.Start, "")
			if err != nil {
				b.Fatal(err)
			}
			class := gsum.Children[len(gsum.Children)/2]
			levels := []struct {
				name               string
				id                 int64
				expected, children int
			}{
				{"school", school.ID, benchSchool.People(), benchSchool.Grades},
				{"grade", grade.OrgID, benchSchool.Classes * benchSchool.PerClass, benchSchool.Classes},
				{"class", class.OrgID, benchSchool.PerClass, 0},
			}
			start, _ := time.Parse(time.DateOnly, benchSchool.Start)
			for _, l := range levels {
				b.Run(l.name, func(b *testing.B) {
					rng := rand.New(rand.NewPCG(1, uint64(l.id)))
					var took []time.Duration
					for b.Loop() {
						date := start.AddDate(0, 0, rng.IntN(benchSchool.Days)).Format(time.DateOnly)
						t := time.Now()
						d, err := db.DailySummary(ctx, domain.System(), l.id, date, "")
						took = append(took, time.Since(t))
						if err != nil {
							b.Fatal(err)
						}
						if d.Expected != l.expected || len(d.Children) != l.children || d.CheckedIn == 0 {
							b.Fatalf("%s on %s: expected %d in %d children, got %d in %d, %d checked in",
								l.name, date, l.expected, l.children, d.Expected, len(d.Children), d.CheckedIn)
						}
					}
					slices.Sort(took)
					b.ReportMetric(ms(took[len(took)/2]), "p50_ms")
					b.ReportMetric(ms(took[min(len(took)-1, len(took)*99/100)]), "p99_ms")
				})
			}
		})
	}
}

// TestDailySummaryMatchesRecount checks the summary the benchmark times
// against a count straight from the raw rows, on a small school made by
// the benchmark's generator: every unit, date and slot.
func TestDailySummaryMatchesRecount(t *testing.T) {
	small := store.BenchSchool{Grades: 2, Classes: 3, PerClass: 30, Start: "2026-03-02", Days: 12}
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school, err := db.GenerateBenchmarkSchool(ctx, small, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		// A second absence overlapping a generated one, registered from
		// the day before it began (a parent's report beside the
		// teacher's): the person still counts once. One covering a day
		// already covered is refused.
		start, _ := time.Parse(time.DateOnly, small.Start)
		third := start.AddDate(0, 0, 3).Format(time.DateOnly)
		abs, err := db.Absences(ctx, domain.System(), store.AbsenceQuery{OrgID: school.ID, Date: third})
		if err != nil || len(abs) == 0 {
			t.Fatalf("absences on %s: %d, %v", third, len(abs), err)
		}
		same := &domain.Absence{PersonID: abs[0].PersonID, StartDate: third, Symptoms: []string{"fever"}}
		if err := db.CreateAbsence(ctx, domain.System(), same, third); domain.ErrorCode(err) != domain.EConflict {
			t.Fatalf("second absence covering %s: %v, want %s", third, err, domain.EConflict)
		}
		first, _ := time.Parse(time.DateOnly, abs[0].StartDate)
		before := first.AddDate(0, 0, -1).Format(time.DateOnly)
		again := &domain.Absence{PersonID: abs[0].PersonID, StartDate: before, Symptoms: []string{"fever"}}
		if err := db.CreateAbsence(ctx, domain.System(), again, third); err != nil {
			t.Fatal(err)
		}
		units := []int64{school.ID}
		for i := 0; i < len(units); i++ {
			kids, err := db.Orgs(ctx, domain.System(), units[i])
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range kids {
				units = append(units, k.ID)
			}
		}
		ill := 0
		// One day before the period and one after it, too.
		for d := -1; d <= small.Days; d++ {
			date := start.AddDate(0, 0, d).Format(time.DateOnly)
			for _, slot := range []string{"", "morning", "noon", "evening"} {
				for _, id := range units {
					got, err := db.DailySummary(ctx, domain.System(), id, date, slot)
					if err != nil {
						t.Fatal(err)
					}
					want, err := db.DailyByRecount(ctx, id, date, slot)
					if err != nil {
						t.Fatal(err)
					}
					if g, w := mustJSON(got), mustJSON(want); g != w {
						t.Fatalf("unit %d on %s, slot %q:\n got %s\nwant %s", id, date, slot, g, w)
					}
					if id == school.ID && slot == "" {
						ill += got.AbsentIll
					}
				}
			}
		}
		if ill == 0 {
			t.Error("the generated school has no illness absences")
		}
	})
}

// TestDailySummaryAfterMoves checks the summary where records outnumber
// people: people who move after checking in leave their records counted
// in the old unit, whose missing count must stay per unit and never below
// zero, for every unit and for its parents, whose entries are the sums of
// their children's.
func TestDailySummaryAfterMoves(t *testing.T) {
	small := store.BenchSchool{Grades: 2, Classes: 2, PerClass: 20, Start: "2026-03-02", Days: 6}
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school, err := db.GenerateBenchmarkSchool(ctx, small, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := db.DailySummary(ctx, domain.System(), school.ID, small.Start, "")
		if err != nil {
			t.Fatal(err)
		}
		grade, err := db.DailySummary(ctx, domain.System(), sum.Children[0].OrgID, small.Start, "")
		if err != nil {
			t.Fatal(err)
		}
		from, to := grade.Children[0].OrgID, grade.Children[1].OrgID
		// All but two of the first class move to the second, ill or not.
		people, _, err := db.People(ctx, domain.System(), store.PeopleQuery{OrgID: from, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range people[2:] {
			if _, err := db.UpdatePerson(ctx, domain.System(), p.ID, store.PersonUpdate{OrgID: &to}); err != nil {
				t.Fatal(err)
			}
		}
		start, _ := time.Parse(time.DateOnly, small.Start)
		for d := range small.Days {
			date := start.AddDate(0, 0, d).Format(time.DateOnly)
			for _, slot := range []string{"", "morning"} {
				for _, id := range []int64{school.ID, grade.OrgID} {
					got, err := db.DailySummary(ctx, domain.System(), id, date, slot)
					if err != nil {
						t.Fatal(err)
					}
					sum := &store.DailyFigures{Abnormal: map[domain.Syndrome]int{}}
					for _, c := range got.Children {
						kid, err := db.DailySummary(ctx, domain.System(), c.OrgID, date, slot)
						if err != nil {
							t.Fatal(err)
						}
						if g, w := mustJSON(c), mustJSON(&kid.DailyFigures); g != w {
							t.Fatalf("unit %d on %s, slot %q, entry of child %d:\n got %s\nwant %s", id, date, slot, c.OrgID, g, w)
						}
						sum.Expected += c.Expected
						sum.CheckedIn += c.CheckedIn
						sum.Missing += c.Missing
						sum.Absent += c.Absent
						sum.AbsentIll += c.AbsentIll
						if c.Missing < 0 || c.Absent < 0 {
							t.Fatalf("unit %d on %s: negative counts %+v", c.OrgID, date, c)
						}
					}
					if got.Expected != sum.Expected || got.CheckedIn != sum.CheckedIn || got.Missing != sum.Missing ||
						got.Absent != sum.Absent || got.AbsentIll != sum.AbsentIll {
						t.Fatalf("unit %d on %s, slot %q: %+v, its children add up to %+v", id, date, slot, got, sum)
					}
				}
				// The first class keeps the records of 20 people for 2.
				c, err := db.DailySummary(ctx, domain.System(), from, date, slot)
				if err != nil {
					t.Fatal(err)
				}
				if c.Expected != 2 || c.Missing != 0 {
					t.Fatalf("class %d on %s, slot %q: expected %d, missing %d; want 2 and 0", from, date, slot, c.Expected, c.Missing)
				}
			}
		}
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func benchSchoolText() string {
	return fmt.Sprintf("%d people, %d days of check-ins", benchSchool.People(), benchSchool.Days)
}

// sqliteBenchDB opens the generated SQLite benchmark database, generating
// it first if os.TempDir lacks it. The file is named for benchFixtureVersion
// and benchSchool; other versions' files are removed when a new one is
// made. Migrations added since it was made are applied on opening, as on
// any installation. It is built under a temporary name and renamed when
// complete, so an interrupted run leaves no half-built database behind.
func sqliteBenchDB(b *testing.B) (*store.DB, *domain.Org) {
	b.Helper()
	ctx := context.Background()
	key := sha256.Sum256(fmt.Appendf(nil, "%s %+v", benchFixtureVersion, benchSchool))
	prefix := filepath.Join(os.TempDir(), "epiguard-bench-daily-")
	path := prefix + hex.EncodeToString(key[:8]) + ".db"
	if _, err := os.Stat(path); err != nil {
		old, _ := filepath.Glob(prefix + "*")
		for _, f := range old {
			os.Remove(f)
		}
		t0 := time.Now()
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		if err := buildSQLiteBenchDB(ctx, tmp, b.Logf); err != nil {
			removeSQLite(tmp)
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			removeSQLite(tmp)
			b.Fatal(err)
		}
		b.Logf("sqlite: generated %s in %s, cached in %s", benchSchoolText(), time.Since(t0).Round(time.Second), path)
	} else {
		b.Logf("sqlite: using the cached %s (delete it to generate it again)", path)
	}
	db := testdb.Store(b, "sqlite:"+path)
	school, err := db.OrgByCode(ctx, domain.System(), "BENCH")
	if err != nil {
		b.Fatal(err)
	}
	return db, school
}

// buildSQLiteBenchDB generates the benchmark database in a new file and
// closes it, which checkpoints the WAL into the file.
func buildSQLiteBenchDB(ctx context.Context, path string, logf func(string, ...any)) error {
	box, err := secret.NewBox(make([]byte, secret.KeySize))
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{Box: box})
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	if _, err := db.GenerateBenchmarkSchool(ctx, benchSchool, logf); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// removeSQLite removes a database file and its WAL files.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
