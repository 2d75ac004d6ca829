package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"epiguard/internal/domain"
)

const orgColumns = `o.id, o.parent_id, o.kind, o.code, o.name, o.path, o.depth, o.responsible`

func scanOrg(row interface{ Scan(...any) error }) (*domain.Org, error) {
	var o domain.Org
	var parent sql.NullInt64
	var resp string
	if err := row.Scan(&o.ID, &parent, &o.Kind, &o.Code, &o.Name, &o.Path, &o.Depth, &resp); err != nil {
		return nil, err
	}
	if parent.Valid {
		o.ParentID = &parent.Int64
	}
	if err := json.Unmarshal([]byte(resp), &o.Responsible); err != nil {
		return nil, fmt.Errorf("org %d: responsible: %w", o.ID, err)
	}
	if o.Responsible == nil {
		o.Responsible = []domain.Responsible{}
	}
	return &o, nil
}

// CreateOrg adds a unit under o.ParentID (nil for a root, which only the
// system scope may create). The parent must lie in the scope.
func (db *DB) CreateOrg(ctx context.Context, sc domain.Scope, o *domain.Org) error {
	return db.CreateOrgs(ctx, sc, []*domain.Org{o})
}

// CreateOrgs adds units in one transaction, all or none. A unit's ParentID
// may point at an existing unit in the scope or at the ID field of a unit
// earlier in the list, so a whole tree can be created parents first.
func (db *DB) CreateOrgs(ctx context.Context, sc domain.Scope, orgs []*domain.Org) error {
	paths := map[int64]string{} // ids created here and parents looked up
	depths := map[int64]int{}
	pending := map[*int64]bool{}
	for _, o := range orgs {
		if err := o.Validate(); err != nil {
			return err
		}
		switch {
		case o.ParentID == nil && sc.Path != "/":
			return fieldErr("parent_id", "required")
		case o.ParentID == nil, pending[o.ParentID]:
		default:
			if _, ok := paths[*o.ParentID]; ok {
				break
			}
			parent, err := db.Org(ctx, sc, *o.ParentID)
			if err != nil {
				if domain.ErrorCode(err) == domain.ENotFound {
					return fieldErr("parent_id", "no such unit in your scope")
				}
				return err
			}
			paths[parent.ID], depths[parent.ID] = parent.Path, parent.Depth
		}
		pending[&o.ID] = true
	}
	now := db.now()
	var conflict string
	err := db.transact(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO orgs (parent_id, kind, code, name, path, depth, responsible, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`)
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE orgs SET path = $1 WHERE id = $2`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, o := range orgs {
			parentPath, depth := "/", 0
			if o.ParentID != nil {
				parentPath, depth = paths[*o.ParentID], depths[*o.ParentID]+1
			}
			if o.Responsible == nil {
				o.Responsible = []domain.Responsible{}
			}
			resp, _ := json.Marshal(o.Responsible)
			// The path needs the new id; a placeholder that cannot clash
			// with a real path ("#code") holds the unique slot until the
			// update.
			if err := ins.QueryRowContext(ctx, o.ParentID, o.Kind, o.Code, o.Name, "#"+o.Code, depth, string(resp), now).Scan(&o.ID); err != nil {
				if isUniqueViolation(err) {
					conflict = o.Code
				}
				return err
			}
			o.Path, o.Depth = parentPath+strconv.FormatInt(o.ID, 10)+"/", depth
			paths[o.ID], depths[o.ID] = o.Path, depth
			if _, err := upd.ExecContext(ctx, o.Path, o.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if conflict != "" {
		return &domain.Error{Code: domain.EConflict, Message: "code already in use",
			Fields: []domain.FieldError{{Field: "code", Message: fmt.Sprintf("%q is already in use", conflict)}}}
	}
	if err != nil {
		return fmt.Errorf("create org: %w", err)
	}
	return nil
}

// Org returns the unit with the given id; ENotFound if it does not exist
// or lies outside the scope.
func (db *DB) Org(ctx context.Context, sc domain.Scope, id int64) (*domain.Org, error) {
	o, err := scanOrg(db.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.Contains(o.Path)) {
		return nil, domain.Errorf(domain.ENotFound, "org unit %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("org %d: %w", id, err)
	}
	return o, nil
}

// OrgByCode returns the unit with the given code; ENotFound if it does not
// exist or lies outside the scope.
func (db *DB) OrgByCode(ctx context.Context, sc domain.Scope, code string) (*domain.Org, error) {
	o, err := scanOrg(db.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.Contains(o.Path)) {
		return nil, domain.Errorf(domain.ENotFound, "org unit %q not found", code)
	}
	if err != nil {
		return nil, fmt.Errorf("org %q: %w", code, err)
	}
	return o, nil
}

// Orgs lists the children of parent (the scope's own unit when parent is
// 0), each with its number of child units and of people below it.
func (db *DB) Orgs(ctx context.Context, sc domain.Scope, parent int64) ([]*domain.Org, error) {
	var rows *sql.Rows
	var err error
	if parent == 0 {
		if sc.Path == "/" {
			rows, err = db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.parent_id IS NULL ORDER BY o.id`)
		} else {
			rows, err = db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.id = $1`, sc.OrgID)
		}
	} else {
		p, perr := db.Org(ctx, sc, parent)
		if perr != nil {
			return nil, perr
		}
		rows, err = db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.parent_id = $1 ORDER BY o.code`, p.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	var out []*domain.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list orgs: %w", err)
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	for _, o := range out {
		if err := db.CountBelow(ctx, o); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountBelow fills in the number of child units of o and of people whose
// primary unit lies in o's subtree.
func (db *DB) CountBelow(ctx context.Context, o *domain.Org) error {
	if err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM orgs c WHERE c.parent_id = $1),
		(SELECT COUNT(*) FROM people p JOIN orgs po ON po.id = p.org_id WHERE po.path >= $2 AND po.path < $3)`,
		o.ID, o.Path, domain.UpperBound(o.Path)).Scan(&o.Children, &o.People); err != nil {
		return fmt.Errorf("count below org %d: %w", o.ID, err)
	}
	return nil
}

// OrgTree returns every unit of the scope's subtree in path order, for the
// tree view and for code look-ups during an import.
func (db *DB) OrgTree(ctx context.Context, sc domain.Scope) ([]*domain.Org, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.path >= $1 AND o.path < $2 ORDER BY o.depth, o.code`,
		sc.Path, domain.UpperBound(sc.Path))
	if err != nil {
		return nil, fmt.Errorf("org tree: %w", err)
	}
	defer rows.Close()
	var out []*domain.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("org tree: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OrgUpdate is a change to a unit; nil fields stay as they are.
type OrgUpdate struct {
	Name        *string               `json:"name"`
	Code        *string               `json:"code"`
	ParentID    *int64                `json:"parent_id"`
	Responsible *[]domain.Responsible `json:"responsible"`
}

// UpdateOrg renames a unit, changes its code or responsible persons, or
// moves it (with its whole subtree) under another unit of the scope.
func (db *DB) UpdateOrg(ctx context.Context, sc domain.Scope, id int64, u OrgUpdate) (*domain.Org, error) {
	o, err := db.Org(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if u.Name != nil {
		o.Name = *u.Name
	}
	if u.Code != nil {
		o.Code = *u.Code
	}
	if u.Responsible != nil {
		o.Responsible = *u.Responsible
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	newPath := o.Path
	if u.ParentID != nil && (o.ParentID == nil || *u.ParentID != *o.ParentID) {
		if o.ID == sc.OrgID || o.ParentID == nil {
			return nil, &domain.Error{Code: domain.EInvalid, Message: "invalid input",
				Fields: []domain.FieldError{{Field: "parent_id", Message: "the top unit of your scope cannot be moved"}}}
		}
		np, err := db.Org(ctx, sc, *u.ParentID)
		if err != nil {
			return nil, &domain.Error{Code: domain.EInvalid, Message: "invalid input",
				Fields: []domain.FieldError{{Field: "parent_id", Message: "no such unit in your scope"}}}
		}
		if (domain.Scope{Path: o.Path}).Contains(np.Path) {
			return nil, &domain.Error{Code: domain.EInvalid, Message: "invalid input",
				Fields: []domain.FieldError{{Field: "parent_id", Message: "a unit cannot move below itself"}}}
		}
		newPath = np.Path + strconv.FormatInt(o.ID, 10) + "/"
		o.ParentID = &np.ID
	}
	resp, _ := json.Marshal(o.Responsible)
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE orgs SET name = $1, code = $2, responsible = $3, parent_id = $4, updated_at = $5 WHERE id = $6`,
			o.Name, o.Code, string(resp), o.ParentID, db.now(), o.ID); err != nil {
			return err
		}
		if newPath == o.Path {
			return nil
		}
		// Re-root the subtree: every path below keeps its suffix.
		_, err := tx.ExecContext(ctx, `UPDATE orgs SET path = $1 || SUBSTR(path, $2),
			depth = depth + $3 WHERE path >= $4 AND path < $5`,
			newPath, len(o.Path)+1, depthOf(newPath)-depthOf(o.Path), o.Path, domain.UpperBound(o.Path))
		return err
	})
	if isUniqueViolation(err) {
		return nil, &domain.Error{Code: domain.EConflict, Message: "code already in use",
			Fields: []domain.FieldError{{Field: "code", Message: fmt.Sprintf("%q is already in use", o.Code)}}}
	}
	if err != nil {
		return nil, fmt.Errorf("update org %d: %w", id, err)
	}
	return db.Org(ctx, sc, id)
}

// depthOf counts the units on a path: "/1/5/" is depth 1 (the root is 0).
func depthOf(path string) int {
	n := 0
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			n++
		}
	}
	return n - 2
}

// DeleteOrg removes an empty unit: one without child units, people or accounts.
func (db *DB) DeleteOrg(ctx context.Context, sc domain.Scope, id int64) error {
	o, err := db.Org(ctx, sc, id)
	if err != nil {
		return err
	}
	if o.ID == sc.OrgID {
		return domain.Errorf(domain.EConflict, "the top unit of your scope cannot be deleted")
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM orgs WHERE parent_id = $1) + (SELECT COUNT(*) FROM people WHERE org_id = $1) +
			(SELECT COUNT(*) FROM memberships WHERE org_id = $1) + (SELECT COUNT(*) FROM accounts WHERE org_id = $1)`, id).Scan(&n); err != nil {
			return fmt.Errorf("delete org %d: %w", id, err)
		}
		if n > 0 {
			return domain.Errorf(domain.EConflict, "unit %s is not empty: move or delete its units, people and accounts first", o.Code)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM orgs WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete org %d: %w", id, err)
		}
		return nil
	})
}
