package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"epiguard/internal/browsertest"
	"epiguard/internal/demo"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// pressEnter presses Enter as a keyboard does: the key press produces the
// "\r" character only if the page does not cancel the keydown.
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, p := range []input.DispatchKeyEventParams{
		{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter", Text: "\r", UnmodifiedText: "\r", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
		{Type: input.DispatchKeyEventTypeKeyUp, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
	} {
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
			return err
		}
	}
	return nil
})

// gateEval evaluates a JavaScript expression in the tab.
func gateEval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// gateLoad runs a that makes the tab load a page, and waits for it.
func gateLoad[T any](t *testing.T, tab context.Context, a chromedp.Action[T]) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, a)); err != nil {
		t.Fatal(err)
	}
}

func gateGo(t *testing.T, tab context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserGate is a guard's morning on a phone: look a pupil up by number
// with the keyboard alone, let them in, find them in the log, register a
// visitor; every gate page passes axe-core.
func TestBrowserGate(t *testing.T) {
	base, db := demoServer(t)
	ctx := context.Background()
	acc, err := db.Authenticate(ctx, "guard", demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	pupils, _, err := db.People(ctx, acc.Scope(), store.PeopleQuery{Kind: domain.Student, Limit: 1})
	if err != nil || len(pupils) == 0 {
		t.Fatalf("a pupil of the guard's school: %v", err)
	}
	pupil := pupils[0]
	school, err := db.Org(ctx, acc.Scope(), acc.OrgID)
	if err != nil || school.Name != "实验中学" {
		t.Fatalf("the demo guard's scope = %v, %v", school, err)
	}

	tab := browser.Tab(t, browsertest.Phone)
	signInUI(t, tab, base, "guard")
	gateGo(t, tab, base+"/gate")
	browsertest.RequireCJKFont(t, tab, "main h1")
	browsertest.Axe(t, tab)
	noHorizontalScroll(t, tab, "/gate")
	if id := gateEval[string](t, tab, `document.activeElement.id`); id != "external_id" {
		t.Errorf("focus on /gate is on %q, want the number field", id)
	}
	if gateEval[bool](t, tab, `typeof window.jsQR !== "undefined"`) {
		t.Error("jsQR is loaded before scanning starts")
	}

	// Number, Enter, temperature, Enter.
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("external_id"), pupil.ExternalID), pressEnter); err != nil {
		t.Fatal(err)
	}
	if id := gateEval[string](t, tab, `document.activeElement.id`); id != "temperature_c" {
		t.Fatalf("Enter in the number field moved focus to %q, want the temperature", id)
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("temperature_c"), "36.6")); err != nil {
		t.Fatal(err)
	}
	gateLoad(t, tab, pressEnter)
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("gate-status"))); err != nil {
		t.Fatal(err)
	}
	name, _ := chromedp.Run(tab, chromedp.Text(chromedp.ID("gate-person")))
	status, _ := chromedp.Run(tab, chromedp.Text(chromedp.ID("gate-status")))
	if !strings.Contains(name, pupil.Name) || !strings.Contains(status, "码") {
		t.Fatalf("lookup result: %q / %q", name, status)
	}
	if cls := gateEval[string](t, tab, `document.activeElement.className`); !strings.Contains(cls, "suggested") {
		t.Errorf("focus after the lookup is on %q, want the suggested decision", cls)
	}
	browsertest.Axe(t, tab)
	noHorizontalScroll(t, tab, "lookup result")

	// The guard lets the pupil in and is back at an empty, focused field.
	gateLoad(t, tab, chromedp.Click(chromedp.CSS(`button[value="allow"]`)))
	done, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".gate-done")))
	if err != nil || !strings.Contains(done, pupil.Name) || !strings.Contains(done, "放行") {
		t.Fatalf("confirmation = %q, %v", done, err)
	}
	if id := gateEval[string](t, tab, `document.activeElement.id + "=" + document.activeElement.value`); id != "external_id=" {
		t.Errorf("after recording, focus is on %q, want the empty number field", id)
	}
	browsertest.Axe(t, tab)

	// Where the browser has a camera API (loopback is a secure context),
	// the scan button shows and starts the reader; without a camera it
	// says so.
	if gateEval[bool](t, tab, `!!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)`) {
		if gateEval[bool](t, tab, `document.getElementById("gate-scan").hidden`) {
			t.Error("scan button hidden although the camera API exists")
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("gate-scan"))); err != nil {
			t.Fatal(err)
		}
		started, err := chromedp.Run(tab, chromedp.Poll[bool](`document.getElementById("gate-scan-msg").textContent !== "" ||
			!!document.getElementById("gate-video").srcObject`, chromedp.WithPollingTimeout(15*time.Second)))
		if err != nil || !started {
			t.Fatalf("scanner did not start or report: %v", err)
		}
		if !gateEval[bool](t, tab, `typeof window.jsQR === "function"`) {
			t.Error("jsQR was not loaded when scanning started")
		}
		browsertest.Axe(t, tab)
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("gate-scan-stop"))); err != nil {
			t.Fatal(err)
		}
		if !gateEval[bool](t, tab, `document.getElementById("gate-scanner").hidden && !document.getElementById("gate-video").srcObject`) {
			t.Error("closing the scanner left the camera on")
		}
	}

	gateGo(t, tab, base+"/gate/log")
	row, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("table.gate-log tbody tr")))
	if err != nil || !strings.Contains(row, pupil.Name) || !strings.Contains(row, "36.6") || !strings.Contains(row, "放行") || !strings.Contains(row, "guard") {
		t.Fatalf("gate log row = %q, %v", row, err)
	}
	browsertest.Axe(t, tab)
	noHorizontalScroll(t, tab, "/gate/log")

	gateGo(t, tab, base+"/gate/visitors")
	browsertest.Axe(t, tab)
	noHorizontalScroll(t, tab, "/gate/visitors")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("v-name"), "访客张"),
		chromedp.SendKeys(chromedp.ID("v-id"), validID("11010519900307123")),
		chromedp.SendKeys(chromedp.ID("v-phone"), "13900139000"),
		chromedp.SendKeys(chromedp.ID("v-host"), "初一(1)班班主任"),
		chromedp.SendKeys(chromedp.ID("v-purpose"), "家长会"),
		chromedp.Click(chromedp.CSS(`input[name="symptoms"][value="cough"]`)),
		chromedp.SendKeys(chromedp.ID("v-temp"), "36.4"),
	); err != nil {
		t.Fatal(err)
	}
	gateLoad(t, tab, chromedp.Click(chromedp.CSS(`form.gate-visitor-form button[type=submit]`)))
	saved, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".gate-saved")))
	if err != nil || !strings.Contains(saved, "访客张") || !strings.Contains(saved, "复核") || !strings.Contains(saved, "110***********") {
		t.Fatalf("visitor saved = %q, %v", saved, err)
	}
	if loc, _ := chromedp.Run(tab, chromedp.Location()); !strings.HasSuffix(loc, "/gate/visitors") {
		t.Errorf("after saving, the address is %s", loc)
	}
	browsertest.Axe(t, tab)
	noHorizontalScroll(t, tab, "visitor saved")

	// The narrowest phones the product supports.
	narrow := browser.Tab(t, browsertest.Viewport{Width: 360, Height: 740, Mobile: true})
	signInUI(t, narrow, base, "guard")
	for _, p := range []string{"/gate", "/gate/visitors", "/gate/log"} {
		gateGo(t, narrow, base+p)
		noHorizontalScroll(t, narrow, p+" at 360 px")
	}
}
