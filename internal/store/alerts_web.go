package store

import (
	"context"
	"fmt"

	"epiguard/internal/domain"
)

// AlertAssignees returns the accounts an alert in the scope may be
// assigned to: the enabled health officers and administrators whose unit
// lies in the scope, by name. They are the roles that move alerts on;
// ChangeAlert itself accepts any enabled account in the scope, so the list
// is a choice of the screens, not a rule of the data.
func (db *DB) AlertAssignees(ctx context.Context, sc domain.Scope) ([]*domain.Account, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts a JOIN orgs o ON o.id = a.org_id
		WHERE NOT a.disabled AND a.role IN ('health', 'admin') AND o.path >= $1 AND o.path < $2
		ORDER BY o.path, COALESCE(NULLIF(a.display_name, ''), a.username)`, sc.Path, domain.UpperBound(sc.Path))
	if err != nil {
		return nil, fmt.Errorf("alert assignees: %w", err)
	}
	defer rows.Close()
	out := []*domain.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("alert assignees: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
