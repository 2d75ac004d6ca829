package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"epiguard/internal/bench"
	"epiguard/internal/domain"
	"epiguard/internal/roster"
	"epiguard/internal/secret"
	"epiguard/internal/store"
)

// TestKillNineKeepsAcknowledgedCheckins is SPEC §7.2 end to end: the real
// binary serves check-ins from several clients and is killed with SIGKILL
// mid-load; after a restart every check-in that was answered 2xx is there,
// retries with the same client_id (answered or not) are idempotent, and
// each (person, date, slot) is one row.
func TestKillNineKeepsAcknowledgedCheckins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it mid-load; not with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "epiguard")
	if out, err := exec.Command(goTool, "build", "-ldflags=-s -w", "-o", bin, "epiguard/cmd/epiguard").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbPath, keyFile := filepath.Join(dir, "eg.db"), filepath.Join(dir, "epiguard.key")
	people, token := crashFixture(t, dbPath, keyFile, 300)

	// Yesterday and the day before in the server's time zone: valid
	// dates even if the test runs across midnight.
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	walk := bench.NewCheckins(people, bench.Dates(time.Now().AddDate(0, 0, -1), loc, 2), "crash", false)
	client := bench.NewClient(8)
	client.Timeout = 10 * time.Second

	srv := startServer(t, bin, dbPath, keyFile)
	var (
		mu      sync.Mutex
		acked   []*bench.Checkin // answered 2xx before the kill
		unacked []*bench.Checkin // sent, but the connection died first
		active  atomic.Int32
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	for range 8 {
		active.Add(1)
		wg.Go(func() {
			defer active.Add(-1)
			for !stop.Load() {
				c, err := walk.NextCheckin()
				if err != nil {
					return // every key used: the kill came too late to be mid-load
				}
				status, _, err := postCheckin(client, srv.url, token, c)
				mu.Lock()
				switch {
				case err != nil:
					unacked = append(unacked, c)
				case status/100 == 2:
					acked = append(acked, c)
				default:
					t.Errorf("check-in of %d before the kill: HTTP %d", c.PersonID, status)
				}
				mu.Unlock()
				if err != nil || status/100 != 2 {
					return
				}
			}
		})
	}
	// At least ~300 ms of load and a few acknowledged check-ins, then kill.
	start := time.Now()
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if time.Since(start) >= 300*time.Millisecond && n >= 10 || time.Since(start) > 8*time.Second {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if active.Load() == 0 {
		t.Fatal("the load ended before the kill")
	}
	srv.kill(t)
	stop.Store(true)
	wg.Wait()
	if t.Failed() {
		return
	}
	if len(acked) == 0 {
		t.Fatalf("no check-in was acknowledged before the kill\n%s", srv.log())
	}
	t.Logf("killed after %s: %d acknowledged, %d in flight", time.Since(start).Round(time.Millisecond), len(acked), len(unacked))

	// Restart. Retrying what was in flight stores it (or finds it stored);
	// replaying what was acknowledged finds it and changes nothing.
	srv = startServer(t, bin, dbPath, keyFile)
	for _, c := range unacked {
		if status, body, err := postCheckin(client, srv.url, token, c); err != nil || status/100 != 2 {
			t.Fatalf("retry of %s after restart: %d %v %+v", c.ClientID, status, err, body)
		}
	}
	for _, c := range acked {
		status, body, err := postCheckin(client, srv.url, token, c)
		if err != nil || status != http.StatusOK || !body.Replayed || body.Revision != 1 {
			t.Fatalf("replay of acknowledged %s after restart: %d %v %+v (lost or duplicated)", c.ClientID, status, err, body)
		}
	}
	// The API shows the acknowledged check-ins in the people's status.
	for _, c := range acked[:min(len(acked), 10)] {
		if !statusShows(t, client, srv.url, token, c) {
			t.Fatalf("status of person %d does not list the check-in of %s %s", c.PersonID, c.Date, c.Slot)
		}
	}
	srv.kill(t)

	// In the file: exactly the check-ins sent, one row each, revision 1,
	// and every client_id known.
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type key struct {
		person     int64
		date, slot string
	}
	rows := map[key]int{}
	rs, err := db.Query(`SELECT person_id, date, slot, revision FROM checkins`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var k key
		var rev int
		if err := rs.Scan(&k.person, &k.date, &k.slot, &rev); err != nil {
			t.Fatal(err)
		}
		if rev != 1 {
			t.Errorf("check-in %v has revision %d: a retry was stored twice", k, rev)
		}
		rows[k]++
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range append(acked, unacked...) {
		k := key{c.PersonID, c.Date, c.Slot}
		if rows[k] != 1 {
			t.Errorf("check-in %v: %d rows, want 1", k, rows[k])
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM checkin_clients WHERE client_id = $1`, c.ClientID).Scan(&n); err != nil || n != 1 {
			t.Errorf("client_id %s: %d rows (%v)", c.ClientID, n, err)
		}
	}
	if len(rows) != len(acked)+len(unacked) {
		t.Errorf("%d check-in rows, want %d (%d acknowledged + %d retried)", len(rows), len(acked)+len(unacked), len(acked), len(unacked))
	}
}

// crashFixture writes a school of n students, a health account and its
// API token through the store, with the key file the server will use.
func crashFixture(t *testing.T, dbPath, keyFile string, n int) ([]int64, string) {
	t.Helper()
	ctx := context.Background()
	key, err := secret.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, "sqlite:"+dbPath, store.Options{Box: box})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sys := domain.System()
	s := bench.NewSchool("CRASH", n, 50)
	if err := db.CreateOrgs(ctx, sys, s.Orgs); err != nil {
		t.Fatal(err)
	}
	if rep, err := db.ImportPeople(ctx, sys, s.Orgs[0].ID, &roster.Result{Rows: s.Rows, Total: n}, false); err != nil || rep.Imported != n {
		t.Fatalf("import: %v %v", err, rep)
	}
	acc := &domain.Account{Username: "doctor", Role: domain.RoleHealth, OrgID: s.Orgs[0].ID}
	if err := db.CreateAccount(ctx, sys, acc, "crash-test-password"); err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateAPIToken(ctx, sys, acc.ID, "crash test")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := db.PeopleIDs(ctx, s.Orgs[0].ID)
	if err != nil || len(ids) != n {
		t.Fatalf("people: %d %v", len(ids), err)
	}
	return ids, token
}

// server is a running `epiguard serve` child process.
type server struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logb bytes.Buffer
	done chan struct{}
}

var listeningURL = regexp.MustCompile(`msg=listening url=(http://\S+)`)

// startServer starts `epiguard serve` on a free loopback port and waits
// until it listens; the test's end kills it if it still runs.
func startServer(t *testing.T, bin, dbPath, keyFile string) *server {
	t.Helper()
	s := &server{done: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--db", "sqlite:"+dbPath, "--addr", "127.0.0.1:0")
	s.cmd.Env = append(os.Environ(), "EPIGUARD_KEY_FILE="+keyFile, "EPIGUARD_TZ=Asia/Shanghai", "EPIGUARD_LOG_LEVEL=")
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.kill(t) })
	urlc := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logb.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listeningURL.FindStringSubmatch(line); m != nil {
				urlc <- m[1]
			}
		}
	}()
	select {
	case s.url = <-urlc:
		return s
	case <-s.done:
		s.cmd.Wait()
		t.Fatalf("epiguard serve exited before listening:\n%s", s.log())
	case <-time.After(15 * time.Second):
		t.Fatalf("epiguard serve did not listen within 15 s:\n%s", s.log())
	}
	return nil
}

// kill sends SIGKILL (kill -9) and reaps the process; calling it again
// does nothing.
func (s *server) kill(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Logf("kill: %v", err)
	}
	<-s.done
	s.cmd.Wait()
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logb.String()
}

// checkinAnswer is the part of the check-in answer the test reads.
type checkinAnswer struct {
	ID       int64 `json:"id"`
	Revision int   `json:"revision"`
	Replayed bool  `json:"replayed"`
}

func postCheckin(client *http.Client, base, token string, c *bench.Checkin) (int, checkinAnswer, error) {
	var ans checkinAnswer
	body, err := json.Marshal(c)
	if err != nil {
		return 0, ans, err
	}
	req, err := http.NewRequest(http.MethodPost, base+"api/v1/checkins", bytes.NewReader(body))
	if err != nil {
		return 0, ans, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, ans, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, ans, err
	}
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, &ans); err != nil {
			return resp.StatusCode, ans, fmt.Errorf("answer %q: %w", b, err)
		}
	}
	return resp.StatusCode, ans, nil
}

// statusShows reports whether GET /api/v1/people/{id}/status lists the
// check-in c among the person's recent check-ins.
func statusShows(t *testing.T, client *http.Client, base, token string, c *bench.Checkin) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%sapi/v1/people/%d/status", base, c.PersonID), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Checkins []struct {
			Date, Slot string
		} `json:"checkins"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status of %d: HTTP %d %v", c.PersonID, resp.StatusCode, err)
	}
	for _, got := range st.Checkins {
		if got.Date == c.Date && strings.EqualFold(got.Slot, c.Slot) {
			return true
		}
	}
	return false
}
