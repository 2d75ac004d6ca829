package pass

import (
	"bytes"
	"fmt"
	"image/png"

	qrcode "github.com/skip2/go-qrcode"
)

// maxQRSize bounds the image QRPNG draws, so a size taken from a request
// cannot make the server allocate a huge picture.
const maxQRSize = 2048

// QRPNG renders text as a size×size pixel PNG QR code with medium error
// correction, which survives a scratched or glary phone screen, and the
// standard white quiet zone of four modules around it, which scanners need
// to find the code. It fails if size is not positive, above 2048, or too
// small to draw every module of the code at least one pixel wide.
func QRPNG(text string, size int) ([]byte, error) {
	if size <= 0 || size > maxQRSize {
		return nil, fmt.Errorf("pass: qr code size %d outside 1..%d", size, maxQRSize)
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("pass: qr code: %w", err)
	}
	// go-qrcode silently enlarges an image that is too small; a caller asking
	// for size pixels should get exactly that or an error.
	img := q.Image(size)
	if got := img.Bounds().Dx(); got != size {
		return nil, fmt.Errorf("pass: qr code needs at least %d px, asked for %d", got, size)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("pass: qr code png: %w", err)
	}
	return buf.Bytes(), nil
}
