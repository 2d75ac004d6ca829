package cli

import (
	"context"
	"epiguard/internal/alerting"
	"epiguard/internal/notify"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"epiguard/internal/demo"
	"epiguard/internal/domain"
	"epiguard/internal/jobs"
	"epiguard/internal/store"
	"epiguard/internal/web"
)

// serverFlags are the flags serve and demo share.
type serverFlags struct {
	dsn  *string
	addr *string
}

func (e *env) serverFlags(name string) (*serverFlags, func([]string) error) {
	fs := e.flagSet(name)
	sf := &serverFlags{dsn: e.dbFlag(fs)}
	def := e.getenv("EPIGUARD_ADDR")
	if def == "" {
		def = "127.0.0.1:8080"
	}
	sf.addr = fs.String("addr", def, "address to listen on (env EPIGUARD_ADDR)")
	return sf, func(args []string) error { return parseFlags(fs, args) }
}

func (e *env) serve(ctx context.Context, args []string) error {
	sf, parseArgs := e.serverFlags("serve")
	if err := parseArgs(args); err != nil {
		return err
	}
	db, v, err := e.open(ctx, *sf.dsn, mayCreate)
	if err != nil {
		return err
	}
	defer db.Close()
	isDemo, err := demo.IsDemo(ctx, db)
	if err != nil {
		return err
	}
	if isDemo {
		e.log.Warn("this database holds the demo data set and its demo accounts (password \"demo\"): do not use it for real data")
	}
	e.log.Info("database ready", "engine", db.Engine(), "schema", v)
	return e.run(ctx, db, *sf.addr, isDemo, nil)
}

