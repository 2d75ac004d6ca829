package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"epiguard/internal/browsertest"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

// rollRowView is what the test reads of one row of the roll grid.
type rollRowView struct {
	ID      string `json:"id"`
	Temp    string `json:"temp"`
	Absent  bool   `json:"absent"`
	Status  string `json:"status"`
	Reasons string `json:"reasons"`
	Record  string `json:"record"`
	Cough   bool   `json:"cough"`
}

const readRollRows = `Array.from(document.querySelectorAll("table.roll-grid tbody tr")).map(function (tr) {
  var chip = tr.querySelector(".chip");
  return {
    id: tr.id,
    temp: tr.querySelector("input.temp").value,
    absent: tr.querySelector('[data-col="absent"]').checked,
    status: chip ? chip.className : "",
    reasons: Array.from(tr.querySelectorAll("ul.reasons li")).map(function (li) { return li.textContent; }).join(" | "),
    record: tr.querySelector("td.rec").textContent.trim(),
    cough: tr.querySelector('[data-col="sym-cough"]').checked
  };
})`

// TestBrowserRoll is the demo class teacher of 初一(1)班 on a desktop:
// typing the morning check down the temperature column with the keyboard
// alone, then registering an illness absence, with axe-core auditing the
// roll, the absence lists and an absence's page. One demo database serves
// both, because loading it is slow.
func TestBrowserRoll(t *testing.T) {
	base, db := demoServer(t)
	class, err := db.OrgByCode(context.Background(), domain.System(), "SYZX-G1-C01")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("keyboard", func(t *testing.T) {
		tab := browser.Tab(t, browsertest.Desktop)
		signInUI(t, tab, base, "teacher")
		typeDownRoll(t, tab, fmt.Sprintf("%s/orgs/%d/roll?slot=morning", base, class.ID), "初一(1)班")
	})
	t.Run("accessibility", func(t *testing.T) {
		tab := browser.Tab(t, browsertest.Desktop)
		signInUI(t, tab, base, "teacher")
		auditRollPages(t, tab, base, class.ID)
	})
}

