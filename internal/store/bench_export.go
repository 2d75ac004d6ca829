package store

import (
	"context"
	"fmt"
	"time"
)

// GenerateCheckinsForBenchmark fills the check-ins of every person for
// days consecutive days from start, inside the database, with a
// deterministic sprinkling of fevers and GI symptoms. It exists for the
// completion-summary benchmark (10 million rows would take far longer
// through RecordCheckin) and is not used by the product.
func (db *DB) GenerateCheckinsForBenchmark(ctx context.Context, start string, days int) error {
	first, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return err
	}
	now := db.now()
	for d := 0; d < days; d++ {
		date := first.AddDate(0, 0, d).Format(time.DateOnly)
		// One statement per day keeps each transaction moderate in size.
		_, err := db.write.ExecContext(ctx, `INSERT INTO checkins (person_id, date, slot, temperature_c, symptoms, syndromes,
			absent, source, revision, created_at, updated_at)
			SELECT p.id, $1, 'morning',
				CASE WHEN (p.id + $2) % 97 = 0 THEN 38.2 ELSE 36.5 END,
				CASE WHEN (p.id + $2) % 97 = 0 THEN ',cough,' WHEN (p.id * 7 + $2) % 211 = 0 THEN ',vomiting,' ELSE '' END,
				CASE WHEN (p.id + $2) % 97 = 0 THEN ',fever,ili,respiratory,' WHEN (p.id * 7 + $2) % 211 = 0 THEN ',gi,' ELSE '' END,
				(p.id + $2) % 53 = 0, 'api', 1, $3, $3
			FROM people p WHERE (p.id * 3 + $2) % 33 <> 0`, date, d, now)
		if err != nil {
			return fmt.Errorf("generate check-ins for %s: %w", date, err)
		}
	}
	return nil
}