// run serves HTTP on addr until ctx ends, then shuts down in order: stop
// accepting, finish requests in flight (up to 15 s), then the caller closes
// the database. started, if set, is called with the listening URL.
func (e *env) run(ctx context.Context, db *store.DB, addr string, isDemo bool, started func(url string)) error {
	loc, err := e.location()
	if err != nil {
		return err
	}
	remindTimes, err := e.clockTimes("EPIGUARD_REMIND_TIMES", []string{"08:00", "12:30"})
	if err != nil {
		return err
	}
	// The detectors run after the morning and noon checks are in, and in
	// the evening for the day's check-ins from home.
	detectTimes, err := e.clockTimes("EPIGUARD_DETECT_TIMES", []string{"10:00", "14:30", "21:00"})
	if err != nil {
		return err
	}
	alerts := &alerting.Service{DB: db, Log: e.log, Loc: loc, Profile: e.getenv("EPIGUARD_POLICY_PROFILE")}
	db.SetSubjectHook(alerts.Touch)
	deliverer := &alerting.Deliverer{DB: db, Sender: notify.NewSender(false), Log: e.log, BaseURL: e.getenv("EPIGUARD_BASE_URL")}
	srv, err := web.New(web.Config{DB: db, Logger: e.log, Location: loc, Version: Version, Demo: isDemo, PassKey: db.Box().DerivedKey("gate pass"),
		SecureCookies: e.getenv("EPIGUARD_SECURE_COOKIES") == "1", Deliverer: deliverer, Alerts: alerts})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usagef("--addr: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: nil, BaseContext: func(net.Listener) context.Context { return ctx }}
	url := "http://" + ln.Addr().String() + "/"
	e.log.Info("listening", "url", url)
	if started != nil {
		started(url)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	jobsCtx, stopJobs := context.WithCancel(ctx)
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		e.scheduler(db, loc, alerts, deliverer, remindTimes, detectTimes).Run(jobsCtx)
	}()
	select {
	case err := <-errc:
		stopJobs()
		<-jobsDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	// Jobs first, then HTTP; the caller closes the database last.
	stopJobs()
	<-jobsDone
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// scheduler returns the background jobs of a server.
func (e *env) scheduler(db *store.DB, loc *time.Location, alerts *alerting.Service, deliverer *alerting.Deliverer, remindTimes, detectTimes []string) *jobs.Scheduler {
	return &jobs.Scheduler{Log: e.log, Now: time.Now, Jobs: []jobs.Job{
		{Name: "deliver_outbox", Every: 5 * time.Second, Run: jobs.DeliverOutbox(db)},
		{Name: "remind_missing", Every: time.Minute, Run: jobs.RemindMissing(db, jobs.Reminders{Times: remindTimes, Loc: loc})},
		{Name: "refresh_statuses", Every: time.Minute, Run: jobs.RefreshStatuses(db, loc)},
		{Name: "deliver_channels", Every: 5 * time.Second, Run: deliverer.Run},
		{Name: "detect", Every: time.Minute, Run: alerts.Job(detectTimes)},
		{Name: "escalate_alerts", Every: time.Minute, Run: alerts.Escalate},
	}}
}

// clockTimes reads a comma-separated list of times of day ("08:00,12:30")
// from the environment variable name, or def when it is unset. The jobs
// compare times as "15:04" strings, so each is written in that form ("8:00"
// becomes "08:00") and anything else is refused: a mistyped time would
// otherwise never come, or, with a leading space, be due all day.
func (e *env) clockTimes(name string, def []string) ([]string, error) {
	v := e.getenv(name)
	if v == "" {
		return def, nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return nil, usagef("%s: %q is not a time of day HH:MM (e.g. %s)", name, s, strings.Join(def, ","))
		}
		out = append(out, t.Format("15:04"))
	}
	return out, nil
}

func (e *env) location() (*time.Location, error) {
	tz := e.getenv("EPIGUARD_TZ")
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, usagef("EPIGUARD_TZ: unknown time zone %q", tz)
	}
	return loc, nil
}

func (e *env) demo(ctx context.Context, args []string) error {
	fs := e.flagSet("demo")
	dsn := e.dbFlag(fs)
	def := e.getenv("EPIGUARD_ADDR")
	if def == "" {
		def = "127.0.0.1:8080"
	}
	addr := fs.String("addr", def, "address to listen on (env EPIGUARD_ADDR)")
	seedOnly := fs.Bool("seed-only", false, "load the demo data and stop, without serving")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, _, err := e.open(ctx, *dsn, mayCreate)
	if err != nil {
		return err
	}
	defer db.Close()
	state, err := demo.Status(ctx, db)
	if err != nil {
		return err
	}
	if state == demo.Partial {
		return usagef("the database %s holds part of the demo data set: its loading was interrupted or failed, and cannot be resumed. %s",
			*dsn, startOver(*dsn))
	}
	isDemo := state == demo.Loaded
	loc, err := e.location()
	if err != nil {
		return err
	}
	printAccounts := func() {
		fmt.Fprintf(e.stdout, "demo accounts (password %q):\n", demo.Password)
		for _, a := range demo.Accounts() {
			fmt.Fprintf(e.stdout, "  %-9s %-8s %s\n", a.Username, a.Role, a.Scope)
		}
	}
	seed := func(ctx context.Context) error {
		start := time.Now()
		sum, err := demo.Seed(ctx, db, e.log, time.Now().In(loc).Format(time.DateOnly))
		switch code := domain.ErrorCode(err); {
		case err == nil:
		case code == domain.EConflict:
			return usagef("the database %s already holds data that is not the demo data set: use an empty database for the demo (e.g. --db sqlite:demo.db)", *dsn)
		case code == domain.EInvalid:
			return err
		case ctx.Err() != nil:
			return fmt.Errorf("loading the demo data set was interrupted, so the database %s holds only part of it. %s", *dsn, startOver(*dsn))
		default:
			return fmt.Errorf("loading the demo data set failed (%w), so the database %s holds only part of it. %s", err, *dsn, startOver(*dsn))
		}
		fmt.Fprintf(e.stdout, "demo data loaded in %s: %d units, %d people, %d guardians\n",
			time.Since(start).Round(time.Millisecond), sum.Orgs, sum.People, sum.Guardians)
		return nil
	}
	if isDemo {
		fmt.Fprintln(e.stdout, "the database already holds the demo data set")
	}
	if *seedOnly {
		if !isDemo {
			if err := seed(ctx); err != nil {
				return err
			}
		}
		printAccounts()
		return nil
	}
	if !isDemo {
		// The history takes a few seconds to simulate: refuse a database
		// with other data before serving, then serve at once and load the
		// data set beside it, so the server answers from the first second.
		if roots, err := db.Orgs(ctx, domain.System(), 0); err != nil {
			return err
		} else if len(roots) > 0 {
			return usagef("the database %s already holds data that is not the demo data set: use an empty database for the demo (e.g. --db sqlite:demo.db)", *dsn)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	// loaded hears the end of the load, which starts once the server
	// listens; seeded is loaded while there is a load to wait for.
	loaded := make(chan error, 1)
	seeded := loaded
	if isDemo {
		seeded = nil
	}
	listening := make(chan struct{})
	go func() {
		served <- e.run(runCtx, db, *addr, true, func(url string) {
			fmt.Fprintf(e.stdout, "EpiGuard demo: open %s\n", url)
			close(listening)
			if isDemo {
				printAccounts()
				return
			}
			fmt.Fprintln(e.stdout, "loading the demo data set…")
			go func() {
				err := seed(runCtx)
				if err == nil {
					printAccounts()
				}
				loaded <- err
			}()
		})
	}()
	for {
		select {
		case err := <-seeded:
			if err != nil {
				// A failed load stops the server; an interrupted one
				// (Ctrl-C) is stopping it already.
				cancel()
				<-served
				return err
			}
			seeded = nil // loaded: keep serving
		case err := <-served:
			// The server ended (Ctrl-C, or it could not listen). A load
			// under way is interrupted with it and says so.
			select {
			case <-listening:
				if seeded != nil {
					cancel()
					if serr := <-seeded; serr != nil {
						return serr
					}
				}
			default:
			}
			return err
		}
	}
}

// startOver tells how to load the demo data set again after a load that
// stopped half way: on an empty database, as Seed cannot resume.
func startOver(dsn string) string {
	if engine, path, err := store.ParseDSN(dsn); err == nil && engine == store.SQLite {
		return fmt.Sprintf("To start again, delete %s (with its -wal and -shm files, if any) and run 'epiguard demo' again", path)
	}
	return "To start again, drop and re-create the database (or use another one), then run 'epiguard demo' again"
}
