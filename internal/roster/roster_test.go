package roster

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"epiguard/internal/domain"
)

// Valid identity numbers used below, with their birth dates.
const (
	id20100305a = "110105201003050016"
	id20100305b = "110105201003050024"
	id19900307  = "110105199003071239"
	id19491231  = "11010519491231002X"
)

// wantRow is the row that the header-and-encoding cases below all describe.
var wantRow = Row{
	Line:          2,
	ExternalID:    "S001",
	Name:          "张三",
	Kind:          "student",
	OrgCode:       "C0101",
	Gender:        "M",
	BirthDate:     "2010-03-05",
	IDNumber:      id20100305a,
	Phone:         "13812345678",
	GuardianName:  "张父",
	GuardianPhone: "13912345678",
	DormCode:      "D101",
	HouseholdCode: "",
	Tags:          []string{"key_person", "returnee"},
}

const englishCSV = "external_id,name,kind,org_code,gender,birth_date,id_number,phone,guardian_name,guardian_phone,dorm_code,household_code,tags\r\n" +
	"S001,张三,student,C0101,M,2010-03-05," + id20100305a + ",13812345678,张父,13912345678,D101,,key_person;returnee\r\n"

// chineseCSV has Chinese headers in another order.
const chineseCSV = "标签,姓名,手机号,学号,性别,出生日期,身份证号,类别,班级编码,监护人电话,监护人,宿舍编码\r\n" +
	"key_person；returnee,张三,138 1234 5678,S001,男,2010/3/5," + id20100305a + ",学生,C0101,+86 139-1234-5678,张父,D101\r\n"

func TestParseFormats(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(chineseCSV)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(chineseCSV, ",", "\t"))
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2010, 3, 5, 0, 0, 0, 0, time.UTC)
	xlsxHeader := []any{"\uFEFF学号", "姓名", "类别", "班级编码", "性别", "出生日期", "身份证号", "手机号", "监护人", "监护人电话", "宿舍编码", "标签"}
	xlsxRow := []any{"S001", "张三", "学生", "C0101", "男", date, id20100305a, 13812345678, "张父", "13912345678", "D101", "key_person;returnee"}

	tests := []struct {
		name     string
		data     string
		line     int    // line of the data row, if not 2
		idHeader string // header of external_id as written
	}{
		{"english", englishCSV, 0, "external_id"},
		{"english upper case and padded", strings.Replace(englishCSV, "external_id,name", " External_ID , NAME ", 1), 0, "External_ID"},
		{"chinese shuffled", chineseCSV, 0, "学号"},
		{"utf-8 bom", "\uFEFF" + chineseCSV, 0, "学号"},
		{"gbk", gbk, 0, "学号"},
		{"utf-16 with bom, tab separated", utf16, 0, "学号"},
		{"semicolon separated", strings.ReplaceAll(strings.Replace(englishCSV, "key_person;returnee", `"key_person;returnee"`, 1), ",", ";"), 0, "external_id"},
		{"tab separated", strings.ReplaceAll(englishCSV, ",", "\t"), 0, "external_id"},
		{"lf line ends", strings.ReplaceAll(englishCSV, "\r\n", "\n"), 0, "external_id"},
		{"cr line ends", strings.ReplaceAll(englishCSV, "\r\n", "\r"), 0, "external_id"},
		{"blank lines and rows", "\r\n,,,\r\n" + strings.Replace(englishCSV, "\r\n", "\r\n\r\n , \t, \r\n", 1), 6, "external_id"},
		{"unknown columns ignored", strings.NewReplacer("external_id,", "备注,external_id,", "S001,", "whatever,S001,").Replace(englishCSV), 0, "external_id"},
		{"工号 for external_id", strings.Replace(chineseCSV, "学号", "工号", 1), 0, "工号"},
		{"quoted cells", strings.Replace(englishCSV, "张父", `"张父"`, 1), 0, "external_id"},
		{"xlsx with date cell", string(xlsxFile(t, "名单", [][]any{xlsxHeader, xlsxRow})), 0, "学号"},
		{"xlsx with empty row", string(xlsxFile(t, "Sheet1", [][]any{xlsxHeader, nil, nil, xlsxRow})), 4, "学号"},
		{"xlsx date as text", string(xlsxFile(t, "Sheet1", [][]any{xlsxHeader, append(xlsxRow[:5:5], "2010/3/5", id20100305a, "13812345678", "张父", "13912345678", "D101", "key_person;returnee")})), 0, "学号"},
		{"xlsx date as serial number", string(xlsxFile(t, "Sheet1", [][]any{xlsxHeader, append(xlsxRow[:5:5], 40242, id20100305a, "13812345678", "张父", "13912345678", "D101", "key_person;returnee")})), 0, "学号"},
		{"xlsx 1904 date system", string(xlsxFile(t, "Sheet1", [][]any{xlsxHeader, xlsxRow}, func(f *excelize.File) {
			yes := true
			if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
				t.Fatal(err)
			}
		})), 0, "学号"},
		{"xlsx second sheet ignored", string(xlsxFile(t, "Sheet1", [][]any{xlsxHeader, xlsxRow}, func(f *excelize.File) {
			if _, err := f.NewSheet("other"); err != nil {
				t.Fatal(err)
			}
			if err := f.SetCellValue("other", "A1", "garbage"); err != nil {
				t.Fatal(err)
			}
		})), 0, "学号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseString(t, tt.data)
			if len(res.Problems) > 0 {
				t.Fatalf("problems: %q", problemStrings(res))
			}
			want := wantRow
			if tt.line != 0 {
				want.Line = tt.line
			}
			if res.Total != 1 || len(res.Rows) != 1 {
				t.Fatalf("Total = %d, Rows = %+v; want 1 row", res.Total, res.Rows)
			}
			if got := res.Rows[0]; !reflect.DeepEqual(got, want) {
				t.Errorf("row\n got %+v\nwant %+v", got, want)
			}
			if got := res.Column(FieldExternalID); got != tt.idHeader {
				t.Errorf("Column(external_id) = %q, want %q", got, tt.idHeader)
			}
		})
	}
}

