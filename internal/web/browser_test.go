package web_test

import (
	"context"
	"epiguard/internal/alerting"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"epiguard/internal/browsertest"
	"epiguard/internal/demo"
	"epiguard/internal/domain"
	"epiguard/internal/secret"
	"epiguard/internal/store"
	"epiguard/internal/web"
)

// The demo data set with its simulated history takes a while to load, so
// the browser tests share one server over one seeded database. Tests
// therefore use people and units no other test changes in a conflicting way.
var shared struct {
	once sync.Once
	url  string
	db   *store.DB
	err  error
	stop func()
}

// demoServer returns the shared server over the demo data set.
func demoServer(t *testing.T) (string, *store.DB) {
	t.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "epiguard-web-demo-")
		if err != nil {
			shared.err = err
			return
		}
		box, _ := secret.NewBox(make([]byte, secret.KeySize))
		db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "demo.db"), store.Options{Box: box})
		if err != nil {
			shared.err = err
			return
		}
		if _, err := db.Migrate(ctx); err != nil {
			shared.err = err
			return
		}
		if _, err := demo.Seed(ctx, db, slog.New(slog.DiscardHandler), time.Now().UTC().Format(time.DateOnly)); err != nil {
			shared.err = err
			return
		}
		// As epiguard serve does: records evaluate the cluster rules.
		alerts := &alerting.Service{DB: db, Log: slog.New(slog.DiscardHandler), Loc: time.UTC}
		db.SetSubjectHook(alerts.Touch)
		s, err := web.New(web.Config{DB: db, Demo: true, Location: time.UTC, PassKey: box.DerivedKey("gate pass"), Alerts: alerts})
		if err != nil {
			shared.err = err
			return
		}
		srv := httptest.NewServer(s.Handler())
		shared.url, shared.db = srv.URL, db
		shared.stop = func() {
			srv.Close()
			db.Close()
			os.RemoveAll(dir)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.url, shared.db
}

// signInUI fills the sign-in form as a person would and waits for the
// dashboard.
func signInUI(t *testing.T, tab context.Context, base, user string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/login")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, "/login") {
		text, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("%s did not get past sign-in: %s", user, text)
	}
}

// noHorizontalScroll fails if the page is wider than the viewport, the
// usual way a layout breaks on a phone. It compares with clientWidth, the
// viewport's own width: a phone zooms a too-wide page out until it fits,
// and then innerWidth grows with the page.
func noHorizontalScroll(t *testing.T, tab context.Context, what string) {
	t.Helper()
	over, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if over > 0 {
		t.Errorf("%s: page is %d px wider than the viewport", what, over)
	}
}

func TestBrowserDemoAccountsSignIn(t *testing.T) {
	base, _ := demoServer(t)
	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"phone", browsertest.Phone}, {"desktop", browsertest.Desktop}} {
		for _, a := range demo.Accounts() {
			t.Run(v.name+"/"+a.Username, func(t *testing.T) {
				tab := browser.Tab(t, v.vp)
				signInUI(t, tab, base, a.Username)
				h1, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main h1")))
				if err != nil || h1 != "工作台" {
					t.Fatalf("dashboard heading = %q, %v", h1, err)
				}
				browsertest.RequireCJKFont(t, tab, "main h1")
				noHorizontalScroll(t, tab, a.Username+" dashboard")
			})
		}
	}
}

// TestBrowserAccessibility audits every page of the registry with axe-core
// on a phone and on a desktop.
func TestBrowserAccessibility(t *testing.T) {
	base, db := demoServer(t)
	ctx := context.Background()
	list, _, err := db.People(ctx, adminScope(t, db), store.PeopleQuery{Limit: 1})
	if err != nil || len(list) == 0 {
		t.Fatalf("demo people: %v", err)
	}
	pages := []string{"/", "/orgs", "/people", "/people?q=王", fmt.Sprintf("/people/%d", list[0].ID),
		fmt.Sprintf("/people/%d?unmask=1", list[0].ID), "/people/new", "/import", "/accounts", "/tokens", "/audit"}
	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"phone", browsertest.Phone}, {"desktop", browsertest.Desktop}} {
		t.Run(v.name, func(t *testing.T) {
			tab := browser.Tab(t, v.vp)
			if err := chromedp.Do(tab, chromedp.Navigate(base+"/login")); err != nil {
				t.Fatal(err)
			}
			browsertest.Axe(t, tab)
			signInUI(t, tab, base, "admin")
			for _, p := range pages {
				if err := chromedp.Do(tab, chromedp.Navigate(base+p)); err != nil {
					t.Fatal(err)
				}
				browsertest.Axe(t, tab)
				if v.vp == browsertest.Phone {
					noHorizontalScroll(t, tab, p)
				}
			}
		})
	}
}

