package roster

import (
	"archive/zip"
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
	// maxMeta bounds what is read of the workbook part and of
	// relationship parts, which encoding/xml reads slowly. What is needed
	// of them comes in their first kilobytes.
	maxMeta = 16 << 20
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
	// Reserve for the rows that <dimension> states, or if it does not (it
	// is optional, and some writers leave it at "A1") as many as the size
	// of the first row suggests: growing the result costs a 100,000-row
	// file a quarter of its time. A data row takes at least some 40 bytes
	// of XML, which bounds what a lying file reserves.
	size := int64(wb.sheet.UncompressedSize64)
	start := s.sc.offset()
	line, cells, firstErr := s.next()
	if rowBytes := s.sc.offset() - start; rows <= 1 && firstErr == nil && rowBytes > 0 {
		rows = int(min((size-start)/rowBytes, 1<<20))
	}
	p := newParser(min(rows, int(min(size/40, 1<<20))))
	p.date1904 = wb.date1904
	first := true
	next := func() (int, []string, error) {
		if first {
			first = false
			return line, cells, firstErr
		}
		return s.next()
	}
	res, err = p.parse(next)
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
	dec := xml.NewDecoder(io.LimitReader(rc, maxMeta))
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
	dec := xml.NewDecoder(io.LimitReader(rc, maxMeta))
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
	sc := newXMLScanner(rc)

	var (
		sst  []string
		kept uint64 // bytes of sst, headers included
		buf  []byte
		// Where the scanner is inside the current <si>: text is taken in
		// si/t and si/r/t only.
		inSI  bool
		depth int
		path  [2]elemName
	)
	for {
		if err := sc.next(); err != nil {
			return nil, errDamaged
		}
		switch sc.kind {
		case tokStart:
			switch {
			case inSI:
				if depth < len(path) {
					path[depth] = elemOf(sc.name)
				}
				depth++
			case string(sc.name) == "si":
				inSI, depth, buf = true, 0, buf[:0]
			case string(sc.name) == "sst" && sst == nil:
				// uniqueCount sizes the table; an entry takes at least
				// a few bytes of XML, which bounds a lying count.
				if v, ok := sc.attr("uniqueCount"); ok {
					n, _ := strconv.ParseUint(string(v), 10, 32)
					sst = make([]string, 0, min(n, f.UncompressedSize64/16))
				}
			}
		case tokEnd:
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
		case tokText:
			if inSI && (depth == 1 && path[0] == elemT || depth == 2 && path[0] == elemR && path[1] == elemT) {
				buf = append(buf, sc.text...)
			}
		case tokEOF:
			return sst, nil
		}
	}
}

// elemName classifies the elements whose text makes a cell value.
type elemName uint8

const (
	elemOther elemName = iota
	elemV              // <v>, a cell's value
	elemIS             // <is>, an inline string
	elemT              // <t>, text
	elemR              // <r>, a rich text run
)

func elemOf(local []byte) elemName {
	switch string(local) {
	case "v":
		return elemV
	case "is":
		return elemIS
	case "t":
		return elemT
	case "r":
		return elemR
	}
	return elemOther
}

// sheetReader streams the rows of a worksheet part.
type sheetReader struct {
	sc    *xmlScanner
	sst   []string
	row   int      // number of the last row read, 0 before the first
	cells []string // cells of the last row, reused
	buf   []byte   // text of the current cell, reused
	done  bool     // </sheetData> read
}

func newSheetReader(r io.Reader, sst []string) *sheetReader {
	return &sheetReader{sc: newXMLScanner(r), sst: sst}
}

// prelude reads the sheet up to <sheetData> and returns the number of rows
// that <dimension> announces (0 if it does not), as a sizing hint only.
func (s *sheetReader) prelude() (int, error) {
	rows := 0
	for {
		if err := s.sc.next(); err != nil {
			return 0, errDamaged
		}
		switch s.sc.kind {
		case tokEOF:
			s.done = true // a sheet without data
			return 0, nil
		case tokStart:
			switch string(s.sc.name) {
			case "dimension":
				if ref, ok := s.sc.attr("ref"); ok {
					rows = dimensionRows(ref)
				}
			case "sheetData":
				return rows, nil
			}
		}
	}
}

