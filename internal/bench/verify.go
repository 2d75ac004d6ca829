package bench

import (
	"context"
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite" // the same pure-Go driver the store uses
)

// CountCheckins counts the check-in rows of a SQLite database file. It
// opens the file read-only on a connection of its own, apart from the
// store that wrote it, so it sees only what was committed to the file.
func CountCheckins(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, fmt.Errorf("count check-ins: %w", err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM checkins`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count check-ins: %w", err)
	}
	return n, nil
}
