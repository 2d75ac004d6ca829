// Package browsertest drives a real headless Chromium against pages served on
// loopback, for the browser tests of SPEC §8: one browser per test binary, a
// fresh tab per test, and checks for what a person sees (accessibility, the
// font that drew Chinese text, the phone layout).
//
// A test package starts the browser in TestMain and opens a tab per test:
//
//	var browser *browsertest.Browser
//
//	func TestMain(m *testing.M) {
//		var stop func()
//		browser, stop = browsertest.Start()
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
//
//	func TestCheckinPage(t *testing.T) {
//		tab := browser.Tab(t, browsertest.Phone)
//		if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/checkin")); err != nil {
//			t.Fatal(err)
//		}
//		browsertest.RequireCJKFont(t, tab, "h1")
//		browsertest.Axe(t, tab)
//	}
//
// Import it from _test.go files only, so that chromedp stays out of the
// epiguard binary.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Viewport is the size of a tab's window in CSS pixels. Mobile also turns on
// touch events and a phone's pixel density.
type Viewport struct {
	Width, Height int
	Mobile        bool
}

// Phone is a common phone in portrait (SPEC §7.4: personal pages are
// mobile-first). Desktop is a common laptop screen for staff pages.
var (
	Phone   = Viewport{Width: 390, Height: 844, Mobile: true}
	Desktop = Viewport{Width: 1366, Height: 900, Mobile: false}
)

// acceptLanguage and locale make the browser ask for Chinese, as most of our
// users' phones do; zh-CN is the product's default language (SPEC §7.4).
const (
	acceptLanguage = "zh-CN,zh"
	locale         = "zh-CN"
)

// tabTimeout bounds everything a tab does, so that a page that never loads
// fails its own test in a minute instead of hanging the whole binary until
// go test's ten-minute timeout.
const tabTimeout = time.Minute

// requireEnv names the variable that CI sets so that a missing browser fails
// the tests instead of skipping them (SPEC §8).
const requireEnv = "EPIGUARD_REQUIRE_BROWSER"

// Browser is one headless Chromium shared by the tests of a package. Start
// makes it; the process itself starts at the first Tab, so a test binary
// whose selected tests open no tab (go test -run, -list) pays nothing for it.
type Browser struct {
	execPath string // empty when no browser was found
	missing  string // why no browser was found

	mu        sync.Mutex
	ctx       context.Context // the browser's first chromedp context; tabs are its children
	userAgent string          // the browser's own, kept when a tab overrides Accept-Language
	dataDir   string
	err       error // why the browser could not start, or errStopped
	stop      func()
}

var errStopped = errors.New("browsertest: Tab called after stop")

// Start finds a Chromium for this test binary and returns the Browser and a
// stop func that closes the browser and removes its profile directory. It
// never fails: when no browser exists, every Tab skips its test with the
// reason, or fails it when EPIGUARD_REQUIRE_BROWSER=1.
func Start() (*Browser, func()) {
	b := &Browser{}
	b.execPath, b.missing = findChromium()
	return b, b.close
}

// findChromium returns the path of a Chromium or Chrome binary, or an empty
// path and the reason.
func findChromium() (path, missing string) {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "no browser found (looked for /usr/bin/chromium, and chromium, chromium-browser, google-chrome on PATH); " +
		"on Debian: apt-get install --no-install-recommends chromium fonts-noto-cjk"
}

