package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

var browser *Browser

func TestMain(m *testing.M) {
	var stop func()
	browser, stop = Start()
	code := m.Run()
	stop()
	os.Exit(code)
}

// goodPage is the shape of a personal page: Chinese, a viewport for phones,
// and a form whose field has a label.
const goodPage = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>健康打卡</title>
</head>
<body>
<main>
<h1>健康打卡</h1>
<p id="latin" lang="en">Daily check-in</p>
<form method="post" action="/checkin">
<label for="temp">体温（℃）</label>
<input id="temp" name="temp" type="text" inputmode="decimal">
<button type="submit">提交</button>
</form>
</main>
</body>
</html>`

// badPage has two violations that axe rates critical: an image without alt
// text and a field without a label.
const badPage = `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>健康打卡</title></head>
<body>
<main>
<h1>健康打卡</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">
<form method="post" action="/checkin">
<input name="temp" type="text">
</form>
</main>
</body>
</html>`

// serve starts a loopback server for the test pages. It records the
// Accept-Language of the last request for TestTabSpeaksChinese.
func serve(t *testing.T) (url string, acceptLanguage func() string) {
	t.Helper()
	var mu sync.Mutex
	var lastLang string
	mux := http.NewServeMux()
	page := func(html string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			lastLang = r.Header.Get("Accept-Language")
			mu.Unlock()
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, html)
		}
	}
	mux.Handle("GET /good", page(goodPage))
	mux.Handle("GET /bad", page(badPage))
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", Path: "/"})
		page(goodPage)(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, func() string {
		mu.Lock()
		defer mu.Unlock()
		return lastLang
	}
}

// openPage opens a tab with viewport v and loads url in it.
func openPage(t *testing.T, v Viewport, url string) context.Context {
	t.Helper()
	tab := browser.Tab(t, v)
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	return tab
}

func TestFontOfChineseHeading(t *testing.T) {
	url, _ := serve(t)
	tab := openPage(t, Phone, url+"/good")

	fonts := FontOf(t, tab, "h1")
	t.Logf("h1 drawn with %q", fonts)
	RequireCJKFont(t, tab, "h1")

	// The check is not vacuous: English text is not drawn with a CJK font.
	rec := &recorder{TB: t}
	rec.run(func() { RequireCJKFont(rec, tab, "#latin") })
	if len(rec.failures) == 0 {
		t.Errorf("RequireCJKFont passed on English text drawn with %q", FontOf(t, tab, "#latin"))
	}
}

func TestAxePassesGoodPage(t *testing.T) {
	url, _ := serve(t)
	tab := openPage(t, Phone, url+"/good")
	Axe(t, tab)
}

func TestAxeFailsBadPage(t *testing.T) {
	url, _ := serve(t)
	tab := openPage(t, Desktop, url+"/bad")

	rec := &recorder{TB: t}
	rec.run(func() { Axe(rec, tab) })
	if len(rec.failures) != 1 {
		t.Fatalf("Axe reported %d failures, want 1: %q", len(rec.failures), rec.failures)
	}
	msg := rec.failures[0]
	for _, rule := range []string{"image-alt (critical)", "label (critical)"} {
		if !strings.Contains(msg, rule) {
			t.Errorf("Axe failure does not mention %s:\n%s", rule, msg)
		}
	}
	t.Logf("Axe reported, as it should:\n%s", msg)
}

func TestViewport(t *testing.T) {
	url, _ := serve(t)
	for _, tc := range []struct {
		name  string
		v     Viewport
		touch bool
	}{
		{"phone", Phone, true},
		{"desktop", Desktop, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := openPage(t, tc.v, url+"/good")
			width, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.innerWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if width != tc.v.Width {
				t.Errorf("window.innerWidth = %d, want %d", width, tc.v.Width)
			}
			touch, err := chromedp.Run(tab, chromedp.Evaluate[bool](`matchMedia("(pointer: coarse)").matches`))
			if err != nil {
				t.Fatal(err)
			}
			if touch != tc.touch {
				t.Errorf("coarse pointer = %v, want %v", touch, tc.touch)
			}
		})
	}
}

func TestTabSpeaksChinese(t *testing.T) {
	url, acceptLanguage := serve(t)
	tab := openPage(t, Desktop, url+"/good")
	if got := acceptLanguage(); !strings.HasPrefix(got, "zh-CN") {
		t.Errorf("server got Accept-Language %q, want zh-CN first", got)
	}
	for expr, want := range map[string]string{
		`navigator.language`:                             "zh-CN",
		`Intl.DateTimeFormat().resolvedOptions().locale`: "zh-CN",
	} {
		got, err := chromedp.Run(tab, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
}

func TestTabsDoNotShareCookies(t *testing.T) {
	url, _ := serve(t)
	first := openPage(t, Phone, url+"/signin")
	second := openPage(t, Phone, url+"/good")
	got, err := chromedp.Run(first, chromedp.Evaluate[string](`document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	if got != "session=abc" {
		t.Fatalf("first tab: document.cookie = %q, want session=abc", got)
	}
	got, err = chromedp.Run(second, chromedp.Evaluate[string](`document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	if got != "" {
		t.Errorf("second tab sees the first tab's cookie: document.cookie = %q", got)
	}
}

func TestScreenshot(t *testing.T) {
	url, _ := serve(t)
	tab := openPage(t, Phone, url+"/good")
	path := filepath.Join(t.TempDir(), "good.png")
	Screenshot(t, tab, path)
	png, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a PNG", path)
	}
}

// TestTabWithoutBrowser needs no browser: it checks the skip-or-fail rule of
// SPEC §8 on a Browser that found none, and that a browser that cannot start
// fails the test rather than hiding behind a skip.
func TestTabWithoutBrowser(t *testing.T) {
	missing := &Browser{missing: "no browser found (test)"}

	t.Setenv(requireEnv, "")
	rec := &recorder{TB: t}
	rec.run(func() { missing.Tab(rec, Phone) })
	if len(rec.skips) != 1 || len(rec.failures) != 0 {
		t.Errorf("without %s: skips %q, failures %q; want one skip", requireEnv, rec.skips, rec.failures)
	}

	t.Setenv(requireEnv, "1")
	rec = &recorder{TB: t}
	rec.run(func() { missing.Tab(rec, Phone) })
	if len(rec.failures) != 1 || len(rec.skips) != 0 {
		t.Errorf("with %s=1: skips %q, failures %q; want one failure", requireEnv, rec.skips, rec.failures)
	}

	t.Setenv(requireEnv, "")
	broken := &Browser{execPath: filepath.Join(t.TempDir(), "no-such-chromium")}
	defer broken.close()
	rec = &recorder{TB: t}
	rec.run(func() { broken.Tab(rec, Phone) })
	if len(rec.failures) != 1 || len(rec.skips) != 0 {
		t.Errorf("browser that cannot start: skips %q, failures %q; want one failure", rec.skips, rec.failures)
	}
}

// recorder is a testing.TB that records failures and skips instead of
// acting on them, so that a test can check that a helper fails a test when
// it should. Logs and everything else go to the real test.
type recorder struct {
	testing.TB
	failures []string
	skips    []string
}

// run calls f in its own goroutine, because Fatal and Skip end the goroutine
// of the test that calls them, and they must not end the real test.
func (r *recorder) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func (r *recorder) Error(args ...any)                 { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.Error(fmt.Sprintf(format, args...)) }
func (r *recorder) Fail()                             { r.Error("Fail called") }
func (r *recorder) FailNow()                          { r.Error("FailNow called"); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Skip(args ...any) {
	r.skips = append(r.skips, fmt.Sprint(args...))
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) { r.Skip(fmt.Sprintf(format, args...)) }
func (r *recorder) SkipNow()                         { r.Skip("SkipNow called") }
