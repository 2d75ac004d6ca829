package cli

import (
	"context"
	"fmt"

	"epiguard/internal/domain"
)

// orgAdd creates a unit from the command line. A new installation needs it
// for its top unit, before any account exists to use the web UI with.
func (e *env) orgAdd(ctx context.Context, args []string) error {
	fs := e.flagSet("org add")
	dsn := e.dbFlag(fs)
	code := fs.String("code", "", "unit code, unique in the installation (required)")
	name := fs.String("name", "", "unit name (required)")
	kind := fs.String("kind", "", "district, school, class, street, community, … (required)")
	parent := fs.String("parent", "", "code of the parent unit; empty for a top unit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *code == "" || *name == "" || *kind == "" {
		return usagef("usage: epiguard org add --code CODE --name NAME --kind KIND [--parent CODE]")
	}
	db, _, err := e.open(ctx, *dsn, mayCreate)
	if err != nil {
		return err
	}
	defer db.Close()
	o := &domain.Org{Code: *code, Name: *name, Kind: domain.OrgKind(*kind), Responsible: []domain.Responsible{}}
	if *parent != "" {
		p, err := db.OrgByCode(ctx, domain.System(), *parent)
		if err != nil {
			return usagef("--parent: no unit with code %q", *parent)
		}
		o.ParentID = &p.ID
	}
	if err := db.CreateOrg(ctx, domain.System(), o); err != nil {
		return err
	}
	db.Audit(ctx, domain.AuditEntry{Username: "cli", Action: domain.AuditAdmin, Target: fmt.Sprintf("org:%d", o.ID), Detail: "created " + o.Code + " from the command line"})
	fmt.Fprintf(e.stdout, "created %s %s (%s)\n", o.Kind, o.Code, o.Name)
	return nil
}
