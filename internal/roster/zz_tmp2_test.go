package roster

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"io"
	"testing"
)

func sheetXML(b *testing.B, shared bool) []byte {
	data := tmpFixture(b, shared)
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, _ := f.Open()
			x, _ := io.ReadAll(rc)
			return x
		}
	}
	return nil
}

func BenchmarkTmpDecode(b *testing.B) {
	x := sheetXML(b, false)
	b.Run("unzip", func(b *testing.B) {
		data := tmpFixture(b, false)
		for b.Loop() {
			zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			for _, f := range zr.File {
				if f.Name == "xl/worksheets/sheet1.xml" {
					rc, _ := f.Open()
					io.Copy(io.Discard, rc)
				}
			}
		}
	})
	b.Run("token", func(b *testing.B) {
		b.SetBytes(int64(len(x)))
		b.ReportAllocs()
		for b.Loop() {
			d := xml.NewDecoder(bufio.NewReaderSize(bytes.NewReader(x), 64<<10))
			for {
				if _, err := d.Token(); err != nil {
					break
				}
			}
		}
	})
	b.Run("rawtoken", func(b *testing.B) {
		b.SetBytes(int64(len(x)))
		b.ReportAllocs()
		for b.Loop() {
			d := xml.NewDecoder(bufio.NewReaderSize(bytes.NewReader(x), 64<<10))
			for {
				if _, err := d.RawToken(); err != nil {
					break
				}
			}
		}
	})
}
