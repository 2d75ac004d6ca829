package roster

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The XLSX reader below is ours rather than a spreadsheet library's: a
// roster needs the text of one sheet, and excelize took 10 seconds and
// 1.7 GB of allocations to yield the rows of a 100,000-row file. It reads
// the ZIP from memory, resolves the first sheet through the workbook's
// relationships and streams the sheet's XML token by token.

const (
	// maxUnzipped bounds the unpacked size of a workbook, so a small ZIP
	// bomb cannot make us inflate gigabytes. archive/zip fails a part that
	// inflates past its declared size, so the declared sizes are binding.
	maxUnzipped = 1 << 30
	// maxInMemory bounds the shared string table, the one part held in
	// memory (every other part is streamed): both its unpacked size and
	// the strings kept from it, counting a string header per entry so that
	// millions of empty entries count too.
	maxInMemory = 256 << 20
	// maxCols and maxRows are Excel's sheet limits (XFD1048576); a cell
	// reference beyond them is damage or hostility, not a roster.
	maxCols = 16384
	maxRows = 1 << 20
)

var (
	errDamaged  = invalid("cannot read XLSX: file is damaged or truncated")
	errTooLarge = invalid("cannot read XLSX: file is too large when unpacked")
)

// parseXLSX parses the first worksheet of an XLSX workbook. Cell values are
// taken raw, as stored: a date cell then reads as its serial number, which
// parseDate understands, rather than as whatever its number format makes of
// it. The recover is a last line of defence (FuzzParse looks for panics):
// a panic on a hostile file is reported as a damaged file rather than
// taking the server down.
func parseXLSX(data []byte) (res *Result, err error) {
	defer func() {
		if recover() != nil {
			res, err = nil, errDamaged
		}
	}()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	// ErrInsecurePath only warns about names unsafe to extract to disk; we
	// extract nothing.
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return nil, errDamaged
	}
	pkg, err := openPackage(zr)
	if err != nil {
		return nil, err
	}
	wb, err := pkg.workbook()
	if err != nil {
		return nil, err
	}
	sst, err := pkg.sharedStrings(wb.sharedStrings)
	if err != nil {
		return nil, err
	}
	rc, err := wb.sheet.Open()
	if err != nil {
		return nil, errDamaged
	}
	defer rc.Close()

	s := newSheetReader(rc, sst)
	rows, err := s.prelude()
	if err != nil {
		return nil, err
	}
	// The sheet's <dimension> states its row count; a data row takes at
	// least some 40 bytes of XML, which bounds what a lying one reserves.
	p := newParser(min(rows, int(min(wb.sheet.UncompressedSize64/40, 1<<20))))
	p.date1904 = wb.date1904
	res, err = p.parse(s.next)
	if err != nil {
		return nil, err
	}
	// Read the rest of the part (page setup and the like) so that its
	// checksum is verified: a corrupt part is reported, not half-read.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, errDamaged
	}
	return res, nil
}

// xlsxPackage indexes the parts of an XLSX (ZIP) package by name.
type xlsxPackage struct {
	parts map[string]*zip.File // by normalised name: see partKey
}

// openPackage indexes the parts of zr, refusing a package that would unpack
// too large.
func openPackage(zr *zip.Reader) (*xlsxPackage, error) {
	pkg := &xlsxPackage{parts: make(map[string]*zip.File, len(zr.File))}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		pkg.parts[partKey(f.Name)] = f
	}
	if total > maxUnzipped {
		return nil, errTooLarge
	}
	return pkg, nil
}

// partKey normalises a part name for lookup. Part names are
// case-insensitive (ECMA-376 Part 2, §9.1.1.1), and some writers store
// backslashes or a leading slash in the ZIP.
func partKey(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	return strings.ToLower(strings.TrimPrefix(name, "/"))
}

// part returns the part named name, or nil.
func (pkg *xlsxPackage) part(name string) *zip.File {
	return pkg.parts[partKey(name)]
}

// relationship is one <Relationship> of a .rels part, its target resolved
// to a part name.
type relationship struct {
	id, typ, target string
}