// TestBrowserImportReport uploads a bad roster through the import page
// and reads the report.
func TestBrowserImportReport(t *testing.T) {
	base, _ := demoServer(t)
	tab := browser.Tab(t, browsertest.Desktop)
	signInUI(t, tab, base, "admin")
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/import")); err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/bad.csv"
	if err := writeFile(file, "学号,姓名,班级编码,手机号\nN1,新生,NOPE,123\n"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.ID("file"), []string{file})); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`form[action="/import"] button.primary`)))); err != nil {
		t.Fatal(err)
	}
	report, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("pre.report")))
	if err != nil {
		t.Fatal(err)
	}
	if report != "imported 0, updated 0, invalid 1" {
		t.Fatalf("report = %q", report)
	}
	body, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(body, "未写入任何数据") || !strings.Contains(body, "手机号") {
		t.Fatalf("page does not explain the problem:\n%s", body)
	}
	browsertest.Axe(t, tab)
}

// demoStudentLink returns a personal link of the n-th demo pupil of 初一(1)班
// (the teacher's roll test uses the first rows).
func demoStudentLink(t *testing.T, db *store.DB, n int) string {
	t.Helper()
	ctx := context.Background()
	acc, err := db.Authenticate(ctx, "teacher", demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := db.People(ctx, acc.Scope(), store.PeopleQuery{Limit: n + 1, Kind: "student"})
	if err != nil || len(list) <= n {
		t.Fatalf("demo pupil: %v", err)
	}
	tok, err := db.RotatePersonToken(ctx, domain.System(), list[n].ID)
	if err != nil {
		t.Fatal(err)
	}
	return "/p/" + tok
}

// TestBrowserOneTapCheckin: a pupil checks in "all normal" on a phone with
// a single tap on the page their link opens.
func TestBrowserOneTapCheckin(t *testing.T) {
	base, db := demoServer(t)
	link := demoStudentLink(t, db, 40)
	tab := browser.Tab(t, browsertest.Phone)
	if err := chromedp.Do(tab, chromedp.Navigate(base+link)); err != nil {
		t.Fatal(err)
	}
	browsertest.RequireCJKFont(t, tab, "main h1")
	browsertest.Axe(t, tab)
	noHorizontalScroll(t, tab, "personal page")
	taps := 0
	tap := func(sel string) {
		t.Helper()
		taps++
		if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Tap(chromedp.CSS(sel)))); err != nil {
			t.Fatalf("tap %s: %v", sel, err)
		}
	}
	tap(`form.normal-form button[type=submit]`)
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".status")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "打卡成功") || !strings.Contains(text, "今日已打卡") {
		t.Fatalf("after one tap the page says %q", text)
	}
	if taps > 3 {
		t.Fatalf("all-normal check-in took %d taps", taps)
	}
	browsertest.Axe(t, tab)
}

// TestBrowserFeverTurnsYellow: a check-in with fever shows a yellow status
// with its reason at once.
func TestBrowserFeverTurnsYellow(t *testing.T) {
	base, db := demoServer(t)
	link := demoStudentLink(t, db, 41)
	tab := browser.Tab(t, browsertest.Phone)
	if err := chromedp.Do(tab, chromedp.Navigate(base+link)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Tap(chromedp.CSS("details summary")),
		chromedp.WaitVisible(chromedp.CSS(`details input[name=temperature_c]`)),
		chromedp.SendKeys(chromedp.CSS(`details input[name=temperature_c]`), "38.6"),
		chromedp.Tap(chromedp.CSS(`details input[value=cough]`)),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Tap(chromedp.CSS(`details button[type=submit]`)))); err != nil {
		t.Fatal(err)
	}
	cls, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector(".status").className`))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".status")))
	if !strings.Contains(cls, "status-yellow") || !strings.Contains(text, "38.6") {
		t.Fatalf("status after fever: class %q text %q", cls, text)
	}
	browsertest.Axe(t, tab)
}
