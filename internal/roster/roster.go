// Package roster parses a people roster file, CSV or XLSX (SPEC §4.3), into
// normalised rows and a list of problems naming line, column and reason. It
// touches no database: the caller decides what to import.
package roster

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"epiguard/internal/domain"
)

// MaxBytes is the largest roster file Parse accepts.
const MaxBytes = 100 << 20

// Field is the canonical English name of a roster column.
type Field string

// The roster columns, in the order of SPEC §4.3.
const (
	FieldExternalID    Field = "external_id"
	FieldName          Field = "name"
	FieldKind          Field = "kind"
	FieldOrgCode       Field = "org_code"
	FieldGender        Field = "gender"
	FieldBirthDate     Field = "birth_date"
	FieldIDNumber      Field = "id_number"
	FieldPhone         Field = "phone"
	FieldGuardianName  Field = "guardian_name"
	FieldGuardianPhone Field = "guardian_phone"
	FieldDormCode      Field = "dorm_code"
	FieldHouseholdCode Field = "household_code"
	FieldTags          Field = "tags"
)

// col numbers the roster columns internally, so that looking a cell up is
// an array index rather than a map lookup on every cell of every row.
type col int

const (
	colExternalID col = iota
	colName
	colKind
	colOrgCode
	colGender
	colBirthDate
	colIDNumber
	colPhone
	colGuardianName
	colGuardianPhone
	colDormCode
	colHouseholdCode
	colTags
	numCols
)

// columns describes every column: its field and the header texts that name
// it, the canonical one first. Matching is case-insensitive.
var columns = [numCols]struct {
	field    Field
	names    []string
	required bool
}{
	colExternalID:    {FieldExternalID, []string{"external_id", "学号", "工号"}, true},
	colName:          {FieldName, []string{"name", "姓名"}, true},
	colKind:          {FieldKind, []string{"kind", "类别"}, false},
	colOrgCode:       {FieldOrgCode, []string{"org_code", "班级编码", "单位编码"}, false},
	colGender:        {FieldGender, []string{"gender", "性别"}, false},
	colBirthDate:     {FieldBirthDate, []string{"birth_date", "出生日期"}, false},
	colIDNumber:      {FieldIDNumber, []string{"id_number", "身份证号"}, false},
	colPhone:         {FieldPhone, []string{"phone", "手机号"}, false},
	colGuardianName:  {FieldGuardianName, []string{"guardian_name", "监护人"}, false},
	colGuardianPhone: {FieldGuardianPhone, []string{"guardian_phone", "监护人电话"}, false},
	colDormCode:      {FieldDormCode, []string{"dorm_code", "宿舍编码"}, false},
	colHouseholdCode: {FieldHouseholdCode, []string{"household_code", "户编码"}, false},
	colTags:          {FieldTags, []string{"tags", "标签"}, false},
}

// headerCols maps a lower-cased header text to its column.
var headerCols = func() map[string]col {
	m := make(map[string]col)
	for c, desc := range columns {
		for _, n := range desc.names {
			m[strings.ToLower(n)] = col(c)
		}
	}
	return m
}()

// Row is one valid-looking data row, normalised: kind is student, staff or
// resident; gender is "M", "F" or ""; dates are YYYY-MM-DD; identity and
// phone numbers are in their domain.Normalize form; tags are lower-case and
// unique.
type Row struct {
	Line int // 1-based line (CSV physical line where the record starts; XLSX row number); header is line 1

	ExternalID, Name, Kind, OrgCode, Gender, BirthDate, IDNumber, Phone, GuardianName, GuardianPhone, DormCode, HouseholdCode string

	Tags []string
}

// Problem is one rejected cell. Column is the header as written in the file.
type Problem struct {
	Line   int    `json:"line"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// String formats p as "LINE:COLUMN: reason", the import report's line format.
func (p Problem) String() string {
	return fmt.Sprintf("%d:%s: %s", p.Line, p.Column, p.Reason)
}

// Result is what Parse found in a file.
type Result struct {
	Rows     []Row     // only rows without problems
	Problems []Problem // sorted by line then column order
	Total    int       // data rows seen (excluding blank rows)

	columns map[Field]string // header text as written in the file, per field
}

// Column returns the header of f as written in the file, or f's canonical
// English name if the file has no such column.
func (r *Result) Column(f Field) string {
	if h, ok := r.columns[f]; ok {
		return h
	}
	return string(f)
}

// Parse reads a roster, CSV or XLSX, from r. The format and the text
// encoding are detected from the content, never from name, so a renamed
// file still parses; name is accepted for the caller's convenience and not
// used. At most MaxBytes are read.
//
// Problems in rows are reported in the Result, not as an error. Parse
// returns an EInvalid *domain.Error when the file as a whole cannot be used:
// too large, not CSV or XLSX, damaged, without data rows, or with a header
// that lacks a required column or repeats one.
func Parse(r io.Reader, name string) (*Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, invalid("cannot read the file")
	}
	if len(data) > MaxBytes {
		return nil, invalid("file too large (limit 100 MB)")
	}
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, errNoRows
	case bytes.HasPrefix(data, zipMagic):
		return parseXLSX(data)
	case bytes.HasPrefix(data, oleMagic):
		return nil, oleError(data)
	}
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	// A data row takes a line and, with two required cells, some bytes.
	hint := min(strings.Count(text, "\n"), len(text)/16)
	return newParser(hint).parse(csvRecords(text))
}

var errNoRows = invalid("no data rows")

// invalid returns an EInvalid error with a message safe to show the user.
func invalid(format string, args ...any) *domain.Error {
	return domain.Errorf(domain.EInvalid, format, args...)
}