// Tab opens a new tab in a new browser context, so that cookies and storage
// never leak between tests, sized to v and speaking zh-CN. It returns a
// chromedp context for the tab, which t.Cleanup closes. Tab skips the test
// when no browser was found, unless EPIGUARD_REQUIRE_BROWSER=1, and fails it
// when the browser exists but cannot start.
func (b *Browser) Tab(t testing.TB, v Viewport) context.Context {
	t.Helper()
	if b == nil {
		t.Fatal("browsertest: Browser is nil; call browsertest.Start in TestMain")
	}
	if b.execPath == "" {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("browsertest: %s (%s=1)", b.missing, requireEnv)
		}
		t.Skipf("browsertest: skipped: %s", b.missing)
	}
	parent, userAgent, err := b.started()
	if err != nil {
		t.Fatal(err)
	}

	timeoutCtx, cancelTimeout := context.WithTimeout(parent, tabTimeout)
	ctx, _ := chromedp.NewContext(timeoutCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		// chromedp.Cancel waits until the tab and its browser context are
		// gone, so closed tabs do not pile up while later tests run.
		chromedp.Cancel(ctx)
		cancelTimeout()
	})

	// The first Do creates the tab. These overrides belong to the tab and
	// last across its navigations.
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			// Accept-Language for the server and navigator.language; the
			// user agent must be given, so we pass the browser's own.
			_, err := cdp.Call(ctx, tt, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
				UserAgent:      userAgent,
				AcceptLanguage: acceptLanguage,
			})
			if err != nil {
				return err
			}
			// Intl (dates and numbers formatted in the page) follows the
			// locale, not Accept-Language.
			_, err = cdp.Call(ctx, tt, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: locale})
			return err
		}),
	}
	if v.Mobile {
		steps = append(steps, chromedp.EmulateViewport(int64(v.Width), int64(v.Height),
			chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch))
	} else {
		steps = append(steps, chromedp.EmulateViewport(int64(v.Width), int64(v.Height)))
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browsertest: open tab: %v", err)
	}
	return ctx
}

// started returns the browser's first context, starting the browser on the
// first call. A failed start is remembered, so that every later Tab fails at
// once with the same error rather than trying again.
func (b *Browser) started() (context.Context, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil && b.err == nil {
		b.err = b.launch()
	}
	return b.ctx, b.userAgent, b.err
}

// launch starts the browser. It is called with b.mu held.
func (b *Browser) launch() error {
	dir, err := os.MkdirTemp("", "epiguard-browsertest-")
	if err != nil {
		return fmt.Errorf("browsertest: profile directory: %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(b.execPath),
		chromedp.UserDataDir(dir),
		// Chromium refuses to run as root with its sandbox, and CI runs as
		// root; the pages under test are our own, on loopback.
		chromedp.NoSandbox,
		// No display and no GPU on the test machines.
		chromedp.DisableGPU,
		// Tests must not reach the internet: no component or other
		// background downloads, no QUIC, and every host name except
		// loopback resolves to nothing, so a stray external URL in a page
		// fails fast instead of waiting on DNS. (Some of these are in
		// chromedp's defaults already; repeating them keeps the whole
		// promise in one place.)
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"),
		chromedp.NoFirstRun,
		// Sets Accept-Language for the browser's own requests too;
		// --lang does nothing in headless mode.
		chromedp.Flag("accept-lang", acceptLanguage),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp.Cancel, not the cancel func of NewContext, ends ctx: it closes
	// the browser gracefully and waits for it. Calling both would wait twice,
	// and the second wait never ends when the browser failed to start.
	ctx, _ := chromedp.NewContext(allocCtx)
	b.dataDir = dir
	b.stop = func() {
		chromedp.Cancel(ctx)
		cancelAlloc() // waits for the process to exit
	}

	// An empty Do starts the browser.
	if err := chromedp.Do(ctx); err != nil {
		return fmt.Errorf("browsertest: start %s: %w", b.execPath, err)
	}
	version, err := chromedp.CallBrowser(ctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("browsertest: browser version: %w", err)
	}
	b.ctx = ctx
	b.userAgent = version.UserAgent
	return nil
}

// close stops the browser, if it started, and removes its profile
// directory. Tab fails after close.
func (b *Browser) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stop != nil {
		b.stop()
		b.stop = nil
	}
	if b.dataDir != "" {
		if err := removeAll(b.dataDir); err != nil {
			fmt.Fprintf(os.Stderr, "browsertest: remove profile: %v\n", err)
		}
		b.dataDir = ""
	}
	b.ctx = nil
	b.err = errStopped
}

// removeAll retries os.RemoveAll for a moment, because Chromium's helper
// processes can still write into the profile just after the browser exits.
func removeAll(dir string) error {
	var err error
	for range 20 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}
