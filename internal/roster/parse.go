package roster

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"epiguard/internal/domain"
)

// maxText is the longest external id, name or code accepted, in characters.
const maxText = 64

// parser turns the records of one file, whatever its format, into a Result.
type parser struct {
	res      *Result
	pos      [numCols]int    // position of each column in the file's records, -1 if absent
	headers  [numCols]string // header of each column as written in the file
	date1904 bool            // XLSX serial dates count from 1904 (old Mac Excel)

	// First line of each external id and identity number, to report
	// duplicates inside the file.
	firstExternalID map[string]int
	firstIDNumber   map[string]int
}

// newParser returns a parser for a file of about rows data rows. The hint
// only sizes memory up front, which saves a 100,000-row import a quarter of
// its time spent growing slices and maps; it is capped so that a file of
// blank lines cannot reserve much.
func newParser(rows int) *parser {
	rows = min(max(rows, 0), 1<<17)
	p := &parser{
		res:             &Result{columns: make(map[Field]string), Rows: make([]Row, 0, rows)},
		firstExternalID: make(map[string]int, rows),
		firstIDNumber:   make(map[string]int, rows),
	}
	for c := range p.pos {
		p.pos[c] = -1
	}
	return p
}

// parse reads the header, the first non-blank record, then every data
// record. Blank records are skipped wherever they are.
func (p *parser) parse(next records) (*Result, error) {
	seenHeader := false
	for {
		line, cells, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if e, ok := errors.AsType[*domain.Error](err); ok {
				return nil, e
			}
			return nil, invalid("cannot read the file")
		}
		if blank(cells) {
			continue
		}
		if !seenHeader {
			if err := p.header(cells); err != nil {
				return nil, err
			}
			seenHeader = true
			continue
		}
		p.res.Total++
		p.row(line, cells)
	}
	if p.res.Total == 0 {
		return nil, errNoRows
	}
	return p.res, nil
}

// header maps the columns of the file to fields. Unknown headers are
// ignored so that files exported from other systems, with extra columns,
// import as they are.
func (p *parser) header(cells []string) error {
	for i, cell := range cells {
		h := strings.TrimSpace(strings.TrimPrefix(cell, "\uFEFF"))
		c, ok := headerCols[strings.ToLower(h)]
		if !ok {
			continue
		}
		if p.pos[c] >= 0 {
			return invalid("duplicate column %s (%q and %q)", columns[c].field, p.headers[c], h)
		}
		p.pos[c], p.headers[c] = i, h
		p.res.columns[columns[c].field] = h
	}
	var missing []string
	for c, desc := range columns {
		if desc.required && p.pos[c] < 0 {
			missing = append(missing, fmt.Sprintf("missing required column %s (%s)", desc.field, strings.Join(desc.names[1:], "/")))
		}
	}
	if len(missing) > 0 {
		return invalid("%s", strings.Join(missing, "; "))
	}
	return nil
}

// rowCheck holds one data row while it is validated.
type rowCheck struct {
	p        *parser
	line     int
	cells    []string
	problems []cellProblem
}

// cellProblem is a Problem with its column position, for sorting.
type cellProblem struct {
	pos int
	Problem
}

func (c *rowCheck) get(k col) string {
	i := c.p.pos[k]
	if i < 0 || i >= len(c.cells) {
		return ""
	}
	return strings.TrimSpace(c.cells[i])
}

func (c *rowCheck) add(k col, format string, args ...any) {
	c.problems = append(c.problems, cellProblem{
		pos:     c.p.pos[k],
		Problem: Problem{Line: c.line, Column: c.p.headers[k], Reason: fmt.Sprintf(format, args...)},
	})
}

// text returns a free-text cell, checking it is present if required, short
// and on one line.
func (c *rowCheck) text(k col, required bool) string {
	v := c.get(k)
	switch {
	case v == "" && required:
		c.add(k, "required")
	case utf8.RuneCountInString(v) > maxText:
		c.add(k, "too long (max %d characters)", maxText)
	case hasControl(v):
		c.add(k, "contains a line break or control character")
	default:
		return v
	}
	return ""
}

