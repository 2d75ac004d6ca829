// Package cli is EpiGuard's command line (SPEC §4.1) and the one place
// that wires configuration, the store, the web server and the jobs
// together.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on machines without zoneinfo

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// Exit codes (SPEC §4.1).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Version is set at build time with -ldflags "-X epiguard/internal/cli.Version=…".
var Version = "dev"

// env is the process environment the commands may read.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// usageError marks a bad-usage or bad-input failure (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

const usage = `EpiGuard — epidemic prevention and control for schools and communities.

Usage: epiguard COMMAND [flags]

Commands:
  serve            serve the web UI and API (migrates first)
  demo             load the demo data set into an empty database, then serve
  migrate          apply schema migrations and print the version
  import people    import a roster: import people --org CODE FILE [--skip-invalid]
  org add          create a unit: org add --code C --name N --kind K [--parent CODE]
  user add         create an account: user add --username U --role R --org CODE (password on stdin)
  counts rebuild   recompute the daily counts and surveillance counts from the raw records
  backup           write a consistent online backup: backup -o FILE
  bench checkin    the check-in benchmark: bench checkin [--duration 10s]
  detect           run a detector over a daily CSV series: detect --method c1|c2|c3|cusum|default [-i FILE] [-o FILE]
  version          print version and build information

Every command takes --db DSN (default $EPIGUARD_DB, else sqlite:epiguard-data/epiguard.db).
Run 'epiguard COMMAND -h' for the flags of a command.
`

// Main runs the command line with explicit process state and returns the
// exit code. Tests call it exactly as main does.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	level := slog.LevelInfo
	if getenv("EPIGUARD_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = e.serve(ctx, rest)
	case "demo":
		err = e.demo(ctx, rest)
	case "migrate":
		err = e.migrate(ctx, rest)
	case "import":
		if len(rest) == 0 || rest[0] != "people" {
			err = usagef("usage: epiguard import people --org CODE FILE [--skip-invalid]")
		} else {
			err = e.importPeople(ctx, rest[1:])
		}
	case "org":
		if len(rest) == 0 || rest[0] != "add" {
			err = usagef("usage: epiguard org add --code CODE --name NAME --kind KIND [--parent CODE]")
		} else {
			err = e.orgAdd(ctx, rest[1:])
		}
	case "user":
		if len(rest) == 0 || rest[0] != "add" {
			err = usagef("usage: epiguard user add --username U --role R --org CODE (password on stdin)")
		} else {
			err = e.userAdd(ctx, rest[1:])
		}
	case "counts":
		if len(rest) == 0 || rest[0] != "rebuild" {
			err = usagef("usage: epiguard counts rebuild")
		} else {
			err = e.countsRebuild(ctx, rest[1:])
		}
	case "backup":
		err = e.backup(ctx, rest)
	case "bench":
		err = e.bench(ctx, rest)
	case "detect":
		err = e.detect(rest)
	case "version", "--version", "-v":
		err = e.version(rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "epiguard: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	return e.exit(err)
}

func (e *env) exit(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(e.stderr, "epiguard:", ue.msg)
		return exitUsage
	case domain.ErrorCode(err) == domain.EInvalid || domain.ErrorCode(err) == domain.EConflict || domain.ErrorCode(err) == domain.ENotFound:
		fmt.Fprintln(e.stderr, "epiguard:", err)
		return exitUsage
	}
	fmt.Fprintln(e.stderr, "epiguard:", err)
	return exitFailure
}

// flagSet returns a flag set whose errors are reported as usage errors.
func (e *env) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("epiguard "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses flags, allowing them after positional arguments too
// ("import people FILE --org X"), as users type them either way.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseFlags is parse for a command that takes flags only: a stray word
// ("migrate extra") is refused rather than ignored.
func parseFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("%s takes no arguments (got %q): run '%s -h' for its flags", fs.Name(), pos[0], fs.Name())
	}
	return nil
}

// dbFlag registers --db with its default from the environment.
func (e *env) dbFlag(fs *flag.FlagSet) *string {
	def := e.getenv("EPIGUARD_DB")
	if def == "" {
		def = "sqlite:epiguard-data/epiguard.db"
	}
	return fs.String("db", def, "database: sqlite:PATH or postgres://… (env EPIGUARD_DB)")
}

func (e *env) migrate(ctx context.Context, args []string) error {
	fs := e.flagSet("migrate")
	dsn := e.dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, v, err := e.open(ctx, *dsn, mayCreate)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "schema version %d\n", v)
	return nil
}

func (e *env) userAdd(ctx context.Context, args []string) error {
	fs := e.flagSet("user add")
	dsn := e.dbFlag(fs)
	username := fs.String("username", "", "account name (required)")
	role := fs.String("role", "", "admin, health, teacher, guard, ops or viewer (required)")
	org := fs.String("org", "", "code of the unit the account's scope starts at (required)")
	display := fs.String("display-name", "", "name shown in the UI")
	personLevel := fs.Bool("person-level", false, "let a viewer see person-level data")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" || *role == "" || *org == "" {
		return usagef("user add needs --username, --role and --org; the password is read from stdin")
	}
	pw, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	if pw == "" {
		return usagef("no password on stdin (e.g. echo 'secret' | epiguard user add …)")
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
	a := &domain.Account{Username: *username, DisplayName: *display, Role: domain.Role(*role), OrgID: o.ID, PersonLevel: *personLevel}
	if err := db.CreateAccount(ctx, domain.System(), a, pw); err != nil {
		return err
	}
	db.Audit(ctx, domain.AuditEntry{Username: "cli", Action: domain.AuditAdmin, Target: fmt.Sprintf("account:%d", a.ID),
		Detail: fmt.Sprintf("created %s (%s) from the command line", a.Username, a.Role)})
	fmt.Fprintf(e.stdout, "created account %s (%s, scope %s %s)\n", a.Username, a.Role, o.Code, o.Name)
	return nil
}

func (e *env) backup(ctx context.Context, args []string) error {
	fs := e.flagSet("backup")
	dsn := e.dbFlag(fs)
	out := fs.String("o", "", "the backup file to write (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("backup needs -o FILE")
	}
	if engine, _, err := store.ParseDSN(*dsn); err == nil && engine == store.Postgres {
		fmt.Fprintln(e.stdout, "PostgreSQL databases are backed up with PostgreSQL's own tools, online and consistent:")
		fmt.Fprintf(e.stdout, "  pg_dump --format=custom --file=%s '%s'\n", *out, *dsn)
		fmt.Fprintln(e.stdout, "Restore with pg_restore --clean --dbname=DSN FILE. Keep the key file (EPIGUARD_KEY_FILE) with the backup:")
		fmt.Fprintln(e.stdout, "without it the encrypted identity and phone numbers cannot be read.")
		return usagef("no backup written: use pg_dump for PostgreSQL")
	}
	db, _, err := e.open(ctx, *dsn, asIs)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Backup(ctx, *out); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s (%d bytes, %s). Keep the key file with it: without it the encrypted fields cannot be read.\n",
		*out, st.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}

func (e *env) version(args []string) error {
	if err := parseFlags(e.flagSet("version"), args); err != nil {
		return err
	}
	commit, when, dirty := "unknown", "", ""
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (modified)"
				}
			}
		}
	}
	fmt.Fprintf(e.stdout, "epiguard %s\ncommit %s%s %s\n%s\n", Version, commit, dirty, when, goVersion)
	return nil
}
