package pass

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"
)

func TestQRPNG(t *testing.T) {
	s, _ := newTestSigner(t)
	tok, _ := s.Issue(4217, DefaultTTL)
	for _, size := range []int{64, 256, 300} {
		b, err := QRPNG(tok, size)
		if err != nil {
			t.Fatalf("QRPNG(size %d): %v", size, err)
		}
		img, format, err := image.Decode(bytes.NewReader(b))
		if err != nil || format != "png" {
			t.Fatalf("size %d: decode = %q, %v; want a png", size, format, err)
		}
		if got := img.Bounds(); got != image.Rect(0, 0, size, size) {
			t.Errorf("size %d: bounds %v", size, got)
		}
		// The quiet zone makes the corners and edges white; the code itself
		// has dark modules.
		white := color.GrayModel.Convert(color.White)
		for _, p := range []image.Point{{0, 0}, {size - 1, 0}, {0, size - 1}, {size - 1, size - 1}, {size / 2, 0}} {
			if c := color.GrayModel.Convert(img.At(p.X, p.Y)); c != white {
				t.Errorf("size %d: pixel %v is %v, want white", size, p, c)
			}
		}
		if c := color.GrayModel.Convert(img.At(size/2, size/2)); c != white && c != color.GrayModel.Convert(color.Black) {
			t.Errorf("size %d: centre pixel %v is neither black nor white", size, c)
		}
	}
}

func TestQRPNGErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		size int
	}{
		"zero size":     {"P1.x", 0},
		"negative size": {"P1.x", -4},
		"huge size":     {"P1.x", 1 << 20},
		"too small":     {"P1.x", 10}, // version 1 plus quiet zone is 29 modules
		"text too long": {strings.Repeat("x", 4000), 512},
	} {
		t.Run(name, func(t *testing.T) {
			if b, err := QRPNG(tc.text, tc.size); err == nil {
				t.Errorf("QRPNG returned %d bytes, want an error", len(b))
			}
		})
	}
}
