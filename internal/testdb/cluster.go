package testdb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// errNoBinaries means the machine has no initdb/pg_ctl; Postgres skips on it.
var errNoBinaries = errors.New("no PostgreSQL binaries found")

// readyTimeout bounds how long a freshly started cluster may take to accept
// connections.
const readyTimeout = 30 * time.Second

// shared is the one throwaway cluster of this test binary, started by the
// first Postgres call. It is the package's only mutable state. The mutex
// (rather than a sync.Once) lets Shutdown tell "never started" from "started",
// and makes concurrent first calls wait for a single start.
var shared struct {
	mu      sync.Mutex
	started bool     // a start was attempted; never retried, so every test sees the same outcome
	cluster *cluster // nil if the start failed or Shutdown ran
	err     error    // why the start failed
}

// sharedCluster returns the running throwaway cluster, starting it on first use.
func sharedCluster(t testing.TB) (*cluster, error) {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		begin := time.Now()
		shared.cluster, shared.err = startCluster()
		if shared.err == nil {
			t.Logf("postgres: started throwaway cluster on port %d in %s", shared.cluster.port, time.Since(begin).Round(time.Millisecond))
		}
	}
	if shared.err != nil {
		return nil, shared.err
	}
	if shared.cluster == nil {
		return nil, errors.New("throwaway cluster already stopped by Shutdown")
	}
	return shared.cluster, nil
}

// stopSharedCluster stops the throwaway cluster if one is running.
func stopSharedCluster() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster == nil {
		return
	}
	// Shutdown has no testing.TB to report to, and its caller is about to
	// exit; a warning on stderr is the most useful thing to do with an error.
	if err := shared.cluster.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
	}
	shared.cluster = nil
}

// cluster is a PostgreSQL cluster in a temporary directory:
//
//	base/data         the data directory (initdb)
//	base/sock         the Unix socket directory (unused by us, but PostgreSQL
//	                  must not default to /var/run/postgresql, which may be
//	                  missing or belong to another server)
//	base/postgres.log the server log, quoted in failure messages
type cluster struct {
	pgCtl string
	base  string
	port  int
	user  *osUser // who the binaries run as; nil for the current user
}

func (c *cluster) dataDir() string { return filepath.Join(c.base, "data") }
func (c *cluster) sockDir() string { return filepath.Join(c.base, "sock") }
func (c *cluster) logFile() string { return filepath.Join(c.base, "postgres.log") }

// url is the cluster's maintenance database. initdb -U postgres --auth=trust
// makes "postgres" a password-less superuser over TCP from 127.0.0.1.
func (c *cluster) url() *url.URL {
	return &url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
}

