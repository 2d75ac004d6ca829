package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"time"

	"epiguard/internal/bench"
	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/secret"
	"epiguard/internal/store"
	"epiguard/internal/web"
)

// bench runs a benchmark command (SPEC §4.1, §7.1).
func (e *env) bench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "checkin" {
		return usagef("usage: epiguard bench checkin [--duration 10s] [--rounds 5] [--clients N] [--people N]")
	}
	return e.benchCheckin(ctx, args[1:])
}

// benchPeoplePerClass makes the default 100,000 people 2,000 classes.
const benchPeoplePerClass = 50

// benchCheckin is the check-in benchmark of SPEC §7.1: a fresh SQLite
// database with a generated school, the live server on loopback driven
// through POST /api/v1/checkins by concurrent authenticated clients, one
// unique (person, date, slot) per request, and the same clients against a
// bare handler that only decodes the JSON, the two taking turns. Progress
// goes to stderr; the last line on stdout is the key=value result.
func (e *env) benchCheckin(ctx context.Context, args []string) error {
	fs := e.flagSet("bench checkin")
	duration := fs.Duration("duration", 10*time.Second, "how long each of the two measurements runs in all")
	rounds := fs.Int("rounds", 5, "slices each measurement is cut into, the two taking turns")
	clients := fs.Int("clients", 32, "concurrent HTTP clients")
	people := fs.Int("people", 100_000, "people in the generated school (SPEC §7.1 asks for at least 100000)")
	dsn := fs.String("db", "", "a new SQLite database to create and keep, sqlite:PATH (default: a temporary one, removed afterwards)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurements to `FILE`; the ceiling's share is under bench.Ceiling (for developers)")
	withJobs := fs.Bool("jobs", false, "run the server's background jobs during the measurement, as serve does (for developers)")
	traceFile := fs.String("trace", "", "write an execution trace of the measurements to `FILE` (for developers)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *duration <= 0 || *duration > time.Hour:
		return usagef("--duration must be between 0 and 1h")
	case *clients < 1 || *clients > 4096:
		return usagef("--clients must be between 1 and 4096")
	case *people < 1 || *people > 2_000_000:
		return usagef("--people must be between 1 and 2000000")
	case *rounds < 1 || *rounds > 1000 || *duration/time.Duration(max(*rounds, 1)) < 50*time.Millisecond:
		return usagef("--rounds must be between 1 and 1000, with slices of --duration at least 50ms")
	}
	path, cleanup, err := benchDatabase(*dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	loc, err := e.location()
	if err != nil {
		return err
	}
	if *people < 100_000 {
		fmt.Fprintf(e.stderr, "bench: %d people is below SPEC §7.1's 100000: a trial, not the benchmark\n", *people)
	}

	db, err := e.openBenchDB(ctx, path, loc)
	if err != nil {
		return err
	}
	closeDB := sync.OnceValue(db.Close)
	defer closeDB()
	fx, err := e.benchFixture(ctx, db, *people)
	if err != nil {
		return err
	}
	dates := bench.Dates(time.Now(), loc, 7) // today and six days back: all within the seven days a late check-in may go
	client := bench.NewClient(*clients)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	progress := func(name string) func(time.Duration, int64) {
		return func(el time.Duration, ok int64) {
			fmt.Fprintf(e.stderr, "bench: %-14s %3.0fs %9d ok %9.0f/s\n", name, el.Seconds(), ok, float64(ok)/el.Seconds())
		}
	}

	// The live server: the handler serve builds, on the same HTTP server
	// settings. Without its background jobs unless --jobs: on a fresh
	// database the daily status refresh would run over every person
	// during the measurement, which a real installation does once a day.
	var base string
	var stopServer func() error
	if *withJobs {
		base, stopServer, err = e.benchServe(ctx, db)
	} else {
		var h http.Handler
		if h, err = e.benchHandler(db, loc); err == nil {
			base, stopServer, err = startHTTP(ctx, h)
		}
	}
	if err != nil {
		return err
	}
	defer stopServer()
	// The ceiling: the same clients, server settings and bodies against a
	// handler that only decodes them.
	ceilBase, stopCeiling, err := startHTTP(ctx, bench.Ceiling())
	if err != nil {
		return err
	}
	defer stopCeiling()
	fmt.Fprintf(e.stderr, "bench: %d clients, %s against %s and %s against a bare handler at %s, in %d alternating slices (GOMAXPROCS %d)\n",
		*clients, *duration, base, *duration, ceilBase, *rounds, runtime.GOMAXPROCS(0))
	walk := bench.NewCheckins(fx.people, dates, "bench-"+run, false)
	ceilWalk := bench.NewCheckins(fx.people, dates, "ceiling-"+run, true)
	slice := *duration / time.Duration(*rounds)
	loads := map[string]*bench.Load{
		"checkins": {Client: client, URL: base + "api/v1/checkins", Token: fx.token, Clients: *clients,
			Duration: slice, Next: walk.Next},
		"ceiling": {Client: client, URL: ceilBase + "api/v1/checkins", Token: fx.token, Clients: *clients,
			Duration: slice, Next: ceilWalk.Next},
	}
	live, ceil := &bench.Result{}, &bench.Result{}
	results := map[string]*bench.Result{"checkins": live, "ceiling": ceil}
	stopProfiles, err := startProfiles(*cpuProfile, *traceFile)
	if err != nil {
		return err
	}
	// The two measurements take turns, in the order AB BA AB …, so that
	// whatever else the machine does during the run (a build, another
	// benchmark) weighs on both alike and the ratio stays fair.
	for i := range *rounds {
		order := []string{"checkins", "ceiling"}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, name := range order {
			l := loads[name]
			l.Progress = progress(fmt.Sprintf("%s %d/%d", name, i+1, *rounds))
			var r *bench.Result
			if r, err = l.Run(ctx); err != nil {
				err = fmt.Errorf("%s load: %w", name, err)
				break
			}
			results[name].Add(r)
		}
		if err != nil {
			break
		}
	}
	// Pages under load: a third run of check-ins, half as long and not
	// counted in the ratio, while a probe opens pages as staff and parents do.
	var underLoad *bench.Result
	var pages map[string]*bench.Result
	if err == nil {
		l := *loads["checkins"]
		l.Duration = max(*duration/2, time.Second)
		underLoad, pages, err = e.benchPages(ctx, client, base, fx, &l)
	}
	if perr := stopProfiles(); perr != nil && err == nil {
		err = perr
	}
	if serr := stopServer(); serr != nil && err == nil {
		err = serr
	}
	if serr := stopCeiling(); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	client.CloseIdleConnections()

	// Every 2xx must be a row in the file, read apart from the store.
	if err := closeDB(); err != nil {
		return err
	}
	rows, err := bench.CountCheckins(ctx, path)
	if err != nil {
		return err
	}
	if acked := live.OK + underLoad.OK; rows != acked {
		fmt.Fprintf(e.stderr, "durable_ok=false rows=%d acknowledged=%d\n", rows, acked)
		return fmt.Errorf("bench: %d check-ins were acknowledged with 2xx but the database holds %d", acked, rows)
	}
	fmt.Fprintf(e.stderr, "durable_ok=true rows=%d acknowledged=%d\n", rows, live.OK+underLoad.OK)
	fmt.Fprintf(e.stderr, "bench: pages under %.0f check-ins/s:", underLoad.PerSecond())
	for _, name := range benchPageNames {
		r := pages[name]
		fmt.Fprintf(e.stderr, " %s p50 %.2f ms p99 %.2f ms (%d);", name, ms(r.Percentile(0.50)), ms(r.Percentile(0.99)), r.OK)
	}
	fmt.Fprintln(e.stderr)

	fmt.Fprintf(e.stderr, "bench: check-ins %d in %s, ceiling %d in %s (p50 %.2f ms, p99 %.2f ms)\n",
		live.OK, live.Elapsed.Round(time.Millisecond), ceil.OK, ceil.Elapsed.Round(time.Millisecond), ms(ceil.Percentile(0.50)), ms(ceil.Percentile(0.99)))
	// CPU per request (clients included) hardly depends on what else the
	// machine runs, unlike the rates: it tells a busy machine from a slow
	// server.
	if live.CPU > 0 {
		fmt.Fprintf(e.stderr, "bench: process CPU per request: check-ins %.3f ms, ceiling %.3f ms\n",
			ms(live.CPUPerRequest()), ms(ceil.CPUPerRequest()))
	}
	ratio := 0.0
	if c := ceil.PerSecond(); c > 0 {
		ratio = live.PerSecond() / c
	}
	fmt.Fprintf(e.stdout, "checkins_per_s=%.2f p50_ms=%.2f p99_ms=%.2f ceiling_per_s=%.2f ratio=%.2f\n",
		live.PerSecond(), ms(live.Percentile(0.50)), ms(live.Percentile(0.99)), ceil.PerSecond(), ratio)
	return nil
}

// benchPageNames are the pages timed under load, in the report's order.
var benchPageNames = []string{"personal", "pass", "roll", "class-daily", "school-daily"}

// benchPages runs the check-in load l once more and, beside it, opens
// the pages of the daily loop ten times a second each: a parent's
// personal page and its pass QR, a class roll, and the completion page of
// the class and of the school (100,000 people in 2,000 classes, a
// district's worth). It returns the check-ins of the slice and the page timings.
func (e *env) benchPages(ctx context.Context, client *http.Client, base string, fx *benchFixture, l *bench.Load) (*bench.Result, map[string]*bench.Result, error) {
	cookie, err := bench.SignIn(ctx, client, base, fx.username, fx.password)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: sign in for the pages: %w", err)
	}
	urls := []string{
		base + "p/" + fx.personal,
		base + "p/" + fx.personal + "/pass.png",
		fmt.Sprintf("%sorgs/%d/roll?slot=morning", base, fx.class),
		fmt.Sprintf("%sorgs/%d/daily", base, fx.class),
		fmt.Sprintf("%sorgs/%d/daily", base, fx.school),
	}
	probe := &bench.Probe{Client: client, Cookie: cookie, Every: 100 * time.Millisecond}
	for i, name := range benchPageNames {
		probe.Pages = append(probe.Pages, bench.Page{Name: name, URL: urls[i]})
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var pages map[string]*bench.Result
	var perr error
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		pages, perr = probe.Run(pctx)
	}()
	l.Progress = nil
	fmt.Fprintf(e.stderr, "bench: pages under load for %s…\n", l.Duration)
	r, err := l.Run(ctx)
	stop()
	<-probed
	if err != nil {
		return nil, nil, fmt.Errorf("checkins load with pages: %w", err)
	}
	return r, pages, perr
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchDatabase returns the SQLite file the benchmark creates: the one
// --db names, which must not exist yet and is kept, or one in a new
// temporary folder that cleanup removes. It never falls back to
// EPIGUARD_DB: the benchmark writes a hundred thousand made-up people.
func benchDatabase(dsn string) (path string, cleanup func(), err error) {
	if dsn == "" {
		dir, err := os.MkdirTemp("", "epiguard-bench-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
	}
	engine, path, err := store.ParseDSN(dsn)
	if err != nil {
		return "", nil, usagef("--db: %v", err)
	}
	if engine != store.SQLite {
		return "", nil, usagef("--db: the check-in benchmark measures SQLite; give sqlite:PATH")
	}
	if _, err := os.Stat(path); err == nil {
		return "", nil, usagef("--db: %s already exists: the benchmark needs a new database", path)
	}
	return path, func() {}, nil
}

// openBenchDB creates the benchmark's database with a key file of its own
// beside it, never the installation's (EPIGUARD_KEY_FILE).
func (e *env) openBenchDB(ctx context.Context, path string, loc *time.Location) (*store.DB, error) {
	key, err := secret.LoadOrCreateKey(filepath.Join(filepath.Dir(path), "epiguard.key"))
	if err != nil {
		return nil, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{Box: box, Logger: e.log, Location: loc})
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// benchFixture is what the load needs from the database.
type benchFixture struct {
	people []int64 // ids in import order
	token  string  // bearer token of a health account at the school
	// The same account's credentials, for the pages.
	username, password string
	school, class      int64  // the school and its first class
	personal           string // the personal link token of the first person
}

// benchFixture fills the database through the ordinary paths: the school
// and its classes, the roster as an import would write it (timed), and a
// health account at the school with an API token.
func (e *env) benchFixture(ctx context.Context, db *store.DB, people int) (*benchFixture, error) {
	sys := domain.System()
	s := bench.NewSchool("BENCH", people, benchPeoplePerClass)
	if err := db.CreateOrgs(ctx, sys, s.Orgs); err != nil {
		return nil, fmt.Errorf("bench: create units: %w", err)
	}
	school := s.Orgs[0]
	fmt.Fprintf(e.stderr, "bench: importing %d people into %d classes…\n", len(s.Rows), len(s.Orgs)-1)
	start := time.Now()
	rep, err := db.ImportPeople(ctx, sys, school.ID, &roster.Result{Rows: s.Rows, Total: len(s.Rows)}, false)
	if err != nil {
		return nil, fmt.Errorf("bench: import people: %w", err)
	}
	if !rep.Written || rep.Imported != len(s.Rows) {
		return nil, fmt.Errorf("bench: import people: %s", rep.String())
	}
	took := time.Since(start)
	fmt.Fprintf(e.stderr, "bench: imported %d people in %s (%.0f rows/s)\n", rep.Imported, took.Round(time.Millisecond),
		float64(rep.Imported)/took.Seconds())
	password := secret.NewToken()
	acc := &domain.Account{Username: "bench-health", DisplayName: "压测校医", Role: domain.RoleHealth, OrgID: school.ID, PersonLevel: true}
	if err := db.CreateAccount(ctx, sys, acc, password); err != nil {
		return nil, fmt.Errorf("bench: create account: %w", err)
	}
	tok, _, err := db.CreateAPIToken(ctx, sys, acc.ID, "bench checkin")
	if err != nil {
		return nil, fmt.Errorf("bench: create token: %w", err)
	}
	ids, err := db.PeopleIDs(ctx, school.ID)
	if err != nil {
		return nil, err
	}
	if len(ids) != people {
		return nil, fmt.Errorf("bench: %d people in the school, want %d", len(ids), people)
	}
	personal, err := db.RotatePersonToken(ctx, sys, ids[0])
	if err != nil {
		return nil, fmt.Errorf("bench: personal link: %w", err)
	}
	return &benchFixture{people: ids, token: tok, username: acc.Username, password: password,
		school: school.ID, class: s.Orgs[1].ID, personal: personal}, nil
}

// benchHandler is the handler serve builds (run in serve.go), without
// the demo flag and secure cookies, which the API does not use.
func (e *env) benchHandler(db *store.DB, loc *time.Location) (http.Handler, error) {
	srv, err := web.New(web.Config{DB: db, Logger: e.log, Location: loc, Version: Version, PassKey: db.Box().DerivedKey("gate pass")})
	if err != nil {
		return nil, err
	}
	return srv.Handler(), nil
}

// startHTTP serves h on a free loopback port with the HTTP server
// settings run (serve.go) uses, so the real server and the ceiling differ
// only in their handler. stop shuts the server down, waiting for requests
// in flight.
func startHTTP(ctx context.Context, h http.Handler) (url string, stop func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	stop = sync.OnceValue(func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return err
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	return "http://" + ln.Addr().String() + "/", stop, nil
}

// benchServe runs the server exactly as serve does, background jobs
// included, until stop is called.
func (e *env) benchServe(ctx context.Context, db *store.DB) (url string, stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	started, served := make(chan string, 1), make(chan error, 1)
	go func() { served <- e.run(ctx, db, "127.0.0.1:0", false, func(url string) { started <- url }) }()
	select {
	case url = <-started:
	case err := <-served:
		cancel()
		return "", nil, err
	}
	return url, sync.OnceValue(func() error { cancel(); return <-served }), nil
}

// startProfiles starts the CPU profile and the execution trace that are
// asked for; stop ends both and closes their files.
func startProfiles(cpuFile, traceFile string) (stop func() error, err error) {
	var stops []func() error
	stop = func() error {
		var errs []error
		for _, s := range stops {
			errs = append(errs, s())
		}
		return errors.Join(errs...)
	}
	if cpuFile != "" {
		f, err := os.Create(cpuFile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stops = append(stops, func() error { pprof.StopCPUProfile(); return f.Close() })
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			stop()
			return nil, err
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			stop()
			return nil, err
		}
		stops = append(stops, func() error { trace.Stop(); return f.Close() })
	}
	return stop, nil
}
