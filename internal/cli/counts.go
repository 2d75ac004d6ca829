package cli

import (
	"context"
	"fmt"
	"time"

	"epiguard/internal/domain"
)

// countsRebuild recomputes the per-unit counters (completion counts and
// surveillance counts) from the check-ins, absences and gate scans. The
// counters are kept as records arrive; this is for after a restore, a
// bulk load, or a change of unit memberships that should apply to the
// past.
func (e *env) countsRebuild(ctx context.Context, args []string) error {
	fs := e.flagSet("counts rebuild")
	dsn := e.dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, _, err := e.open(ctx, *dsn, mustExist)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.RebuildDailyCounts(ctx); err != nil {
		return err
	}
	if err := db.RebuildSurveillance(ctx, domain.DefaultThresholds); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuilt daily and surveillance counts in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
