package cli

import (
	"context"
	"fmt"
	"os"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
)

func (e *env) importPeople(ctx context.Context, args []string) error {
	fs := e.flagSet("import people")
	dsn := e.dbFlag(fs)
	org := fs.String("org", "", "code of the unit to import under (required)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows even if some are invalid")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 1 {
		return usagef("usage: epiguard import people --org CODE FILE [--skip-invalid]")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	defer f.Close()
	res, err := roster.Parse(f, pos[0])
	if err != nil {
		return usagef("%s: %s", pos[0], domain.ErrorMessage(err))
	}
	db, _, err := e.open(ctx, *dsn, mustExist)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := db.OrgByCode(ctx, domain.System(), *org)
	if err != nil {
		return usagef("--org: no unit with code %q", *org)
	}
	rep, err := db.ImportPeople(ctx, domain.System(), o.ID, res, *skip)
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, rep.String())
	db.Audit(ctx, domain.AuditEntry{Username: "cli", Action: domain.AuditImport, Target: "org:" + o.Code, Detail: pos[0] + ": " + rep.Summary()})
	if !rep.Written {
		return usagef("%d invalid rows: nothing was imported (fix them, or use --skip-invalid)", rep.Invalid)
	}
	return nil
}