// relationships reads the relationships of the part named source (""
// for the package itself). A missing or unreadable .rels part yields none:
// callers fall back to the conventional part names.
func (pkg *xlsxPackage) relationships(source string) []relationship {
	dir, base := path.Split(source)
	f := pkg.part(dir + "_rels/" + base + ".rels")
	if f == nil {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	var rels []relationship
	dec := xml.NewDecoder(rc)
	for {
		tok, err := dec.Token()
		if err != nil {
			return rels
		}
		t, ok := tok.(xml.StartElement)
		if !ok || t.Name.Local != "Relationship" {
			continue
		}
		var r relationship
		external := false
		for _, a := range t.Attr {
			switch a.Name.Local {
			case "Id":
				r.id = a.Value
			case "Type":
				r.typ = a.Value
			case "Target":
				r.target = a.Value
			case "TargetMode":
				external = a.Value == "External"
			}
		}
		if external || r.target == "" {
			continue
		}
		// Targets are URIs relative to the source's folder, or absolute
		// within the package with a leading slash.
		if strings.HasPrefix(r.target, "/") {
			r.target = path.Clean(r.target)[1:]
		} else {
			r.target = path.Join(dir, r.target)
		}
		rels = append(rels, r)
	}
}

// resolve returns the part a relationship targets, trying the target as
// written and percent-decoded ("sheet%201.xml"), or nil.
func (pkg *xlsxPackage) resolve(target string) *zip.File {
	if f := pkg.part(target); f != nil {
		return f
	}
	if u, err := url.PathUnescape(target); err == nil && u != target {
		return pkg.part(u)
	}
	return nil
}

// workbookInfo is what a roster needs from the workbook part.
type workbookInfo struct {
	sheet         *zip.File // the first worksheet
	sharedStrings *zip.File // the shared string table, nil if none
	date1904      bool      // serial dates count from 1904 (old Mac Excel)
}

// workbook finds the workbook part, its first sheet and its shared string
// table. The workbook is where _rels/.rels says, normally xl/workbook.xml;
// its first <sheet> names a relationship whose target is the sheet part.
// When relationships are missing, the conventional names are tried.
func (pkg *xlsxPackage) workbook() (workbookInfo, error) {
	var info workbookInfo
	name := "xl/workbook.xml"
	for _, r := range pkg.relationships("") {
		if strings.HasSuffix(r.typ, "/officeDocument") && pkg.resolve(r.target) != nil {
			name = r.target
			break
		}
	}
	f := pkg.resolve(name)
	if f == nil {
		return info, errDamaged
	}
	name = partKey(f.Name) // as stored, for its relationships
	rc, err := f.Open()
	if err != nil {
		return info, errDamaged
	}
	defer rc.Close()
	var sheetID string
	foundSheet := false
	dec := xml.NewDecoder(rc)
	for !foundSheet {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, errDamaged
		}
		t, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch t.Name.Local {
		case "workbookPr":
			for _, a := range t.Attr {
				if a.Name.Local == "date1904" {
					info.date1904 = a.Value == "1" || strings.EqualFold(a.Value, "true")
				}
			}
		case "sheet":
			// The relationship id is r:id, whatever the prefix; the
			// other attributes (name, sheetId, state) have none.
			for _, a := range t.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					sheetID = a.Value
				}
			}
			foundSheet = true // <workbookPr> comes before <sheets>
		}
	}

	dir := path.Dir(name)
	for _, r := range pkg.relationships(name) {
		switch {
		case r.id == sheetID && sheetID != "" && info.sheet == nil:
			info.sheet = pkg.resolve(r.target)
		case strings.HasSuffix(r.typ, "/sharedStrings") && info.sharedStrings == nil:
			info.sharedStrings = pkg.resolve(r.target)
		}
	}
	if info.sheet == nil {
		info.sheet = pkg.part(path.Join(dir, "worksheets/sheet1.xml"))
	}
	if info.sharedStrings == nil {
		info.sharedStrings = pkg.part(path.Join(dir, "sharedStrings.xml"))
	}
	if info.sheet == nil {
		return info, errDamaged
	}
	return info, nil
}

// sharedStrings reads the shared string table in f (nil for none). Each
// <si> is the concatenation of its <t> texts: a plain <t>, or the <t> of
// each rich text run <r>; phonetic guides <rPh> are left out.
func (pkg *xlsxPackage) sharedStrings(f *zip.File) ([]string, error) {
	if f == nil {
		return nil, nil
	}
	if f.UncompressedSize64 > maxInMemory {
		return nil, errTooLarge
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errDamaged
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))

	var (
		sst  []string
		kept uint64 // bytes of sst, headers included
		buf  []byte
		// Path of elements inside the current <si>, to depth 2: text is
		// taken in si/t and si/r/t only.
		inSI  bool
		depth int
		elem  [2]string
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errDamaged
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case inSI:
				if depth < len(elem) {
					elem[depth] = t.Name.Local
				}
				depth++
			case t.Name.Local == "si":
				inSI, depth, buf = true, 0, buf[:0]
			case t.Name.Local == "sst" && sst == nil:
				// uniqueCount sizes the table; an entry takes at least
				// a few bytes of XML, which bounds a lying count.
				for _, a := range t.Attr {
					if a.Name.Local == "uniqueCount" {
						n, _ := strconv.ParseUint(a.Value, 10, 32)
						sst = make([]string, 0, min(n, f.UncompressedSize64/16))
					}
				}
			}
		case xml.EndElement:
			if !inSI {
				continue
			}
			if depth > 0 {
				depth--
				continue
			}
			inSI = false
			s := string(unescapeBSTR(buf))
			kept += uint64(len(s)) + 16
			if kept > maxInMemory {
				return nil, errTooLarge
			}
			sst = append(sst, s)
		case xml.CharData:
			if inSI && (depth == 1 && elem[0] == "t" || depth == 2 && elem[0] == "r" && elem[1] == "t") {
				buf = append(buf, t...)
			}
		}
	}
	// Verify the checksum: the loop ended at the XML's end, which may
	// come before the part's.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, errDamaged
	}
	return sst, nil
}