// typeDownRoll opens a roll and types three rows' temperatures down the
// column, one with a cough, then saves and reads the result.
func typeDownRoll(t *testing.T, tab context.Context, roll, unitName string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(roll)); err != nil {
		t.Fatal(err)
	}
	h1, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil || !strings.Contains(h1, unitName) {
		t.Fatalf("roll heading = %q, %v", h1, err)
	}
	browsertest.RequireCJKFont(t, tab, "main h1")
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]rollRowView](readRollRows))
	if err != nil {
		t.Fatal(err)
	}
	// Three rows in a row with nothing recorded and nothing against them
	// yet (the demo history may have made some people absent or yellow).
	start := -1
	for i := 0; i+3 <= len(rows) && start < 0; i++ {
		ok := true
		for _, r := range rows[i : i+3] {
			ok = ok && r.Temp == "" && !r.Absent && strings.Contains(r.Status, "status-green")
		}
		if ok {
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("no three free green rows on the roll of %d rows", len(rows))
	}
	first := rows[start].ID
	if err := chromedp.Do(tab, chromedp.Focus(chromedp.CSS("#"+first+" input.temp"))); err != nil {
		t.Fatal(err)
	}
	// Row 1 and 2: type, Enter. Row 3: 38.6, Tab to fever, Tab to cough,
	// Space ticks it.
	if err := chromedp.Do(tab,
		chromedp.KeyEvent("36.5"), chromedp.KeyEvent(kb.Enter),
		chromedp.KeyEvent("36.8"), chromedp.KeyEvent(kb.Enter),
		chromedp.KeyEvent("38.6"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(" "),
	); err != nil {
		t.Fatal(err)
	}
	// Still on the roll page: Enter moved, it did not submit.
	typed, err := chromedp.Run(tab, chromedp.Evaluate[[]rollRowView](readRollRows))
	if err != nil {
		t.Fatal(err)
	}
	got := typed[start : start+3]
	if got[0].Temp != "36.5" || got[1].Temp != "36.8" || got[2].Temp != "38.6" || !got[2].Cough || got[1].Cough {
		t.Fatalf("typed rows = %+v", got)
	}
	// ArrowUp goes back up the column.
	if err := chromedp.Do(tab, chromedp.Focus(chromedp.CSS("#"+got[2].ID+" input.temp")), chromedp.KeyEvent(kb.ArrowUp)); err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.activeElement.closest("tr").id + " " + document.activeElement.dataset.col`))
	if err != nil || focused != got[1].ID+" temp" {
		t.Fatalf("after ArrowUp the focus is on %q, want %q", focused, got[1].ID+" temp")
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("roll-save")))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("p.notice"))); err != nil {
		t.Fatal(err)
	}
	notice, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("p.notice")))
	if notice != "已保存 3 行。" {
		t.Fatalf("notice = %q", notice)
	}
	after, err := chromedp.Run(tab, chromedp.Evaluate[[]rollRowView](readRollRows))
	if err != nil {
		t.Fatal(err)
	}
	saved := after[start : start+3]
	for i, want := range []string{"36.5", "36.8", "38.6"} {
		if saved[i].Temp != want || !strings.Contains(saved[i].Record, "教师录入") {
			t.Errorf("row %d after saving = %+v", i+1, saved[i])
		}
	}
	if !strings.Contains(saved[0].Status, "status-green") || !strings.Contains(saved[2].Status, "status-yellow") ||
		!strings.Contains(saved[2].Reasons, "流感样") || !strings.Contains(saved[2].Reasons, "38.6") || !saved[2].Cough {
		t.Fatalf("statuses after saving: %+v", saved)
	}
	browsertest.Axe(t, tab)
}

// auditRollPages runs axe-core over the roll of a unit, then registers an
// illness absence of its first person through the form and audits the
// absence's page and the lists.
func auditRollPages(t *testing.T, tab context.Context, base string, classID int64) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(fmt.Sprintf("%s/orgs/%d/roll?slot=noon", base, classID))); err != nil {
		t.Fatal(err)
	}
	browsertest.Axe(t, tab)
	ext, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("table.roll-grid tbody td.mono").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/absences/new")); err != nil {
		t.Fatal(err)
	}
	browsertest.Axe(t, tab)
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("external_id"), ext),
		chromedp.SetValue(chromedp.ID("diagnosis"), "varicella"),
		chromedp.Click(chromedp.CSS(`input[name=symptoms][value=rash]`)),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`form[action="/absences"] button.primary`)))); err != nil {
		t.Fatal(err)
	}
	body, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(body, "全部皮疹结痂干燥") || !strings.Contains(body, "黄码") {
		t.Fatalf("absence page after registering:\n%s", body)
	}
	browsertest.Axe(t, tab)
	for _, p := range []string{"/absences", "/absences?open=1"} {
		if err := chromedp.Do(tab, chromedp.Navigate(base+p)); err != nil {
			t.Fatal(err)
		}
		browsertest.Axe(t, tab)
	}
}

// TestBrowserStaffPagesOnNarrowPhone opens the class teacher's roll and a
// health officer's alert on a 360 px phone (SPEC §7.4). Wide tables scroll
// inside their frame; the page itself must not grow wider than the phone,
// or the phone zooms the whole page out to fit.
func TestBrowserStaffPagesOnNarrowPhone(t *testing.T) {
	base, db := demoServer(t)
	ctx := context.Background()
	class, err := db.OrgByCode(ctx, domain.System(), "SYZX-G1-C01")
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := db.Alerts(ctx, adminScope(t, db), store.AlertQuery{State: store.AlertOpen, Limit: 1})
	if err != nil || len(alerts) == 0 {
		t.Fatalf("demo alerts: %d, %v", len(alerts), err)
	}
	narrow := browsertest.Viewport{Width: 360, Height: 740, Mobile: true}
	for _, c := range []struct{ user, path string }{
		{"teacher", fmt.Sprintf("/orgs/%d/roll", class.ID)},
		{"health", fmt.Sprintf("/alerts/%d", alerts[0].ID)},
	} {
		t.Run(c.user, func(t *testing.T) {
			tab := browser.Tab(t, narrow)
			signInUI(t, tab, base, c.user)
			if err := chromedp.Do(tab, chromedp.Navigate(base+c.path)); err != nil {
				t.Fatal(err)
			}
			noHorizontalScroll(t, tab, c.path)
		})
	}
}
