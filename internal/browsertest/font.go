package browsertest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/chromedp"
)

// queryTimeout bounds the wait for an element, so that a wrong selector fails
// in seconds rather than at the tab's deadline.
const queryTimeout = 10 * time.Second

// cjkFonts are parts of the names of fonts that have Chinese glyphs, as the
// platform reports them (for example "Noto Sans CJK SC").
var cjkFonts = []string{"Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Source Han", "Droid Sans Fallback"}

// FontOf returns the family names of the platform fonts that drew the text
// directly inside the first element matching the CSS selector, the font that
// drew the most glyphs first. It asks the renderer (CSS.getPlatformFontsForNode)
// because the computed font-family only says what the page asked for, not
// what the machine had. It fails the test if no element matches.
func FontOf(t testing.TB, ctx context.Context, selector string) []string {
	t.Helper()
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	fonts, err := chromedp.Run(qctx, chromedp.QueryAfter(chromedp.CSS(selector),
		func(ctx context.Context, tt *chromedp.Target, nodes []*chromedp.Node) ([]*css.PlatformFontUsage, error) {
			res, err := cdp.Call(ctx, tt, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: nodes[0].NodeID})
			return res.Fonts, err
		}))
	if err != nil {
		t.Fatalf("browsertest: fonts of %q: %v", selector, err)
	}
	slices.SortStableFunc(fonts, func(a, b *css.PlatformFontUsage) int {
		return cmp.Compare(b.GlyphCount, a.GlyphCount)
	})
	names := make([]string, 0, len(fonts))
	for _, f := range fonts {
		names = append(names, f.FamilyName)
	}
	return names
}

// RequireCJKFont fails the test unless a CJK font drew some of the text of
// the first element matching the selector. Without one, Chinese text renders
// as empty boxes while every text assertion still passes.
func RequireCJKFont(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	names := FontOf(t, ctx, selector)
	for _, name := range names {
		for _, cjk := range cjkFonts {
			if strings.Contains(name, cjk) {
				return
			}
		}
	}
	t.Errorf("browsertest: no CJK font drew %q; fonts used: %q (install fonts-noto-cjk)", selector, names)
}