func TestParseNormalises(t *testing.T) {
	res := parseString(t, lines(
		"external_id,name,kind,gender,birth_date,id_number,phone,tags",
		"A1,甲,Staff,female,,"+strings.ToLower(id19491231)+",+8613812345678,\"Key_Person, returnee，key_person;;\"",
		"A2,乙,居民,F,20100305,"+id20100305b+",,",
		"A3,丙,教职工,MALE,1949.12.31,"+id19491231[:17]+"x,,",
		"A4,丁,RESIDENT,女,2010年3月5日,,,",
		"A5,戊,,,2010-03-05 00:00:00,,,",
	))
	want := []Row{
		{Line: 2, ExternalID: "A1", Name: "甲", Kind: "staff", Gender: "F", BirthDate: "1949-12-31", IDNumber: id19491231, Phone: "13812345678", Tags: []string{"key_person", "returnee"}},
		{Line: 3, ExternalID: "A2", Name: "乙", Kind: "resident", Gender: "F", BirthDate: "2010-03-05", IDNumber: id20100305b},
		{Line: 4, ExternalID: "A3", Name: "丙", Kind: "staff", Gender: "M", BirthDate: "1949-12-31", IDNumber: id19491231},
		{Line: 5, ExternalID: "A4", Name: "丁", Kind: "resident", Gender: "F", BirthDate: "2010-03-05"},
		{Line: 6, ExternalID: "A5", Name: "戊", Kind: "student", BirthDate: "2010-03-05"},
	}
	// A3 repeats A1's identity number on purpose: see the duplicate below.
	if got := problemStrings(res); !reflect.DeepEqual(got, []string{"4:id_number: duplicate id_number, first on line 2"}) {
		t.Fatalf("problems = %q", got)
	}
	want = append(want[:2], want[3:]...)
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows\n got %+v\nwant %+v", res.Rows, want)
	}
	if res.Total != 5 {
		t.Errorf("Total = %d, want 5", res.Total)
	}
}

