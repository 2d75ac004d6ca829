// Package demo loads the demo data set of SPEC §6 into an empty database:
// one district with a boarding middle school, a primary school and a
// street of residents, and five accounts with the password "demo". The data
// is drawn from a generator with a fixed seed, so every load gives the same
// units, people, identity and phone numbers.
//
// The data set is built in memory first (plan.go) and then written through
// the store's ordinary paths: CreateOrg, ImportPeople (as a roster import
// would) and CreateAccount, so the demo exercises the same validation as
// real data. Its 60 school days of history are simulated the same way
// (simulate.go, from a seed of their own) and written day by day through
// ImportCheckins, CreateAbsence and UpdateAbsence (history.go).
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/store"
)

// Password is the password of every demo account.
const Password = "demo"

// settingKey marks a database that holds the demo accounts, so that serve
// can warn (SPEC §6): settingLoading from the first write of Seed, then
// settingLoaded once it has finished.
const (
	settingKey     = "demo"
	settingLoading = "loading"
	settingLoaded  = "1"
)

// State says how much of the demo data set a database holds.
type State int

const (
	// None: no demo data (an empty database, or real data).
	None State = iota
	// Partial: Seed started and did not finish, interrupted or failed. The
	// database holds part of the data set and perhaps the demo accounts;
	// the load cannot be resumed, only started again on an empty database.
	Partial
	// Loaded: the whole data set.
	Loaded
)

// Summary says what Seed loaded.
type Summary struct {
	Orgs, People, Guardians int
	Accounts                []Account
	History                 *HistorySummary
}

// Account is a demo account for the sign-in page and the CLI to show.
type Account struct {
	Username string
	Role     domain.Role
	Scope    string // the name of the account's unit
	Password string
}

// Seed loads the demo data set into an empty database (no org units yet):
// the units, people and accounts, then the history of the school days
// before today (YYYY-MM-DD, the installation's date; see SeedHistory). It
// returns an EConflict *domain.Error if the database already has org units,
// an EInvalid one for a bad today. The data is the same on every call:
// names, identity and phone numbers, codes and memberships, and for the
// same today the same history.
//
// Seed is not one transaction (the store writes units, people, accounts and
// each day of history in separate ones); after a failure or an interruption
// the database is marked Partial (see Status): start again on an empty
// database.
func Seed(ctx context.Context, db *store.DB, logger *slog.Logger, today string) (*Summary, error) {
	return load(ctx, db, logger, today, HistoryDays)
}

// load is Seed with a history of the given number of school days (none
// for 0).
func load(ctx context.Context, db *store.DB, logger *slog.Logger, today string, days int) (*Summary, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	if _, err := time.Parse(time.DateOnly, today); err != nil {
		return nil, domain.Errorf(domain.EInvalid, "today %q is not a date YYYY-MM-DD", today)
	}
	roots, err := db.Orgs(ctx, domain.System(), 0)
	if err != nil {
		return nil, err
	}
	if len(roots) > 0 {
		return nil, domain.Errorf(domain.EConflict, "the database already has org units; the demo data set needs an empty database")
	}
	// Marked before the first unit is written, so that an interrupted load
	// is told from real data.
	if err := db.SetSetting(ctx, settingKey, settingLoading); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	p := build()
	logger.Debug("demo: data set built", "elapsed", time.Since(start))
	if err := createUnits(ctx, db, p.units); err != nil {
		return nil, err
	}
	logger.Debug("demo: org units created", "units", len(p.units), "elapsed", time.Since(start))

	// Hashing the five passwords (argon2id) is the slowest work of Seed
	// after the writes; it runs beside the people import. One goroutine
	// creates the accounts in a fixed order, so their ids stay the same.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type created struct {
		accounts []Account
		err      error
	}
	accounts := make(chan created, 1)
	go func() {
		a, err := createAccounts(ctx, db, p.accounts)
		accounts <- created{a, err}
	}()
	err = importPeople(ctx, db, p.batches)
	if err != nil {
		cancel()
	}
	acc := <-accounts
	if err != nil {
		return nil, err
	}
	if acc.err != nil {
		return nil, acc.err
	}
	logger.Debug("demo: people imported, accounts created", "people", p.people(), "elapsed", time.Since(start))

	var hist *HistorySummary
	if days > 0 { // tests may leave the history out
		if hist, err = seedHistory(ctx, db, logger, p, today, days); err != nil {
			return nil, err
		}
	}
	if err := db.SetSetting(ctx, settingKey, settingLoaded); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	sum := &Summary{Orgs: len(p.units), People: p.people(), Guardians: p.guardians, Accounts: acc.accounts, History: hist}
	logger.Info("demo data set loaded", "units", sum.Orgs, "people", sum.People, "guardians", sum.Guardians,
		"accounts", len(sum.Accounts), "elapsed", time.Since(start).Round(time.Millisecond))
	return sum, nil
}

