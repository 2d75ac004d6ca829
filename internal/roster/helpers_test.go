package roster

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"epiguard/internal/domain"
)

// validID returns a valid identity number born on birth (YYYYMMDD) with
// sequence seq (0-999).
func validID(birth string, seq int) string {
	first := fmt.Sprintf("110105%s%03d", birth, seq%1000)
	return first + string(domain.IDNumberCheckChar(first))
}

// lines joins CSV lines with CRLF, as Excel writes them.
func lines(ls ...string) string {
	return strings.Join(ls, "\r\n") + "\r\n"
}

// xlsxFile builds a workbook whose first sheet, named sheet, holds rows
// (starting at A1; a nil row leaves the row empty). Cell values are written
// with their Go type, so a time.Time becomes a date cell.
func xlsxFile(t testing.TB, sheet string, rows [][]any, edit ...func(*excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for _, e := range edit {
		e(f)
	}
	for i, row := range rows {
		if row == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseString(t testing.TB, s string) *Result {
	t.Helper()
	res, err := Parse(strings.NewReader(s), "roster.csv")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

func problemStrings(res *Result) []string {
	var s []string
	for _, p := range res.Problems {
		s = append(s, p.String())
	}
	return s
}

// zipWith returns a ZIP archive holding one file.
func zipWith(t testing.TB, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
