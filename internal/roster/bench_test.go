package roster

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

const benchRows = 100_000

var benchHeader = []string{"学号", "姓名", "类别", "班级编码", "性别", "出生日期", "身份证号", "手机号", "监护人", "监护人电话", "宿舍编码", "标签"}

// benchRow returns the cells of the i-th generated person, all valid.
func benchRow(i int) []any {
	birth := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%3000)
	gender := "男"
	if i%2 == 1 {
		gender = "女"
	}
	// The sequence number varies fastest so identity numbers stay unique.
	id := validID(birth.Format("20060102"), i/3000)
	return []any{
		fmt.Sprintf("S%06d", i),
		"学生" + fmt.Sprint(i),
		"学生",
		fmt.Sprintf("C%04d", i/45),
		gender,
		birth,
		id,
		fmt.Sprintf("138%08d", i),
		"家长" + fmt.Sprint(i),
		fmt.Sprintf("139%08d", i),
		fmt.Sprintf("D%03d", i/6),
		"key_person;returnee",
	}
}

func benchCSV() []byte {
	var b strings.Builder
	b.WriteString(strings.Join(benchHeader, ",") + "\r\n")
	for i := range benchRows {
		cells := benchRow(i)
		cells[5] = cells[5].(time.Time).Format(time.DateOnly)
		for j, c := range cells {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, c)
		}
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// benchXLSX builds the benchmark workbook. Excel stores text in a shared
// string table, which is read into memory before the sheet; streaming
// writers, excelize's own included, store text inline in the sheet. Both
// kinds of file reach us, so both are measured.
func benchXLSX(b *testing.B, sharedStrings bool) []byte {
	f := excelize.NewFile()
	defer f.Close()
	header := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		header[i] = h
	}
	if sharedStrings {
		// SetSheetRow stores text in the shared string table and gives
		// time.Time cells a date format, as Excel does.
		if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
			b.Fatal(err)
		}
		for i := range benchRows {
			row := benchRow(i)
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		if err != nil {
			b.Fatal(err)
		}
		if err := sw.SetRow("A1", header); err != nil {
			b.Fatal(err)
		}
		for i := range benchRows {
			row := benchRow(i)
			row[5] = excelize.Cell{StyleID: dateStyle, Value: row[5]}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, row); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchParse(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Parse(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Rows) != benchRows {
			b.Fatalf("%d rows, problems %v", len(res.Rows), res.Problems[:min(5, len(res.Problems))])
		}
	}
}

func BenchmarkParseCSV100k(b *testing.B) {
	benchParse(b, benchCSV())
}

func BenchmarkParseXLSX100k(b *testing.B) {
	b.Run("shared_strings", func(b *testing.B) { benchParse(b, benchXLSX(b, true)) })
	b.Run("inline_strings", func(b *testing.B) { benchParse(b, benchXLSX(b, false)) })
}