// row validates one data row and adds it, or its problems, to the result.
func (p *parser) row(line int, cells []string) {
	c := &rowCheck{p: p, line: line, cells: cells}
	r := Row{
		Line:          line,
		ExternalID:    c.text(colExternalID, true),
		Name:          c.text(colName, true),
		Kind:          c.kind(),
		OrgCode:       c.text(colOrgCode, false),
		Gender:        c.gender(),
		BirthDate:     c.birthDate(),
		IDNumber:      c.idNumber(),
		Phone:         c.mobile(colPhone),
		GuardianName:  c.text(colGuardianName, false),
		GuardianPhone: c.mobile(colGuardianPhone),
		DormCode:      c.text(colDormCode, false),
		HouseholdCode: c.text(colHouseholdCode, false),
		Tags:          c.tags(),
	}

	if r.ExternalID != "" {
		if first, dup := p.firstExternalID[r.ExternalID]; dup {
			c.add(colExternalID, "duplicate external_id, first on line %d", first)
		} else {
			p.firstExternalID[r.ExternalID] = line
		}
	}
	if r.IDNumber != "" {
		if first, dup := p.firstIDNumber[r.IDNumber]; dup {
			c.add(colIDNumber, "duplicate id_number, first on line %d", first)
		} else {
			p.firstIDNumber[r.IDNumber] = line
		}
		// The identity number states the birth date; a roster that says
		// otherwise has a typo in one of them, and we cannot tell which.
		// When the birth date is left blank, the number supplies it.
		switch {
		case r.BirthDate == "" && c.get(colBirthDate) == "":
			r.BirthDate, _ = domain.IDNumberBirthDate(r.IDNumber)
		case r.BirthDate != "" && !sameBirthDate(r.BirthDate, r.IDNumber):
			c.add(colBirthDate, "does not match the birth date in id_number")
		}
	}

	if len(c.problems) == 0 {
		p.res.Rows = append(p.res.Rows, r)
		return
	}
	slices.SortStableFunc(c.problems, func(a, b cellProblem) int { return cmp.Compare(a.pos, b.pos) })
	for _, cp := range c.problems {
		p.res.Problems = append(p.res.Problems, cp.Problem)
	}
}

// sameBirthDate reports whether date (YYYY-MM-DD) is the birth date held in
// the valid identity number id (YYYYMMDD at 6-13), without allocating.
func sameBirthDate(date, id string) bool {
	return date[0:4] == id[6:10] && date[5:7] == id[10:12] && date[8:10] == id[12:14]
}

func (c *rowCheck) kind() string {
	v := c.get(colKind)
	switch {
	case v == "" || v == "学生" || strings.EqualFold(v, "student"):
		return "student"
	case v == "教职工" || strings.EqualFold(v, "staff"):
		return "staff"
	case v == "居民" || strings.EqualFold(v, "resident"):
		return "resident"
	}
	c.add(colKind, "unknown kind %s: use student, staff or resident", quote(v))
	return ""
}

func (c *rowCheck) gender() string {
	v := c.get(colGender)
	switch {
	case v == "":
		return ""
	case v == "男" || strings.EqualFold(v, "m") || strings.EqualFold(v, "male"):
		return "M"
	case v == "女" || strings.EqualFold(v, "f") || strings.EqualFold(v, "female"):
		return "F"
	}
	c.add(colGender, "unknown gender %s: use 男, 女, M or F", quote(v))
	return ""
}

func (c *rowCheck) birthDate() string {
	v := c.get(colBirthDate)
	if v == "" {
		return ""
	}
	d, reason := parseDate(v, c.p.date1904)
	if reason != "" {
		c.add(colBirthDate, "%s", reason)
	} else if d > time.Now().AddDate(0, 0, 1).Format(time.DateOnly) {
		c.add(colBirthDate, "birth date %s is in the future", d)
	}
	return d
}

func (c *rowCheck) idNumber() string {
	v := c.get(colIDNumber)
	if v == "" {
		return ""
	}
	n := domain.NormalizeIDNumber(v)
	if err := domain.ValidIDNumber(n); err != nil {
		c.add(colIDNumber, "%s", domain.ErrorMessage(err))
		return ""
	}
	return n
}

func (c *rowCheck) mobile(k col) string {
	v := c.get(k)
	if v == "" {
		return ""
	}
	n := domain.NormalizeMobile(v)
	if err := domain.ValidMobile(n); err != nil {
		c.add(k, "%s", domain.ErrorMessage(err))
		return ""
	}
	return n
}

// tags splits the tags cell on ASCII or full-width semicolons and commas:
// SPEC §4.3 says semicolons, but Chinese input methods and habits produce
// all four.
func (c *rowCheck) tags() []string {
	var tags, bad []string
	isSep := func(r rune) bool { return r == ';' || r == '；' || r == ',' || r == '，' }
	for t := range strings.FieldsFuncSeq(c.get(colTags), isSep) {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "" || slices.Contains(tags, t):
		case !validTag(t):
			if q := quote(t); !slices.Contains(bad, q) {
				bad = append(bad, q)
			}
		default:
			tags = append(tags, t)
		}
	}
	switch {
	case len(bad) == 1:
		c.add(colTags, "invalid tag %s: use a-z, 0-9 and _ (max 32)", bad[0])
	case len(bad) > 1:
		c.add(colTags, "invalid tags %s: use a-z, 0-9 and _ (max 32)", strings.Join(bad, ", "))
	}
	return tags
}

// validTag reports whether t matches ^[a-z0-9_]{1,32}$.
func validTag(t string) bool {
	if len(t) == 0 || len(t) > 32 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if b := t[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

// quote quotes a cell value for a problem reason, shortened so a stray
// paragraph in a cell cannot flood the report.
func quote(s string) string {
	const limit = 32
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// hasControl reports whether s has a control character, such as a line
// break from a multi-line spreadsheet cell.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7F {
			return true
		} else if c >= utf8.RuneSelf {
			// Non-ASCII text, a Chinese name say, may hold C1 controls
			// (U+0080-U+009F): use the general test.
			return strings.IndexFunc(s, unicode.IsControl) >= 0
		}
	}
	return false
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
