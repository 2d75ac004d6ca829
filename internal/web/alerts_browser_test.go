package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"epiguard/internal/alerting"
	"epiguard/internal/browsertest"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// TestBrowserAlertLifecycle: three pupils of the demo's 初一(1)班 turn up
// with jaundice on the same school day; the third check-in pushes the
// class over the similar-symptoms rule (≥ 3 in a day) and the alert
// appears in the school doctor's list on a phone. The doctor opens it,
// acknowledges it and closes it as not an outbreak.
func TestBrowserAlertLifecycle(t *testing.T) {
	base, db := demoServer(t)
	ctx := context.Background()
	class, err := db.OrgByCode(ctx, domain.System(), "SYZX-G1-C01")
	if err != nil {
		t.Fatal(err)
	}
	svc := &alerting.Service{DB: db, Loc: time.UTC}
	uc, err := svc.CalendarFor(ctx, class.ID)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	days, err := uc.Calendar.SchoolDaysBack(today, 1) // the latest school day, today on a weekday
	if err != nil || len(days) != 1 {
		t.Fatalf("latest school day: %v %v", days, err)
	}
	day := days[0]
	pupils, _, err := db.People(ctx, domain.System(), store.PeopleQuery{OrgID: class.ID, Limit: 3})
	if err != nil || len(pupils) != 3 {
		t.Fatalf("pupils: %d %v", len(pupils), err)
	}
	count := func() int {
		as, err := db.Alerts(ctx, domain.System(), store.AlertQuery{OrgID: class.ID, State: "active", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range as {
			if a.Subject == "jaundice" {
				n++
			}
		}
		return n
	}
	for i, p := range pupils {
		if got := count(); got != 0 {
			t.Fatalf("a jaundice alert after %d cases", i)
		}
		c := &domain.Checkin{PersonID: p.ID, Date: day, Slot: "noon", Symptoms: []string{"jaundice"}, Source: "teacher"}
		if _, err := db.RecordCheckin(ctx, domain.System(), c, domain.CheckinRules{Today: today}, domain.DefaultThresholds, "zh-CN"); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != 1 {
		t.Fatalf("jaundice alerts after three cases: %d", got)
	}

	tab := browser.Tab(t, browsertest.Phone)
	signInUI(t, tab, base, "health")
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/alerts")); err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(tab, chromedp.Evaluate[string](`(function () {
	  var a = Array.from(document.querySelectorAll("table.alerts td a")).find(function (a) { return a.textContent.indexOf("黄疸") >= 0; });
	  return a ? a.getAttribute("href") : "";
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if href == "" {
		t.Fatal("the jaundice alert is not in the health officer's list")
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="%s"]`, href))))); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".alert-head .alert-state")))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(s)
	}
	if got := state(); got != "待确认" {
		t.Fatalf("new alert state %q", got)
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("ack")))); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != "已确认" {
		t.Fatalf("after acknowledging: %q", got)
	}
	browsertest.Axe(t, tab)
	if err := chromedp.Do(tab, chromedp.SetValue(chromedp.ID("conclusion"), "not_an_outbreak")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("close")))); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != "已关闭" {
		t.Fatalf("after closing: %q", got)
	}
	if got := count(); got != 0 {
		t.Fatalf("jaundice alerts still active: %d", got)
	}
}