// createUnits writes the units, parents first, and notes their ids.
func createUnits(ctx context.Context, db *store.DB, units []*unit) error {
	orgs := make([]*domain.Org, len(units))
	index := map[*unit]int{}
	for i, u := range units {
		index[u] = i
		orgs[i] = &domain.Org{Kind: u.kind, Code: u.code, Name: u.name, Responsible: u.responsible}
		if u.parent != nil {
			orgs[i].ParentID = &orgs[index[u.parent]].ID
		}
	}
	if err := db.CreateOrgs(ctx, domain.System(), orgs); err != nil {
		return err
	}
	for i, u := range units {
		u.id = orgs[i].ID
	}
	return nil
}

// importPeople imports each roster under its school or street, as an
// administrator's import would.
func importPeople(ctx context.Context, db *store.DB, batches []batch) error {
	for _, bt := range batches {
		rep, err := db.ImportPeople(ctx, domain.System(), bt.org.id, &roster.Result{Rows: bt.rows, Total: len(bt.rows)}, false)
		if err != nil {
			return fmt.Errorf("demo: import people of %s: %w", bt.org.code, err)
		}
		if len(rep.Problems) > 0 || !rep.Written || rep.Imported != len(bt.rows) {
			// The data set is generated: a problem here is a bug in this
			// package, so the whole report is shown.
			return fmt.Errorf("demo: import people of %s:\n%s", bt.org.code, strings.TrimSpace(rep.String()))
		}
	}
	return nil
}

// createAccounts creates the demo accounts with Password.
func createAccounts(ctx context.Context, db *store.DB, plans []accountPlan) ([]Account, error) {
	var out []Account
	for _, ap := range plans {
		a := ap.account
		a.OrgID = ap.org.id
		if err := db.CreateAccount(ctx, domain.System(), &a, Password); err != nil {
			return nil, fmt.Errorf("demo: create account %s: %w", a.Username, err)
		}
		out = append(out, Account{Username: a.Username, Role: a.Role, Scope: ap.org.name, Password: Password})
	}
	return out, nil
}

// IsDemo reports whether the database may hold the demo accounts, with
// their known password: the whole demo data set or part of it (Status).
func IsDemo(ctx context.Context, db *store.DB) (bool, error) {
	st, err := Status(ctx, db)
	return st != None, err
}

// Status reports how much of the demo data set the database holds: Seed
// marks it with a setting.
func Status(ctx context.Context, db *store.DB) (State, error) {
	v, err := db.Setting(ctx, settingKey)
	switch {
	case err != nil:
		return None, err
	case v == settingLoaded:
		return Loaded, nil
	case v == settingLoading:
		return Partial, nil
	}
	return None, nil
}

// Accounts lists the demo accounts with their scopes, for the sign-in page
// and the command line. It builds the plan in memory (tens of
// milliseconds) rather than keeping a second copy of the list.
func Accounts() []Account {
	var out []Account
	for _, ap := range build().accounts {
		out = append(out, Account{Username: ap.account.Username, Role: ap.account.Role, Scope: ap.org.name, Password: Password})
	}
	return out
}