// startCluster creates and starts a cluster and waits until it accepts
// connections. On failure it removes whatever it created.
func startCluster() (*cluster, error) {
	initdb, pgCtl, err := findBinaries()
	if err != nil {
		return nil, err
	}
	user, err := unprivilegedUser()
	if err != nil {
		return nil, err
	}

	base, err := os.MkdirTemp("", "epiguard-testdb-")
	if err != nil {
		return nil, err
	}
	c := &cluster{pgCtl: pgCtl, base: base, user: user}
	if err := c.create(initdb); err != nil {
		os.RemoveAll(base)
		return nil, err
	}

	// The port is free when we pick it but another process may take it before
	// the postmaster binds it; one retry on a new port makes that harmless.
	var startErr error
	for attempt := 0; attempt < 2; attempt++ {
		if c.port, err = freePort(); err != nil {
			os.RemoveAll(base)
			return nil, err
		}
		if startErr = c.start(); startErr == nil {
			break
		}
	}
	if startErr != nil {
		os.RemoveAll(base)
		return nil, startErr
	}

	if err := c.waitReady(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// create lays out the directories and runs initdb.
func (c *cluster) create(initdb string) error {
	if c.user != nil {
		// PostgreSQL refuses to run as root, so everything below base must
		// belong to the unprivileged user, and it must be able to reach base.
		if err := checkSearchable(filepath.Dir(c.base), c.user.name); err != nil {
			return err
		}
		if err := c.user.chown(c.base); err != nil {
			return err
		}
	}
	if err := os.Mkdir(c.sockDir(), 0o700); err != nil {
		return err
	}
	if err := c.user.chown(c.sockDir()); err != nil {
		return err
	}

	// --locale=C: text sorts in byte order, the same on every machine.
	// --auth=trust: the cluster listens only on loopback and lives for one
	// test binary, so a password would only add configuration.
	out, err := c.run(initdb, "-D", c.dataDir(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C")
	if err != nil {
		return fmt.Errorf("initdb failed: %v\n%s", err, out)
	}
	return nil
}

// start runs pg_ctl start and waits (-w) for the postmaster to come up.
func (c *cluster) start() error {
	// fsync, synchronous_commit and full_page_writes are off because the
	// data is thrown away anyway; durability only costs time here.
	// max_connections is raised because parallel tests each hold a pool.
	// pg_ctl hands -o to /bin/sh, hence the quoted socket directory.
	options := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k '%s' "+
		"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
		c.port, c.sockDir())
	// -l sends the server's output to a file. Without it the postmaster would
	// inherit pg_ctl's stdout, our capture pipe, and the command would never
	// finish.
	out, err := c.run(c.pgCtl, "-D", c.dataDir(), "-l", c.logFile(), "-o", options, "-w", "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start on port %d failed: %v\n%s\nserver log:\n%s", c.port, err, out, c.readLog())
	}
	return nil
}

// waitReady pings the cluster until it answers. pg_ctl -w already waited,
// but only a real connection through the driver shows that tests can use it.
func (c *cluster) waitReady() error {
	db, err := sql.Open("pgx", c.url().String())
	if err != nil {
		return err
	}
	defer db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster on port %d not ready after %s: %v\nserver log:\n%s", c.port, readyTimeout, err, c.readLog())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop shuts the cluster down without a checkpoint (-m immediate: nothing in
// it is worth keeping) and removes its directory.
func (c *cluster) stop() error {
	out, err := c.run(c.pgCtl, "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
	if err != nil {
		// Keep the directory: the postmaster may still be running in it.
		return fmt.Errorf("pg_ctl stop failed (cluster left in %s): %v\n%s", c.base, err, out)
	}
	return os.RemoveAll(c.base)
}

// run runs a PostgreSQL program as the cluster's user and returns its
// combined output, for failure messages.
func (c *cluster) run(program string, args ...string) (string, error) {
	cmd := exec.Command(program, args...)
	// The unprivileged user may not be able to enter the test's working
	// directory, and PostgreSQL programs look at their current directory.
	cmd.Dir = c.base
	c.user.apply(cmd)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

func (c *cluster) readLog() string {
	b, err := os.ReadFile(c.logFile())
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return strings.TrimSpace(string(b))
}

// findBinaries returns the paths of initdb and pg_ctl: from PATH if both are
// there, else from the newest /usr/lib/postgresql/VERSION/bin (Debian and
// Ubuntu install there without putting it on PATH).
func findBinaries() (initdb, pgCtl string, err error) {
	initdb, err1 := exec.LookPath("initdb")
	pgCtl, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		return initdb, pgCtl, nil
	}

	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVersion := "", -1.0
	for _, dir := range dirs {
		// Versions are "15" or, before PostgreSQL 10, "9.6".
		version, err := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		if err != nil || version <= bestVersion {
			continue
		}
		if isFile(filepath.Join(dir, "initdb")) && isFile(filepath.Join(dir, "pg_ctl")) {
			best, bestVersion = dir, version
		}
	}
	if best == "" {
		return "", "", errNoBinaries
	}
	return filepath.Join(best, "initdb"), filepath.Join(best, "pg_ctl"), nil
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// freePort asks the kernel for a free loopback port. The listener is closed
// before the postmaster binds the port, so the port can be taken in between;
// startCluster retries once for that.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// checkSearchable reports an error if some directory from dir up to the root
// cannot be entered by other users, which is how the unprivileged user would
// see it. Checking only the "other" bit is a simplification, but it catches
// the usual case, TMPDIR under /root.
func checkSearchable(dir, userName string) error {
	for {
		info, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("user %s cannot enter %s (mode %s), so PostgreSQL cannot use a temporary directory below it; set TMPDIR to a directory such as /tmp",
				userName, dir, info.Mode().Perm())
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}
