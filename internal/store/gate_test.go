package store_test

import (
	"context"
	"testing"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

// TestGateLogDayInZone checks that the gate log files a scan under its
// date in the installation's time zone: at 03:57 in Shanghai it is still
// the previous day in UTC, and SQLite compares stored times as text.
func TestGateLogDayInZone(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cst := time.FixedZone("CST", 8*3600)
			now := time.Date(2026, 11, 28, 19, 57, 0, 0, time.UTC) // 03:57 on the 29th in Shanghai
			db := testdb.StoreWith(t, e.DSN(t), store.Options{Location: cst, Now: func() time.Time { return now }})
			school := &domain.Org{Kind: "school", Code: "S", Name: "S"}
			if err := db.CreateOrg(ctx, domain.System(), school); err != nil {
				t.Fatal(err)
			}
			p := &domain.Person{ExternalID: "p", Name: "p", OrgID: school.ID}
			if err := db.CreatePerson(ctx, domain.System(), p); err != nil {
				t.Fatal(err)
			}
			scan := &domain.GateScan{OrgID: school.ID, Gate: "东门", PersonID: &p.ID, Method: "external_id", Decision: "allow", Status: "green", Guard: "guard"}
			if err := db.RecordGateScan(ctx, scan, "", time.Time{}); err != nil {
				t.Fatal(err)
			}
			sc := domain.Scope{OrgID: school.ID, Path: school.Path, Role: domain.RoleGuard, PersonLevel: true}
			for date, want := range map[string]int{"2026-11-28": 0, "2026-11-29": 1} {
				log, err := db.GateLog(ctx, sc, date, cst, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(log) != want {
					t.Errorf("gate log of %s: %d scans, want %d", date, len(log), want)
				}
			}
		})
	}
}