// sheetReader streams the rows of a worksheet part.
type sheetReader struct {
	dec   *xml.Decoder
	sst   []string
	row   int      // number of the last row read, 0 before the first
	cells []string // cells of the last row, reused
	buf   []byte   // text of the current cell, reused
	done  bool     // </sheetData> read
}

func newSheetReader(r io.Reader, sst []string) *sheetReader {
	return &sheetReader{dec: xml.NewDecoder(bufio.NewReaderSize(r, 64<<10)), sst: sst}
}

// prelude reads the sheet up to <sheetData> and returns the number of rows
// that <dimension> announces (0 if it does not), as a sizing hint only.
func (s *sheetReader) prelude() (int, error) {
	rows := 0
	for {
		tok, err := s.dec.Token()
		if err == io.EOF {
			s.done = true // a sheet without data
			return 0, nil
		}
		if err != nil {
			return 0, errDamaged
		}
		t, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch t.Name.Local {
		case "dimension":
			for _, a := range t.Attr {
				if a.Name.Local == "ref" {
					rows = dimensionRows(a.Value)
				}
			}
		case "sheetData":
			return rows, nil
		}
	}
}

// dimensionRows returns the number of rows a range like "A1:L100001"
// spans, or 0.
func dimensionRows(ref string) int {
	first, last, ok := strings.Cut(ref, ":")
	if !ok {
		return 0
	}
	_, r1, ok1 := splitCellRef(first)
	_, r2, ok2 := splitCellRef(last)
	if !ok1 || !ok2 || r2 < r1 {
		return 0
	}
	return r2 - r1 + 1
}

// next yields the next row of the sheet: its number and its cells, each at
// the index its column letters give, so skipped empty cells leave empty
// strings. It is a records function, for parser.parse.
func (s *sheetReader) next() (int, []string, error) {
	for !s.done {
		tok, err := s.dec.Token()
		if err != nil {
			// io.EOF before </sheetData> means a truncated sheet:
			// Token reports it as a syntax error.
			return 0, nil, errDamaged
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "row" {
				if err := s.readRow(t); err != nil {
					return 0, nil, err
				}
				return s.row, s.cells, nil
			}
			// Nothing else in <sheetData> is ours.
			if err := s.dec.Skip(); err != nil {
				return 0, nil, errDamaged
			}
		case xml.EndElement:
			s.done = true // </sheetData>
		}
	}
	return 0, nil, io.EOF
}

// readRow reads the cells of the row that start opens, up to its end.
func (s *sheetReader) readRow(start xml.StartElement) error {
	n := s.row + 1
	for _, a := range start.Attr {
		if a.Name.Local == "r" && a.Name.Space == "" {
			v, err := strconv.Atoi(a.Value)
			// Rows come in order; going back would misnumber problems.
			if err != nil || v <= s.row || v > maxRows {
				return errDamaged
			}
			n = v
		}
	}
	if n > maxRows {
		return errDamaged
	}
	s.row = n
	clear(s.cells)
	s.cells = s.cells[:0]
	col := 0 // column of the last cell, 1-based
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return errDamaged
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "c" {
				if err := s.dec.Skip(); err != nil {
					return errDamaged
				}
				continue
			}
			if col, err = s.readCell(t, col); err != nil {
				return err
			}
		case xml.EndElement:
			return nil // </row>: Token checks nesting
		}
	}
}

