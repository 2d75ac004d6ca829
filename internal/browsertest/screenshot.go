package browsertest

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// Screenshot saves a PNG of the whole page loaded in the tab ctx to path, for
// a person looking at a page while developing it. Tests should not keep or
// compare screenshots: rendering differs between machines.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	// Quality 100 makes chromedp ask for PNG rather than JPEG.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
}
