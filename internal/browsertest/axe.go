package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored from npm so that tests need neither Node
// nor the network; axe/VERSION says which release and how to update it.
//
//go:embed axe/axe.min.js
var axeSource string

// axeRun audits the page against WCAG 2.0 and 2.1 at levels A and AA, the
// level SPEC §7.4 asks for, and maps the result to plain data in the page:
// axe's own result objects are large and hold DOM references.
const axeRun = `axe.run(document, {
	runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
	resultTypes: ["violations", "incomplete"],
}).then(r => {
	const rules = list => list.map(rule => ({
		id: rule.id,
		impact: rule.impact || "",
		help: rule.help,
		helpUrl: rule.helpUrl,
		targets: rule.nodes.map(n => n.target.flat().join(" ")),
	}));
	return {url: r.url, violations: rules(r.violations), incomplete: rules(r.incomplete)};
})`

type axeResult struct {
	URL        string    `json:"url"`
	Violations []axeRule `json:"violations"`
	Incomplete []axeRule `json:"incomplete"`
}

type axeRule struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Targets []string `json:"targets"` // CSS selectors of the elements, one per element
}

// Axe runs axe-core on the page loaded in the tab ctx and fails the test,
// with one line per rule, if the page has violations of impact critical or
// serious (SPEC §7.4). Lesser violations and the rules axe could not decide
// ("incomplete", such as the contrast of text over an image) are logged for
// a human to check.
func Axe(t testing.TB, ctx context.Context) {
	t.Helper()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		t.Fatalf("browsertest: axe: %v", err)
	}
	if !loaded {
		// The trailing undefined keeps the script's last value, axe's
		// module object, from being sent back over the wire.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined")); err != nil {
			t.Fatalf("browsertest: load axe-core: %v", err)
		}
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: axe.run: %v", err)
	}

	var serious, lesser []string
	for _, r := range res.Violations {
		if r.Impact == "critical" || r.Impact == "serious" {
			serious = append(serious, r.describe())
		} else {
			lesser = append(lesser, r.describe())
		}
	}
	if len(lesser) > 0 {
		t.Logf("axe: %d minor or moderate violations on %s:\n%s", len(lesser), res.URL, strings.Join(lesser, "\n"))
	}
	if len(res.Incomplete) > 0 {
		var counts []string
		for _, r := range res.Incomplete {
			counts = append(counts, fmt.Sprintf("%s (%d)", r.ID, len(r.Targets)))
		}
		t.Logf("axe: %d rules need a human check on %s: %s", len(res.Incomplete), res.URL, strings.Join(counts, ", "))
	}
	if len(serious) > 0 {
		t.Errorf("axe: %d critical or serious accessibility violations on %s:\n%s",
			len(serious), res.URL, strings.Join(serious, "\n"))
	}
}

// describe formats a rule for a test log: its id, impact and help, the first
// few elements, and where to read about the fix.
func (r axeRule) describe() string {
	const shown = 3
	targets := r.Targets
	more := ""
	if len(targets) > shown {
		more = fmt.Sprintf(" and %d more", len(targets)-shown)
		targets = targets[:shown]
	}
	return fmt.Sprintf("\t%s (%s): %s: %s%s\n\t\t%s",
		r.ID, r.Impact, r.Help, strings.Join(targets, ", "), more, r.HelpURL)
}