func TestParseProblems(t *testing.T) {
	const header = "学号,姓名,类别,性别,出生日期,身份证号,手机号,监护人电话,标签,班级编码"
	long := strings.Repeat("长", 65)
	tests := []struct {
		name string
		rows []string // after the header
		want []string
	}{
		{"external_id required", []string{",张三"}, []string{"2:学号: required"}},
		{"external_id too long", []string{strings.Repeat("x", 65) + ",张三"}, []string{"2:学号: too long (max 64 characters)"}},
		{"external_id of 64 is fine", []string{strings.Repeat("x", 64) + ",张三"}, nil},
		{"name required", []string{"S1,  "}, []string{"2:姓名: required"}},
		{"name too long", []string{"S1," + long}, []string{"2:姓名: too long (max 64 characters)"}},
		{"name with line break", []string{"S1,\"张\n三\""}, []string{"2:姓名: contains a line break or control character"}},
		{"org code too long", []string{"S1,张三,,,,,,,," + long}, []string{"2:班级编码: too long (max 64 characters)"}},
		{"unknown kind", []string{"S1,张三,老师"}, []string{`2:类别: unknown kind "老师": use student, staff or resident`}},
		{"unknown gender", []string{"S1,张三,,未知"}, []string{`2:性别: unknown gender "未知": use 男, 女, M or F`}},
		{"unrecognised date", []string{"S1,张三,,,5/3/2010"}, []string{`2:出生日期: unrecognised date "5/3/2010": use YYYY-MM-DD`}},
		{"year alone", []string{"S1,张三,,,2010"}, []string{`2:出生日期: unrecognised date "2010": use YYYY-MM-DD`}},
		{"impossible date", []string{"S1,张三,,,2010-02-30"}, []string{`2:出生日期: invalid date "2010-02-30"`}},
		{"date out of range", []string{"S1,张三,,,1899-12-31"}, []string{`2:出生日期: date "1899-12-31" out of range: use 1900 to 2100`}},
		{"birth date in the future", []string{"S1,张三,,,2099-01-01"}, []string{`2:出生日期: birth date 2099-01-01 is in the future`}},
		{"id number check digit", []string{"S1,张三,,,," + id20100305a[:17] + "9"}, []string{"2:身份证号: invalid check digit"}},
		{"id number length", []string{"S1,张三,,,,1101052010030500"}, []string{"2:身份证号: must be 18 characters"}},
		{"id number birth date", []string{"S1,张三,,,,110105201002300016"}, []string{"2:身份证号: invalid birth date"}},
		{"phone", []string{"S1,张三,,,,,1381234567"}, []string{"2:手机号: not a mainland mobile number"}},
		{"guardian phone", []string{"S1,张三,,,,,,12812345678"}, []string{"2:监护人电话: not a mainland mobile number"}},
		{"tag", []string{"S1,张三,,,,,,,重点人员;returnee"}, []string{`2:标签: invalid tag "重点人员": use a-z, 0-9 and _ (max 32)`}},
		{"tags", []string{"S1,张三,,,,,,,a-b;returnee;" + strings.Repeat("t", 33)}, []string{`2:标签: invalid tags "a-b", "` + strings.Repeat("t", 32) + `…": use a-z, 0-9 and _ (max 32)`}},
		{"tag of 32 is fine", []string{"S1,张三,,,,,,," + strings.Repeat("t", 32)}, nil},
		{"birth date disagrees with id number", []string{"S1,张三,,,2010-03-06," + id20100305a}, []string{"2:出生日期: does not match the birth date in id_number"}},
		{
			"duplicate external_id",
			[]string{"S1,张三", "S2,李四", "S1,王五", "S1,赵六"},
			[]string{"4:学号: duplicate external_id, first on line 2", "5:学号: duplicate external_id, first on line 2"},
		},
		{
			"duplicate id_number, normalised",
			[]string{"S1,张三,,,," + id19491231, "S2,李四,,,," + strings.ToLower(id19491231)},
			[]string{"3:身份证号: duplicate id_number, first on line 2"},
		},
		{
			"duplicate of a rejected row",
			[]string{"S1,张三,老师", "S1,李四"},
			[]string{`2:类别: unknown kind "老师": use student, staff or resident`, "3:学号: duplicate external_id, first on line 2"},
		},
		{
			"many problems in column order",
			[]string{"S1,,x,y,2010-02-30,1,2,3,Ä,"},
			[]string{
				"2:姓名: required",
				`2:类别: unknown kind "x": use student, staff or resident`,
				`2:性别: unknown gender "y": use 男, 女, M or F`,
				`2:出生日期: invalid date "2010-02-30"`,
				"2:身份证号: must be 18 characters",
				"2:手机号: not a mainland mobile number",
				"2:监护人电话: not a mainland mobile number",
				`2:标签: invalid tag "ä": use a-z, 0-9 and _ (max 32)`,
			},
		},
		{"quoted multi-line cell keeps physical line numbers", []string{"S1,\"张\n三\"", "S2,"}, []string{
			"2:姓名: contains a line break or control character",
			"4:姓名: required",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseString(t, lines(append([]string{header}, tt.rows...)...))
			if got := problemStrings(res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tt.want)
			}
			rejected := map[int]bool{}
			for _, p := range res.Problems {
				rejected[p.Line] = true
			}
			if res.Total != len(tt.rows) || len(res.Rows)+len(rejected) != res.Total {
				t.Errorf("Total = %d, %d rows, %d rejected; want Total %d", res.Total, len(res.Rows), len(rejected), len(tt.rows))
			}
			for _, r := range res.Rows {
				if rejected[r.Line] {
					t.Errorf("line %d has problems but is in Rows", r.Line)
				}
			}
		})
	}
}

