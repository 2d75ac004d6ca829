package roster

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"epiguard/internal/domain"
)

// The tests below build workbooks by hand, part by part, to reach what
// excelize does not write: skipped cells and rows, rich text, sheets under
// other names, prefixed SpreadsheetML.

const (
	nsMain = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	relNS  = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	relDoc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
)

// zipParts returns a ZIP archive holding parts, by name.
func zipParts(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(parts[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// workbookParts returns the parts of a workbook whose only sheet, at
// xl/worksheets/sheet1.xml, has rows as the content of its <sheetData>,
// with a shared string table if sst is not empty (the <si> elements).
func workbookParts(rows, sst string) map[string]string {
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + relNS + `>` +
			`<Relationship Id="rId1" Type="` + relDoc + `officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<workbook ` + nsMain + `><workbookPr/><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + relNS + `>` +
			`<Relationship Id="rId1" Type="` + relDoc + `worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + relDoc + `sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": sheetPart(rows),
	}
	if sst != "" {
		parts["xl/sharedStrings.xml"] = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<sst ` + nsMain + `>` + sst + `</sst>`
	}
	return parts
}

func sheetPart(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet ` + nsMain + `><dimension ref="A1"/><sheetData>` + rows + `</sheetData><pageMargins left="0.7"/></worksheet>`
}

// parseParts parses the workbook made of parts, failing the test on error.
func parseParts(t *testing.T, parts map[string]string) *Result {
	t.Helper()
	res, err := Parse(bytes.NewReader(zipParts(t, parts)), "roster.xlsx")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

func checkRows(t *testing.T, res *Result, want []Row) {
	t.Helper()
	if len(res.Problems) > 0 {
		t.Errorf("problems: %q", problemStrings(res))
	}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows\n got %+v\nwant %+v", res.Rows, want)
	}
}

func TestXLSXSkippedCells(t *testing.T) {
	// B1 and B2 are absent: the cells after them must stay in column C,
	// or name would be read from the wrong column (or be missing).
	res := parseParts(t, workbookParts(
		`<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="C1" t="inlineStr"><is><t>name</t></is></c><c r="E1" t="inlineStr"><is><t>phone</t></is></c></row>`+
			`<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="C2" t="inlineStr"><is><t>张三</t></is></c><c r="E2"><v>13812345678</v></c></row>`+
			// Cells out of order, and one in a column the header lacks.
			`<row r="3"><c r="E3"><v>13912345678</v></c><c r="D3" t="inlineStr"><is><t>ignored</t></is></c><c r="C3" t="inlineStr"><is><t>李四</t></is></c><c r="A3" t="inlineStr"><is><t>S2</t></is></c></row>`,
		""))
	checkRows(t, res, []Row{
		{Line: 2, ExternalID: "S1", Name: "张三", Kind: "student", Phone: "13812345678"},
		{Line: 3, ExternalID: "S2", Name: "李四", Kind: "student", Phone: "13912345678"},
	})
	if got := res.Column(FieldName); got != "name" {
		t.Errorf("Column(name) = %q", got)
	}
}

func TestXLSXCellsAndRowsWithoutReferences(t *testing.T) {
	// Cells without r follow the previous cell; rows without r follow the
	// previous row. Some writers omit both.
	res := parseParts(t, workbookParts(
		`<row><c t="inlineStr"><is><t>external_id</t></is></c><c t="inlineStr"><is><t>name</t></is></c></row>`+
			`<row><c t="inlineStr"><is><t>S1</t></is></c><c t="inlineStr"><is><t>张三</t></is></c></row>`+
			`<row r="7"><c r="B7" t="inlineStr"><is><t>李四</t></is></c><c r="A7" t="inlineStr"><is><t>S2</t></is></c></row>`+
			`<row><c r="A8" t="inlineStr"><is><t>S3</t></is></c><c t="inlineStr"><is><t>王五</t></is></c></row>`,
		""))
	checkRows(t, res, []Row{
		{Line: 2, ExternalID: "S1", Name: "张三", Kind: "student"},
		{Line: 7, ExternalID: "S2", Name: "李四", Kind: "student"},
		{Line: 8, ExternalID: "S3", Name: "王五", Kind: "student"},
	})
}

func TestXLSXRowGaps(t *testing.T) {
	// Rows 2-4 and 6-9 are absent: lines are row numbers, as Excel shows
	// them, and problems name them.
	res := parseParts(t, workbookParts(
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`+
			`<row r="5"><c r="A5" t="s"><v>2</v></c><c r="B5" t="s"><v>3</v></c></row>`+
			`<row r="10" spans="1:2"><c r="A10" t="s"><v>2</v></c><c r="B10" t="s"><v>3</v></c></row>`+
			`<row r="11"/>`+
			`<row r="12"><c r="A12" s="3"/><c r="B12" t="s"><v>3</v></c></row>`,
		`<si><t>学号</t></si><si><t>姓名</t></si><si><t>S1</t></si><si><t>张三</t></si>`))
	want := []string{"10:学号: duplicate external_id, first on line 5", "12:学号: required"}
	if got := problemStrings(res); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	if res.Total != 3 || len(res.Rows) != 1 || res.Rows[0].Line != 5 {
		t.Errorf("Total = %d, rows %+v", res.Total, res.Rows)
	}
}

func TestXLSXSharedStrings(t *testing.T) {
	// Rich text runs concatenate; phonetic guides (<rPh>) do not count;
	// _xHHHH_ escapes decode; an empty <si/> is an empty string.
	sst := `<si><t>external_id</t></si>` +
		`<si><r><t>na</t></r><r><rPr><b/><sz val="11"/></rPr><t>me</t></r></si>` +
		`<si><r><rPr><b/></rPr><t>S</t></r><r><t xml:space="preserve">1 </t></r></si>` +
		`<si><r><t>张</t></r><r><t>三</t></r><rPh sb="0" eb="2"><t>ちょうさん</t></rPh><phoneticPr fontId="1"/></si>` +
		`<si/>` +
		`<si><t>guardian_name</t></si>` +
		`<si><t>a_x005F_x0041_b</t></si>`
	res := parseParts(t, workbookParts(
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>5</v></c></row>`+
			`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" t="s"><v>6</v></c></row>`+
			`<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>4</v></c></row>`,
		sst))
	checkRows(t, res, []Row{{Line: 2, ExternalID: "S1", Name: "张三", Kind: "student", GuardianName: "a_x0041_b"}})
	if res.Total != 1 {
		t.Errorf("Total = %d; the row of empty strings is blank", res.Total)
	}
}

func TestXLSXInlineStrings(t *testing.T) {
	res := parseParts(t, workbookParts(
		`<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="B1" t="inlineStr"><is><r><t>na</t></r><r><rPr><i/></rPr><t>me</t></r></is></c><c r="C1" t="inlineStr"><is><t>tags</t></is></c></row>`+
			`<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> S1 </t></is></c><c r="B2" t="inlineStr"><is><r><t>张</t></r><r><t>三</t></r><rPh sb="0" eb="1"><t>ちょう</t></rPh></is></c><c r="C2" t="inlineStr"><is><t>a&amp;b;c</t></is></c></row>`+
			`<row r="3"><c r="A3" t="inlineStr"><is><t>S2</t></is></c><c r="B3" t="inlineStr"><is><t>李_x000D__x000A_四</t></is></c></row>`,
		""))
	want := []string{
		`2:tags: invalid tag "a&b": use a-z, 0-9 and _ (max 32)`,
		"3:name: contains a line break or control character",
	}
	if got := problemStrings(res); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	res = parseParts(t, workbookParts(
		`<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="B1" t="inlineStr"><is><r><t>na</t></r><r><rPr><i/></rPr><t>me</t></r></is></c></row>`+
			`<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> S1 </t></is></c><c r="B2" t="inlineStr"><is><r><t>张</t></r><r><t>三</t></r><rPh sb="0" eb="1"><t>ちょう</t></rPh></is></c></row>`,
		""))
	checkRows(t, res, []Row{{Line: 2, ExternalID: "S1", Name: "张三", Kind: "student"}})
}

func TestXLSXCellTypes(t *testing.T) {
	res := parseParts(t, workbookParts(
		`<row r="1"><c r="A1" t="str"><f>"external_id"</f><v>external_id</v></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>birth_date</t></is></c><c r="D1" t="inlineStr"><is><t>phone</t></is></c></row>`+
			// A formula's cached result, an ISO date, a POI-style number.
			`<row r="2"><c r="A2" t="str"><f>"S"&amp;1</f><v>S1</v></c><c r="B2" t="inlineStr"><is><t>张三</t></is></c><c r="C2" t="d"><v>2010-03-05T00:00:00Z</v></c><c r="D2" t="n"><v>1.3812345678E10</v></c></row>`+
			// A date-formatted serial number, and a date without a time.
			`<row r="3"><c r="A3"><v>2023001</v></c><c r="B3" t="inlineStr"><is><t>李四</t></is></c><c r="C3" s="1"><v>40242</v></c></row>`+
			`<row r="4"><c r="A4" t="inlineStr"><is><t>S4</t></is></c><c r="B4" t="inlineStr"><is><t>王五</t></is></c><c r="C4" t="d"><v>2010-03-05</v></c></row>`,
		""))
	checkRows(t, res, []Row{
		{Line: 2, ExternalID: "S1", Name: "张三", Kind: "student", BirthDate: "2010-03-05", Phone: "13812345678"},
		{Line: 3, ExternalID: "2023001", Name: "李四", Kind: "student", BirthDate: "2010-03-05"},
		{Line: 4, ExternalID: "S4", Name: "王五", Kind: "student", BirthDate: "2010-03-05"},
	})
}

func TestXLSXDate1904(t *testing.T) {
	rows := `<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>birth_date</t></is></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="B2" t="inlineStr"><is><t>张三</t></is></c><c r="C2" s="1"><v>38780</v></c></row>`
	for _, tt := range []struct{ pr, want string }{
		{`<workbookPr date1904="1"/>`, "2010-03-05"},
		{`<workbookPr date1904="true" defaultThemeVersion="124226"/>`, "2010-03-05"},
		{`<workbookPr date1904="0"/>`, "2006-03-04"},
		{`<workbookPr/>`, "2006-03-04"},
		{``, "2006-03-04"},
	} {
		parts := workbookParts(rows, "")
		parts["xl/workbook.xml"] = strings.Replace(parts["xl/workbook.xml"], "<workbookPr/>", tt.pr, 1)
		res := parseParts(t, parts)
		checkRows(t, res, []Row{{Line: 2, ExternalID: "S1", Name: "张三", Kind: "student", BirthDate: tt.want}})
	}
}

func TestXLSXFindsFirstSheet(t *testing.T) {
	good := `<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="B2" t="inlineStr"><is><t>张三</t></is></c></row>`
	decoy := sheetPart(`<row r="1"><c r="A1" t="inlineStr"><is><t>garbage</t></is></c></row>`)
	want := []Row{{Line: 2, ExternalID: "S1", Name: "张三", Kind: "student"}}
	workbook := `<?xml version="1.0" encoding="UTF-8"?><workbook ` + nsMain + `><sheets>` +
		`<sheet name="名单" sheetId="3" r:id="rId7"/><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`
	rels := func(target string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + relNS + `>` +
			`<Relationship Id="rId1" Type="` + relDoc + `worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId7" Type="` + relDoc + `worksheet" Target="` + target + `"/></Relationships>`
	}

	t.Run("relative target", func(t *testing.T) {
		parts := workbookParts("", "")
		parts["xl/workbook.xml"] = workbook
		parts["xl/_rels/workbook.xml.rels"] = rels("worksheets/roster.xml")
		parts["xl/worksheets/sheet1.xml"] = decoy
		parts["xl/worksheets/roster.xml"] = sheetPart(good)
		checkRows(t, parseParts(t, parts), want)
	})
	t.Run("absolute target", func(t *testing.T) {
		parts := workbookParts("", "")
		parts["xl/workbook.xml"] = workbook
		parts["xl/_rels/workbook.xml.rels"] = rels("/xl/worksheets/名单 1.xml")
		parts["xl/worksheets/sheet1.xml"] = decoy
		parts["xl/worksheets/名单 1.xml"] = sheetPart(good)
		checkRows(t, parseParts(t, parts), want)
	})
	t.Run("percent-encoded target, other case", func(t *testing.T) {
		parts := workbookParts("", "")
		parts["xl/workbook.xml"] = workbook
		parts["xl/_rels/workbook.xml.rels"] = rels("Worksheets/My%20Sheet.XML")
		parts["xl/worksheets/sheet1.xml"] = decoy
		parts["xl/worksheets/my sheet.xml"] = sheetPart(good)
		checkRows(t, parseParts(t, parts), want)
	})
	t.Run("workbook elsewhere, prefixed SpreadsheetML", func(t *testing.T) {
		// As the Open XML SDK writes: x: prefixes, parts in other folders.
		x := strings.NewReplacer("<?", "<?", "</", "</x:", "<", "<x:", `xmlns=`, `xmlns:x=`)
		parts := map[string]string{
			"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + relNS + `>` +
				`<Relationship Id="R1" Type="` + relDoc + `officeDocument" Target="/book/main.xml"/></Relationships>`,
			"book/main.xml": x.Replace(workbook),
			"book/_rels/main.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + relNS + `>` +
				`<Relationship Id="rId7" Type="` + relDoc + `worksheet" Target="../sheets/a.xml"/>` +
				`<Relationship Id="rId9" Type="` + relDoc + `sharedStrings" Target="strings.xml"/></Relationships>`,
			"sheets/a.xml": x.Replace(sheetPart(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
				`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>`)),
			"book/strings.xml": x.Replace(`<sst ` + nsMain + `><si><t>external_id</t></si><si><t>name</t></si><si><t>S1</t></si><si><r><t>张三</t></r></si></sst>`),
		}
		checkRows(t, parseParts(t, parts), want)
	})
	t.Run("no relationships", func(t *testing.T) {
		parts := workbookParts(good, "")
		delete(parts, "xl/_rels/workbook.xml.rels")
		delete(parts, "_rels/.rels")
		checkRows(t, parseParts(t, parts), want)
	})
	t.Run("shared strings without relationship", func(t *testing.T) {
		parts := workbookParts(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`+
			`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>`,
			`<si><t>external_id</t></si><si><t>name</t></si><si><t>S1</t></si><si><t>张三</t></si>`)
		delete(parts, "xl/_rels/workbook.xml.rels")
		checkRows(t, parseParts(t, parts), want)
	})
}

func TestXLSXDamaged(t *testing.T) {
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>`
	row2 := `<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="B2" t="inlineStr"><is><t>张三</t></is></c></row>`
	valid := workbookParts(header+row2, "")
	with := func(name, content string) map[string]string {
		parts := maps.Clone(valid)
		if content == "" {
			delete(parts, name)
		} else {
			parts[name] = content
		}
		return parts
	}
	sheet := valid["xl/worksheets/sheet1.xml"]
	const damaged = "cannot read XLSX: file is damaged or truncated"
	tests := []struct {
		name  string
		parts map[string]string
	}{
		{"no workbook", with("xl/workbook.xml", "")},
		{"workbook not XML", with("xl/workbook.xml", "<workbook><sheets>")},
		{"no sheet part", with("xl/worksheets/sheet1.xml", "")},
		{"sheet truncated", with("xl/worksheets/sheet1.xml", sheet[:len(sheet)-40])},
		{"sheet truncated in a row", with("xl/worksheets/sheet1.xml", sheet[:strings.Index(sheet, "S1")])},
		{"tags crossed", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="2"><c r="A2"><v>1</c></v></row>`))},
		{"rows out of order", with("xl/worksheets/sheet1.xml", sheetPart(header+row2+strings.ReplaceAll(row2, `"2"`, `"1"`)))},
		{"row repeated", with("xl/worksheets/sheet1.xml", sheetPart(header+row2+row2))},
		{"row number not a number", with("xl/worksheets/sheet1.xml", sheetPart(`<row r="x"/>`+header+row2))},
		{"row beyond Excel's limit", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="1048577"><c r="A1048577"><v>1</v></c></row>`))},
		{"row after Excel's last", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="1048576"/><row/>`))},
		{"column beyond XFD", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="2"><c r="XFE2"><v>1</v></c></row>`))},
		{"column of cells without reference beyond XFD", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="2"><c r="XFD2"/><c><v>1</v></c></row>`))},
		{"bad cell reference", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="2"><c r="2A"><v>1</v></c></row>`))},
		{"shared string out of range", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="2"><c r="A2" t="s"><v>0</v></c></row>`))},
		{"shared string index not a number", with("xl/worksheets/sheet1.xml", sheetPart(header+`<row r="2"><c r="A2" t="s"><v>x</v></c></row>`))},
		{"shared strings not XML", with("xl/sharedStrings.xml", "<sst><si><t>x</si></sst>")},
		{"document type declaration", with("xl/worksheets/sheet1.xml", `<!DOCTYPE worksheet [<!ENTITY e "x">]>`+sheet)},
		{"not UTF-8", with("xl/worksheets/sheet1.xml", strings.Replace(sheet, "张三", "\xd5\xc5\xc8\xfd", 1))},
		{"declared encoding", with("xl/worksheets/sheet1.xml", strings.Replace(sheet, "UTF-8", "GB2312", 1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(zipParts(t, tt.parts)), "roster.xlsx")
			if domain.ErrorCode(err) != domain.EInvalid || domain.ErrorMessage(err) != damaged {
				t.Errorf("Parse = %+v, %v; want %q", res, err, damaged)
			}
		})
	}
}

func TestXLSXCorruptPart(t *testing.T) {
	// A part altered in the ZIP fails its checksum, even where the change
	// is in the part's tail, after the rows. The parts are stored
	// uncompressed so that a byte can be changed without breaking the
	// deflate stream.
	parts := workbookParts(
		`<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>`+
			`<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="B2" t="inlineStr"><is><t>张三</t></is></c></row>`, "")
	data := storedZip(t, parts, nil)
	if _, err := Parse(bytes.NewReader(data), "ok.xlsx"); err != nil {
		t.Fatalf("intact stored workbook: %v", err)
	}
	i := bytes.Index(data, []byte(`<pageMargins left="0.7"/>`))
	corrupt := bytes.Clone(data)
	corrupt[i+len(`<pageMargins left="0.`)] = '8'
	_, err := Parse(bytes.NewReader(corrupt), "corrupt.xlsx")
	if domain.ErrorMessage(err) != "cannot read XLSX: file is damaged or truncated" {
		t.Errorf("corrupt tail: Parse error = %v", err)
	}
}

// storedZip returns a ZIP of parts stored without compression, with the
// declared uncompressed sizes of the parts in sizes replaced (the archive is
// then inconsistent, as a ZIP bomb's may be).
func storedZip(t testing.TB, parts map[string]string, sizes map[string]uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		content := []byte(parts[name])
		h := &zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(content),
			CompressedSize64: uint64(len(content)), UncompressedSize64: uint64(len(content))}
		if n, ok := sizes[name]; ok {
			h.UncompressedSize64 = n
		}
		f, err := w.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSXUnpackLimits(t *testing.T) {
	parts := workbookParts(
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`+
			`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>`,
		`<si><t>external_id</t></si><si><t>name</t></si><si><t>S1</t></si><si><t>张三</t></si>`)
	const tooLarge = "cannot read XLSX: file is too large when unpacked"
	const damaged = "cannot read XLSX: file is damaged or truncated"
	tests := []struct {
		name  string
		sizes map[string]uint64
		want  string
	}{
		{"consistent", nil, ""},
		{"total beyond maxUnzipped", map[string]uint64{"xl/media/image1.png": maxUnzipped - 100}, tooLarge},
		{"shared strings beyond maxInMemory", map[string]uint64{"xl/sharedStrings.xml": maxInMemory + 1}, tooLarge},
		// A part that inflates beyond its declared size is cut off there.
		{"sheet larger than declared", map[string]uint64{"xl/worksheets/sheet1.xml": 300}, damaged},
		{"shared strings larger than declared", map[string]uint64{"xl/sharedStrings.xml": 100}, damaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := maps.Clone(parts)
			p["xl/media/image1.png"] = "png"
			_, err := Parse(bytes.NewReader(storedZip(t, p, tt.sizes)), "bomb.xlsx")
			if got := domain.ErrorMessage(err); err != nil && got != tt.want || err == nil && tt.want != "" {
				t.Errorf("Parse error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestXLSXSharedStringsMemoryBound(t *testing.T) {
	// Millions of empty strings cost string headers, not bytes of text:
	// they count against maxInMemory too. 256 MiB of headers is 16 Mi
	// entries; <si/> takes 5 bytes, so 80 MiB of XML is beyond the limit.
	if testing.Short() {
		t.Skip("builds an 80 MB part")
	}
	n := maxInMemory/16 + 1
	sst := strings.Repeat("<si/>", n)
	parts := workbookParts(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`, sst)
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		f, _ := w.Create(name)
		f.Write([]byte(parts[name]))
	}
	w.Close()
	_, err := Parse(bytes.NewReader(buf.Bytes()), "many.xlsx")
	if got := domain.ErrorMessage(err); got != "cannot read XLSX: file is too large when unpacked" {
		t.Errorf("Parse error = %v", err)
	}
}

func TestSplitCellRef(t *testing.T) {
	tests := []struct {
		ref      string
		col, row int
		ok       bool
	}{
		{"A1", 1, 1, true},
		{"b7", 2, 7, true},
		{"Z10", 26, 10, true},
		{"AA1", 27, 1, true},
		{"XFD1048576", 16384, 1048576, true},
		{"XFE1", 0, 0, false},
		{"A1048577", 0, 0, false},
		{"AAAA1", 0, 0, false},
		{"A0", 0, 0, false},
		{"A01", 0, 0, false},
		{"A", 0, 0, false},
		{"1", 0, 0, false},
		{"A1B", 0, 0, false},
		{"", 0, 0, false},
		{"$A$1", 0, 0, false},
	}
	for _, tt := range tests {
		col, row, ok := splitCellRef([]byte(tt.ref))
		if col != tt.col || row != tt.row || ok != tt.ok {
			t.Errorf("splitCellRef(%q) = %d, %d, %v; want %d, %d, %v", tt.ref, col, row, ok, tt.col, tt.row, tt.ok)
		}
	}
}

func TestUnescapeBSTR(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a_x000D_b", "a\rb"},
		{"_x000d__x000a_", "\r\n"},
		{"a_x005F_x000D_b", "a_x000D_b"},
		{"_xD83D__xDE00_", "😀"},
		{"_xD83D_", "\uFFFD"},
		{"_xDE00__xD83D_", "\uFFFD\uFFFD"},
		{"_x12", "_x12"},
		{"_x12G4_", "_x12G4_"},
		{"__x0041_", "_A"},
		{"_x4E2D__x", "中_x"},
	}
	for _, tt := range tests {
		if got := string(unescapeBSTR([]byte(tt.in))); got != tt.want {
			t.Errorf("unescapeBSTR(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseXLSX fuzzes the sheet and shared strings parts of a workbook,
// which FuzzParse rarely reaches through ZIP compression and checksums.
func FuzzParseXLSX(f *testing.F) {
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>name</t></is></c></row><row><c t="s"><v>1</v></c><c r="C2" t="inlineStr"><is><r><t>张</t></r><rPh><t>x</t></rPh></is></c></row>`,
		`<si><t>external_id</t></si><si><r><t>S</t></r><r><t>1</t></r></si>`)
	f.Add(`<row r="1"><c r="A1" t="str"><v>学号</v></c><c t="inlineStr"><is><t>姓名</t></is></c><c t="inlineStr"><is><t>出生日期</t></is></c></row><row r="3"><c r="A3"><v>2.023001E6</v></c><c r="B3" t="s"><v>0</v></c><c r="C3" t="d"><v>2010-03-05T00:00:00</v></c></row>`,
		`<si><t>a_x000D_b</t></si>`)
	f.Fuzz(func(t *testing.T, rows, sst string) {
		data := storedZip(t, workbookParts(rows, sst), nil) // faster than deflating
		res, err := Parse(bytes.NewReader(data), "fuzz.xlsx")
		if err != nil {
			if _, ok := err.(*domain.Error); !ok || domain.ErrorCode(err) != domain.EInvalid {
				t.Fatalf("error %#v is not an EInvalid *domain.Error", err)
			}
			return
		}
		if len(res.Rows) > res.Total {
			t.Fatalf("%d rows from %d seen", len(res.Rows), res.Total)
		}
		last := 0
		for _, p := range res.Problems {
			if p.Line < last {
				t.Fatalf("problems not sorted by line: %v", res.Problems)
			}
			last = p.Line
		}
		for _, r := range res.Rows {
			if r.ExternalID == "" || r.Name == "" {
				t.Fatalf("accepted row without external id or name: %+v", r)
			}
			for _, s := range []string{r.ExternalID, r.Name, r.OrgCode, r.GuardianName, r.DormCode, r.HouseholdCode} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in %+v", r)
				}
			}
		}
	})
}