// readCell reads the cell that start opens, up to its end, stores its value
// and returns its column. A cell without a reference follows the previous
// one.
func (s *sheetReader) readCell(start xml.StartElement, prev int) (int, error) {
	col, typ := prev+1, ""
	for _, a := range start.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "r":
			c, _, ok := splitCellRef(a.Value)
			if !ok {
				return 0, errDamaged
			}
			col = c
		case "t":
			typ = a.Value
		}
	}
	if col > maxCols {
		return 0, errDamaged
	}

	// The value is the text of <v>, or for an inline string of <is>'s <t>
	// or of its rich text runs' <t> (not of phonetic guides <rPh>). A
	// formula <f> is ignored: <v> holds its last result.
	s.buf = s.buf[:0]
	depth := 0
	var elem [3]string
	for depth >= 0 {
		tok, err := s.dec.Token()
		if err != nil {
			return 0, errDamaged
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth < len(elem) {
				elem[depth] = t.Name.Local
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			switch depth {
			case 1:
				if elem[0] == "v" {
					s.buf = append(s.buf, t...)
				}
			case 2:
				if elem[0] == "is" && elem[1] == "t" {
					s.buf = append(s.buf, t...)
				}
			case 3:
				if elem[0] == "is" && elem[1] == "r" && elem[2] == "t" {
					s.buf = append(s.buf, t...)
				}
			}
		}
	}
	if len(s.buf) == 0 {
		return col, nil
	}

	var v string
	switch typ {
	case "s":
		i, err := strconv.Atoi(string(bytes.TrimSpace(s.buf)))
		if err != nil || i < 0 || i >= len(s.sst) {
			return 0, errDamaged
		}
		v = s.sst[i]
	case "inlineStr":
		v = string(unescapeBSTR(s.buf))
	case "d":
		// ISO 8601 date and time: a roster only has dates.
		d, _, _ := bytes.Cut(s.buf, []byte("T"))
		if len(d) == 0 {
			d = s.buf // a time alone: leave it for validation to refuse
		}
		v = string(d)
	default: // n (number), str (formula text), b (0 or 1), e (#N/A…)
		v = string(s.buf)
	}
	v = plainNumber(v)
	for len(s.cells) < col {
		s.cells = append(s.cells, "")
	}
	s.cells[col-1] = v
	return col, nil
}

// splitCellRef splits a cell reference like "B7" into its 1-based column
// and row. Lower-case letters are accepted. It reports false for anything
// else or beyond Excel's limits.
func splitCellRef(ref string) (col, row int, ok bool) {
	i := 0
	for ; i < len(ref) && i < 4; i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	if i == 0 || col > maxCols {
		return 0, 0, false
	}
	digits := ref[i:]
	if len(digits) == 0 || len(digits) > 7 || digits[0] == '0' {
		return 0, 0, false
	}
	for j := 0; j < len(digits); j++ {
		if digits[j] < '0' || digits[j] > '9' {
			return 0, 0, false
		}
		row = row*10 + int(digits[j]-'0')
	}
	if row > maxRows {
		return 0, 0, false
	}
	return col, row, true
}

// unescapeBSTR decodes the _xHHHH_ escapes in which OOXML stores characters
// that XML cannot hold, such as "_x000D_" for a carriage return. A literal
// "_x0041_" is stored as "_x005F_x0041_": decoding "_x005F_" to "_" and
// moving on leaves "x0041_" as it is. A lone UTF-16 surrogate becomes
// U+FFFD.
func unescapeBSTR(b []byte) []byte {
	i := bytes.Index(b, []byte("_x"))
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i >= 0 {
		u, ok := bstrUnit(b[i:])
		if !ok {
			out = append(out, b[:i+1]...)
			b = b[i+1:]
		} else {
			out = append(out, b[:i]...)
			b = b[i+7:]
			r := rune(u)
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
				if lo, ok := bstrUnit(b); ok && u < 0xDC00 {
					if pair := utf16.DecodeRune(rune(u), rune(lo)); pair != utf8.RuneError {
						r = pair
						b = b[7:]
					}
				}
			}
			out = utf8.AppendRune(out, r)
		}
		i = bytes.Index(b, []byte("_x"))
	}
	return append(out, b...)
}

// bstrUnit decodes the _xHHHH_ escape that b starts with.
func bstrUnit(b []byte) (uint16, bool) {
	if len(b) < 7 || b[0] != '_' || b[1] != 'x' || b[6] != '_' {
		return 0, false
	}
	var u uint16
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(c)
	}
	return u, true
}

// plainNumber writes an integral number the way a person typed it. Raw cell
// values are what the writing program stored, and some (Apache POI, used by
// many school systems' exports) store 13812345678 as "1.3812345678E10" and
// 2023001 as "2023001.0". Other values are returned unchanged.
func plainNumber(s string) string {
	if s == "" || s[0] < '0' || s[0] > '9' || !strings.ContainsAny(s, ".eE") {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	// Beyond 2^53 the float no longer holds every digit (an identity number
	// stored as a number has already lost its last ones): leave such values
	// alone so validation reports them.
	if err != nil || v >= 1<<53 || v != float64(int64(v)) {
		return s
	}
	return strconv.FormatInt(int64(v), 10)
}