func TestParseProblemColumnAsWritten(t *testing.T) {
	res := parseString(t, lines("Name,External_Id,Phone", ",S1,123"))
	want := []string{"2:Name: required", "2:Phone: not a mainland mobile number"}
	if got := problemStrings(res); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	if got := res.Column(FieldTags); got != "tags" {
		t.Errorf("Column(tags) of a file without it = %q, want tags", got)
	}
}

func TestParseXLSXNumbers(t *testing.T) {
	// Phones and ids typed as numbers, and a row whose cells end early.
	data := xlsxFile(t, "Sheet1", [][]any{
		{"external_id", "name", "phone", "birth_date"},
		{2023001, "张三", 13812345678, 40242.75},
		{"S2", "李四"},
	})
	res, err := Parse(bytes.NewReader(data), "roster.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 2, ExternalID: "2023001", Name: "张三", Kind: "student", Phone: "13812345678", BirthDate: "2010-03-05"},
		{Line: 3, ExternalID: "S2", Name: "李四", Kind: "student"},
	}
	if len(res.Problems) > 0 || !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows %+v, problems %q; want %+v", res.Rows, problemStrings(res), want)
	}
}

func TestPlainNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.3812345678E10", "13812345678"},
		{"2023001.0", "2023001"},
		{"40242", "40242"},
		{"40242.75", "40242.75"},
		{"2010.3.5", "2010.3.5"},
		{"1.10105201003050E17", "1.10105201003050E17"}, // digits already lost
		{"S1.0", "S1.0"},
		{"", ""},
		{"Inf", "Inf"},
	}
	for _, tt := range tests {
		if got := plainNumber(tt.in); got != tt.want {
			t.Errorf("plainNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     string // date, or reason prefix when wantErr
		wantErr  bool
	}{
		{in: "2010-03-05", want: "2010-03-05"},
		{in: "2010/3/5", want: "2010-03-05"},
		{in: "2010.3.5", want: "2010-03-05"},
		{in: "20100305", want: "2010-03-05"},
		{in: "2010年3月5日", want: "2010-03-05"},
		{in: "2010-03-05T00:00:00Z", want: "2010-03-05"},
		{in: "2010/3/5 0:00", want: "2010-03-05"},
		{in: "40242", want: "2010-03-05"},
		{in: "40242.5", want: "2010-03-05"},
		{in: "38780", date1904: true, want: "2010-03-05"},
		{in: "1", want: "1900-01-01"},
		{in: "59", want: "1900-02-28"},
		{in: "61", want: "1900-03-01"},
		{in: "73415", want: "2100-12-31"},
		{in: "2000-02-29", want: "2000-02-29"},
		{in: "60", want: "invalid date", wantErr: true}, // Excel's 1900-02-29
		{in: "0", want: "date", wantErr: true},          // 1899-12-31
		{in: "73416", want: "date", wantErr: true},      // 2101-01-01
		{in: "1900-02-29", want: "invalid date", wantErr: true},
		{in: "2010-13-01", want: "invalid date", wantErr: true},
		{in: "2010-3", want: "unrecognised date", wantErr: true},
		{in: "2010.3", want: "unrecognised date", wantErr: true},
		{in: "2010", want: "unrecognised date", wantErr: true},
		{in: "10-3-5", want: "unrecognised date", wantErr: true},
		{in: "2010-3-5-1", want: "unrecognised date", wantErr: true},
		{in: "2010-03/05", want: "unrecognised date", wantErr: true},
		{in: "2010-003-05", want: "unrecognised date", wantErr: true},
		{in: "123456", want: "unrecognised date", wantErr: true},
		{in: "40242.", want: "unrecognised date", wantErr: true},
		{in: "yesterday", want: "unrecognised date", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, reason := parseDate(tt.in, tt.date1904)
			if tt.wantErr {
				if got != "" || !strings.HasPrefix(reason, tt.want) {
					t.Errorf("parseDate(%q) = %q, %q; want reason %q…", tt.in, got, reason, tt.want)
				}
				return
			}
			if got != tt.want || reason != "" {
				t.Errorf("parseDate(%q) = %q, %q; want %q", tt.in, got, reason, tt.want)
			}
		})
	}
}

// bigReader yields n bytes of a valid-looking CSV without holding them.
type bigReader struct {
	n, read int64
}

func (r *bigReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.read)]
	for i := range p {
		p[i] = "a,b\n"[(r.read+int64(i))%4]
	}
	r.read += int64(len(p))
	return len(p), nil
}

