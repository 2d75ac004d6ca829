package store_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"epiguard/internal/bench"
	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/testdb"
)

// BenchmarkRecordCheckin drives RecordCheckin the way `epiguard bench
// checkin` drives the HTTP API (SPEC §7.1), minus HTTP: 32 concurrent
// callers, each check-in a new (person, date, slot) of a school of 20,000
// people, on a migrated SQLite store with durable commits. It is the
// store-level half of that benchmark, for profiling the single writer:
//
//	go test ./internal/store/ -run '^$' -bench RecordCheckin -benchtime 20000x -cpuprofile /tmp/checkin.prof
//
// It reports check-ins per second, the p50 and p99 latency of a call, and
// the process's CPU time per check-in.
func BenchmarkRecordCheckin(b *testing.B) {
	const people, perClass, callers = 20_000, 50, 32
	ctx := context.Background()
	db := openB(b, testdb.Engine{Name: "sqlite", DSN: testdb.SQLite})
	s := bench.NewSchool("BENCH", people, perClass)
	sys := domain.System()
	if err := db.CreateOrgs(ctx, sys, s.Orgs); err != nil {
		b.Fatal(err)
	}
	school := s.Orgs[0]
	if rep, err := db.ImportPeople(ctx, sys, school.ID, &roster.Result{Rows: s.Rows, Total: len(s.Rows)}, false); err != nil || !rep.Written {
		b.Fatalf("import: %v %v", rep, err)
	}
	ids, err := db.PeopleIDs(ctx, school.ID)
	if err != nil || len(ids) != people {
		b.Fatalf("people: %d %v", len(ids), err)
	}
	loc := time.FixedZone("CST", 8*3600)
	dates := bench.Dates(time.Now(), loc, 7)
	rules := domain.CheckinRules{Today: dates[0], MaxAgeDays: 7}
	// The health account of the school, as the HTTP benchmark's token.
	sc := domain.Scope{OrgID: school.ID, Path: school.Path, Role: domain.RoleHealth, PersonLevel: true}
	walk := bench.NewCheckins(ids, dates, "b", false)
	if int64(b.N) > walk.Capacity() {
		b.Fatalf("b.N %d is more than the %d check-ins the school can take", b.N, walk.Capacity())
	}

	var mu sync.Mutex
	var took []time.Duration
	b.ReportAllocs()
	b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	cpu0, _ := bench.ProcessCPU()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			in, err := walk.NextCheckin()
			if err != nil {
				b.Error(err)
				return
			}
			c := &domain.Checkin{PersonID: in.PersonID, Date: in.Date, Slot: in.Slot, TemperatureC: in.TemperatureC,
				Symptoms: in.Symptoms, OnCampus: in.OnCampus, RegionCode: in.RegionCode, Address: in.Address,
				Note: in.Note, Source: in.Source, ClientID: in.ClientID, SubmittedBy: "bench-health"}
			t0 := time.Now()
			if _, err := db.RecordCheckin(ctx, sc, c, rules, domain.DefaultThresholds, "zh-CN"); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu1, _ := bench.ProcessCPU()
	b.StopTimer()
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	b.ReportMetric(float64(len(took))/elapsed.Seconds(), "checkins/s")
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds())/1000, "p99-ms")
	// CPU per check-in hardly depends on what else the machine runs,
	// unlike the rate and the latencies.
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(len(took)), "cpu-µs/op")
}
