package roster

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"
)

func tmpFixture(b *testing.B, shared bool) []byte {
	name := fmt.Sprintf("/tmp/roster_bench_%v.xlsx", shared)
	if data, err := os.ReadFile(name); err == nil {
		return data
	}
	data := benchXLSX(b, shared)
	os.WriteFile(name, data, 0o644)
	return data
}

func BenchmarkTmpXLSX(b *testing.B) {
	b.Run("shared_strings", func(b *testing.B) { benchParse(b, tmpFixture(b, true)) })
	b.Run("inline_strings", func(b *testing.B) { benchParse(b, tmpFixture(b, false)) })
}

func TestTmpSizes(t *testing.T) {
	for _, shared := range []bool{true, false} {
		data, err := os.ReadFile(fmt.Sprintf("/tmp/roster_bench_%v.xlsx", shared))
		if err != nil {
			t.Skip()
		}
		zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		for _, f := range zr.File {
			t.Logf("%v %s %d -> %d", shared, f.Name, f.CompressedSize64, f.UncompressedSize64)
			if f.Name == "xl/worksheets/sheet1.xml" || f.Name == "xl/sharedStrings.xml" {
				rc, _ := f.Open()
				buf := make([]byte, 1500)
				io.ReadFull(rc, buf)
				t.Logf("%s", buf)
				rc.Close()
			}
		}
	}
}