// dimensionRows returns the number of rows a range like "A1:L100001"
// spans, or 0.
func dimensionRows(ref []byte) int {
	first, last, ok := bytes.Cut(ref, []byte(":"))
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
		if err := s.sc.next(); err != nil {
			return 0, nil, errDamaged
		}
		switch s.sc.kind {
		case tokStart:
			if string(s.sc.name) == "row" {
				if err := s.readRow(); err != nil {
					return 0, nil, err
				}
				return s.row, s.cells, nil
			}
			// Nothing else in <sheetData> is ours.
			if err := s.sc.skip(); err != nil {
				return 0, nil, errDamaged
			}
		case tokEnd:
			s.done = true // </sheetData>
		case tokEOF:
			return 0, nil, errDamaged // the scanner fails first
		}
	}
	return 0, nil, io.EOF
}

// readRow reads the cells of the row whose start tag was just read, up to
// its end.
func (s *sheetReader) readRow() error {
	n := s.row + 1
	if v, ok := s.sc.attr("r"); ok {
		r, err := strconv.Atoi(string(v))
		// Rows come in order; going back would misnumber problems.
		if err != nil || r <= s.row {
			return errDamaged
		}
		n = r
	}
	if n > maxRows {
		return errDamaged
	}
	s.row = n
	clear(s.cells)
	s.cells = s.cells[:0]
	col := 0 // column of the last cell, 1-based
	for {
		if err := s.sc.next(); err != nil {
			return errDamaged
		}
		switch s.sc.kind {
		case tokStart:
			if string(s.sc.name) != "c" {
				if err := s.sc.skip(); err != nil {
					return errDamaged
				}
				continue
			}
			var err error
			if col, err = s.readCell(col); err != nil {
				return err
			}
		case tokEnd:
			return nil // </row>: the scanner checks nesting
		}
	}
}

// readCell reads the cell whose start tag was just read, up to its end,
// stores its value and returns its column. A cell without a reference
// follows the previous one.
func (s *sheetReader) readCell(prev int) (int, error) {
	col := prev + 1
	if ref, ok := s.sc.attr("r"); ok {
		c, _, ok := splitCellRef(ref)
		if !ok {
			return 0, errDamaged
		}
		col = c
	}
	if col > maxCols {
		return 0, errDamaged
	}
	var typ cellType
	if t, ok := s.sc.attr("t"); ok {
		typ = cellTypeOf(t)
	}

	// The value is the text of <v>, or for an inline string of <is>'s <t>
	// or of its rich text runs' <t> (not of phonetic guides <rPh>). A
	// formula <f> is ignored: <v> holds its last result.
	s.buf = s.buf[:0]
	depth := 0
	var path [3]elemName
	for depth >= 0 {
		if err := s.sc.next(); err != nil {
			return 0, errDamaged
		}
		switch s.sc.kind {
		case tokStart:
			if depth < len(path) {
				path[depth] = elemOf(s.sc.name)
			}
			depth++
		case tokEnd:
			depth--
		case tokText:
			if depth == 1 && path[0] == elemV ||
				depth == 2 && path[0] == elemIS && path[1] == elemT ||
				depth == 3 && path[0] == elemIS && path[1] == elemR && path[2] == elemT {
				s.buf = append(s.buf, s.sc.text...)
			}
		}
	}
	if len(s.buf) == 0 {
		return col, nil
	}

	var v string
	switch typ {
	case cellShared:
		i, err := strconv.Atoi(string(bytes.TrimSpace(s.buf)))
		if err != nil || i < 0 || i >= len(s.sst) {
			return 0, errDamaged
		}
		v = s.sst[i]
	case cellInline:
		v = string(unescapeBSTR(s.buf))
	case cellDate:
		// ISO 8601 date and time: a roster only has dates.
		d, _, _ := bytes.Cut(s.buf, []byte("T"))
		if len(d) == 0 {
			d = s.buf // a time alone: left for validation to refuse
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

// cellType is a cell's t attribute, as far as reading its value goes.
type cellType uint8

const (
	cellPlain  cellType = iota // n (number, the default), str, b, e
	cellShared                 // s: <v> indexes the shared strings
	cellInline                 // inlineStr: the text is in <is>
	cellDate                   // d: <v> is an ISO 8601 date and time
)

func cellTypeOf(t []byte) cellType {
	switch string(t) {
	case "s":
		return cellShared
	case "inlineStr":
		return cellInline
	case "d":
		return cellDate
	}
	return cellPlain
}

// splitCellRef splits a cell reference like "B7" into its 1-based column
// and row. Lower-case letters are accepted. It reports false for anything
// else or beyond Excel's limits.
func splitCellRef(ref []byte) (col, row int, ok bool) {
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