func TestParseFileErrors(t *testing.T) {
	valid := xlsxFile(t, "Sheet1", [][]any{{"external_id", "name"}, {"S1", "张三"}})
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/3)
	}
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	encrypted := append(bytes.Clone(ole), utf16LE("EncryptedPackage")...)
	// A workbook whose only sheet is empty.
	var emptyWorkbook bytes.Buffer
	{
		f := excelize.NewFile()
		defer f.Close()
		_ = f.Write(&emptyWorkbook)
	}
	// A ZIP holding no workbook.
	zipOnly := zipWith(t, "readme.txt", "hello")

	tests := []struct {
		name string
		r    io.Reader
		want string
	}{
		{"empty", strings.NewReader(""), "no data rows"},
		{"white space", strings.NewReader(" \r\n\t\n"), "no data rows"},
		{"bom only", strings.NewReader("\uFEFF"), "no data rows"},
		{"header only", strings.NewReader("external_id,name\r\n"), "no data rows"},
		{"header and blank rows", strings.NewReader("external_id,name\r\n,\r\n\r\n"), "no data rows"},
		{"xlsx header only", bytes.NewReader(xlsxFile(t, "Sheet1", [][]any{{"external_id", "name"}})), "no data rows"},
		{"xlsx empty sheet", bytes.NewReader(emptyWorkbook.Bytes()), "no data rows"},
		{"missing external_id", strings.NewReader("name\r\n张三\r\n"), "missing required column external_id (学号/工号)"},
		{"missing both", strings.NewReader("姓名2,备注\r\n张三,x\r\n"), "missing required column external_id (学号/工号); missing required column name (姓名)"},
		{"duplicate header", strings.NewReader("学号,姓名,工号\r\nS1,张三,S1\r\n"), `duplicate column external_id ("学号" and "工号")`},
		{"garbage", bytes.NewReader(garbage), "not a CSV or XLSX file"},
		{"invalid gb18030", strings.NewReader("external_id,name\r\nS1,\x81\x20\r\n"), "not a CSV or XLSX file"},
		{"nul byte", strings.NewReader("external_id,name\r\nS1,a\x00b\r\n"), "not a CSV or XLSX file"},
		{"legacy xls", bytes.NewReader(ole), "legacy .xls is not supported: save as .xlsx or CSV"},
		{"encrypted xlsx", bytes.NewReader(encrypted), "password-protected workbooks are not supported: remove the password and save again"},
		{"truncated xlsx", bytes.NewReader(valid[:len(valid)/2]), "cannot read XLSX: file is damaged or truncated"},
		{"zip magic only", strings.NewReader("PK\x03\x04"), "cannot read XLSX: file is damaged or truncated"},
		{"zip without workbook", bytes.NewReader(zipOnly), "cannot read XLSX: file is damaged or truncated"},
		{"too large", &bigReader{n: MaxBytes + 1}, "file too large (limit 100 MB)"},
		{"read error", io.MultiReader(strings.NewReader("external_id"), errReader{}), "cannot read the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(tt.r, "upload")
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want error %q", res, tt.want)
			}
			if _, ok := err.(*domain.Error); !ok || domain.ErrorCode(err) != domain.EInvalid || domain.ErrorMessage(err) != tt.want {
				t.Errorf("Parse error = %#v, want %s %q", err, domain.EInvalid, tt.want)
			}
		})
	}
}

// TestParseReadsAtMostMaxBytesPlusOne checks that a huge upload is not read
// to its end: the limit is enforced while reading, not after.
func TestParseReadsAtMostMaxBytesPlusOne(t *testing.T) {
	r := &bigReader{n: 2 * MaxBytes}
	if _, err := Parse(r, "big.csv"); domain.ErrorMessage(err) != "file too large (limit 100 MB)" {
		t.Fatalf("Parse error = %v", err)
	}
	if r.read > MaxBytes+1 {
		t.Errorf("read %d bytes, want at most %d", r.read, MaxBytes+1)
	}
}

func TestParseExactlyMaxBytes(t *testing.T) {
	// A file of exactly MaxBytes is accepted (it fails later, for its
	// content, not its size).
	_, err := Parse(&bigReader{n: MaxBytes}, "big.csv")
	if msg := domain.ErrorMessage(err); msg == "file too large (limit 100 MB)" {
		t.Fatalf("Parse error = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestProblemString(t *testing.T) {
	p := Problem{Line: 12, Column: "手机号", Reason: "not a mainland mobile number"}
	if got, want := p.String(), "12:手机号: not a mainland mobile number"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
