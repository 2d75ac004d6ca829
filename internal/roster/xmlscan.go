package roster

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small streaming XML tokenizer for the two large parts of
// an XLSX, the worksheet and the shared string table. encoding/xml reads
// these at some 50 MB/s and allocates for every tag and attribute, which
// alone takes 1.5 s of CPU for the 70 MB sheet of a 100,000-row roster;
// this reads a buffer at a time and allocates nothing per token.
//
// It handles the XML that spreadsheet programs write: elements with
// attributes, self-closing tags, text with the predefined entities and
// character references, CDATA sections, comments and processing
// instructions. It checks what a reader of untrusted files must: tags nest
// and close by the end of the input, text is UTF-8, references are valid
// XML characters, attributes are quoted. It refuses document type
// declarations (no spreadsheet writes one), and a document that declares
// an encoding other than UTF-8. Names are not checked against the XML name
// grammar, nor namespaces resolved: elements are matched by local name,
// prefix dropped, which is how SpreadsheetML written with a prefix (x:row)
// reads like the usual kind.
type xmlScanner struct {
	r   io.Reader
	buf []byte
	pos int   // start of the unread bytes, buf[pos:end]
	end int   //
	off int64 // offset in the input of buf[0]
	err error // from r, once it has failed or ended

	stack      []byte // qualified names of the open elements, concatenated
	ends       []int  // where each name in stack ends
	pendingEnd bool   // the last token was a self-closing tag: its end comes next

	// The current token. The slices are valid until the next call to next.
	kind  tokenKind
	name  []byte      // local name of a start or end tag
	attrs []attribute // attributes of a start tag, values raw
	text  []byte      // decoded character data

	scratch  []byte // decoded text with references
	scratchA []byte // decoded attribute value
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokStart
	tokEnd
	tokText
)

const (
	// maxToken bounds a single tag or text, and so the buffer. Excel caps
	// a cell at 32,767 characters, some 200 kB of XML at worst.
	maxToken = 16 << 20
	// maxDepth bounds the nesting of elements; a worksheet nests 5 deep.
	maxDepth = 256
)

var errXML = errors.New("malformed XML")

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 64<<10)}
}

// more reads more input, keeping the unread bytes, whose offsets from pos
// stay valid, and filling the buffer (doubling it if the unread bytes fill
// it), so that a token longer than the buffer is re-scanned only as often as
// the buffer doubles. It reports false when no more can be read.
func (s *xmlScanner) more() bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.off += int64(s.pos)
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxToken {
			s.err = errXML
			return false
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	read := false
	for s.end < len(s.buf) {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		read = read || n > 0
		if err != nil {
			s.err = err
			break
		}
	}
	return read
}

// offset returns the offset in the input of the next unread byte.
func (s *xmlScanner) offset() int64 {
	return s.off + int64(s.pos)
}

// avail returns the unread bytes, reading until there are at least n or
// the input ends.
func (s *xmlScanner) avail(n int) []byte {
	for s.end-s.pos < n && s.more() {
	}
	return s.buf[s.pos:s.end]
}

// find returns the offset from pos of the first sep at or after offset
// from, reading as needed, or -1 if the input ends first.
func (s *xmlScanner) find(from int, sep string) int {
	for {
		if from < s.end-s.pos {
			i := -1
			if len(sep) == 1 {
				// Mostly the byte is close (the end of a cell's value or
				// of a tag): look at a few bytes before calling
				// bytes.IndexByte, which costs more to start.
				b := s.buf[s.pos+from : s.end]
				for j := 0; j < len(b) && j < 16; j++ {
					if b[j] == sep[0] {
						i = j
						break
					}
				}
				if i < 0 && len(b) > 16 {
					if i = bytes.IndexByte(b[16:], sep[0]); i >= 0 {
						i += 16
					}
				}
			} else {
				i = bytes.Index(s.buf[s.pos+from:s.end], []byte(sep))
			}
			if i >= 0 {
				return from + i
			}
		}
		from = max(from, s.end-s.pos-len(sep)+1)
		if !s.more() {
			return -1
		}
	}
}

// fail returns the error that ends the scan: the reader's, if it failed,
// else errXML.
func (s *xmlScanner) fail() error {
	if s.err != nil && s.err != io.EOF {
		return s.err
	}
	return errXML
}

// next reads the next token into kind, name, attrs and text. Comments,
// processing instructions and the XML declaration are skipped. At the end
// of the input it sets kind to tokEOF, or fails if elements are open.
func (s *xmlScanner) next() error {
	if s.pendingEnd {
		s.pendingEnd = false
		s.pop()
		s.kind = tokEnd
		return nil
	}
	for {
		b := s.avail(1)
		if len(b) == 0 {
			if s.err != io.EOF || len(s.ends) > 0 {
				return s.fail()
			}
			s.kind = tokEOF
			return nil
		}
		if b[0] != '<' {
			return s.scanText()
		}
		b = s.avail(2)
		if len(b) < 2 {
			return s.fail()
		}
		switch b[1] {
		case '/':
			return s.scanEndTag()
		case '?':
			i := s.find(2, "?>")
			if i < 0 {
				return s.fail()
			}
			if err := checkDeclaration(s.buf[s.pos+2 : s.pos+i]); err != nil {
				return err
			}
			s.pos += i + 2
		case '!':
			b = s.avail(9)
			switch {
			case bytes.HasPrefix(b, []byte("<!--")):
				i := s.find(4, "-->")
				if i < 0 {
					return s.fail()
				}
				s.pos += i + 3
			case bytes.HasPrefix(b, []byte("<![CDATA[")):
				i := s.find(9, "]]>")
				if i < 0 {
					return s.fail()
				}
				s.kind, s.text = tokText, s.buf[s.pos+9:s.pos+i]
				s.pos += i + 3
				if !utf8.Valid(s.text) {
					return errXML
				}
				return nil
			default:
				return errXML // <!DOCTYPE and other declarations
			}
		default:
			return s.scanStartTag()
		}
	}
}

// checkDeclaration refuses a processing instruction that is an XML
// declaration naming an encoding other than UTF-8.
func checkDeclaration(pi []byte) error {
	if len(pi) < 4 || string(pi[:3]) != "xml" || !isSpace(pi[3]) {
		return nil
	}
	for a := range attributes(pi[3:]) {
		if a.err {
			return errXML
		}
		if string(a.name) == "encoding" && !bytes.EqualFold(a.value, []byte("utf-8")) {
			return errXML
		}
	}
	return nil
}

func (s *xmlScanner) scanText() error {
	i := s.find(0, "<")
	if i < 0 {
		if s.err != io.EOF {
			return s.fail()
		}
		i = s.end - s.pos // text after the root element, up to the end
	}
	raw := s.buf[s.pos : s.pos+i]
	s.pos += i
	s.kind = tokText
	if bytes.IndexByte(raw, '&') < 0 {
		s.text = raw
	} else {
		var ok bool
		if s.scratch, ok = unescapeXML(s.scratch[:0], raw); !ok {
			return errXML
		}
		s.text = s.scratch
	}
	if !utf8.Valid(s.text) {
		return errXML
	}
	return nil
}

func (s *xmlScanner) scanEndTag() error {
	// Usually the tag is exactly the name of the open element.
	if len(s.ends) > 0 {
		top := s.stack[s.top():]
		if b := s.avail(len(top) + 3); len(b) >= len(top)+3 && b[len(top)+2] == '>' && bytes.Equal(b[2:len(top)+2], top) {
			s.pos += len(top) + 3
			s.pop()
			s.kind, s.name = tokEnd, localName(top)
			return nil
		}
	}
	i := s.find(2, ">")
	if i < 0 {
		return s.fail()
	}
	qname := trimSpaceRight(s.buf[s.pos+2 : s.pos+i])
	s.pos += i + 1
	n := len(s.ends)
	if n == 0 || !bytes.Equal(qname, s.stack[s.top():]) {
		return errXML
	}
	s.pop()
	s.kind, s.name = tokEnd, localName(qname)
	return nil
}

// top returns where the innermost open element's name starts in stack.
func (s *xmlScanner) top() int {
	if len(s.ends) < 2 {
		return 0
	}
	return s.ends[len(s.ends)-2]
}

func (s *xmlScanner) pop() {
	s.stack = s.stack[:s.top()]
	s.ends = s.ends[:len(s.ends)-1]
}

func (s *xmlScanner) scanStartTag() error {
	for {
		n, err := s.parseStartTag(s.buf[s.pos:s.end])
		if err != nil {
			return err
		}
		if n > 0 {
			s.pos += n
			return nil
		}
		// The tag goes on past the buffer: read more and start again.
		if !s.more() {
			return s.fail()
		}
	}
}

// parseStartTag reads the start tag that b starts with into the current
// token, and returns its length, or 0 if b ends before the tag does.
func (s *xmlScanner) parseStartTag(b []byte) (int, error) {
	i := 1
	for i < len(b) && !isSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	if i == len(b) {
		return 0, nil
	}
	qname := b[1:i]
	if !validName(qname) || len(s.ends) >= maxDepth {
		return 0, errXML
	}
	s.attrs = s.attrs[:0]
	for {
		// At the end of the name or of an attribute: white space, then
		// the end of the tag or another attribute.
		j := i
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if j == len(b) {
			return 0, nil
		}
		switch b[j] {
		case '>', '/':
			selfClosing := b[j] == '/'
			if selfClosing {
				if j+1 == len(b) {
					return 0, nil
				}
				if b[j+1] != '>' {
					return 0, errXML
				}
				j++
			}
			s.stack = append(s.stack, qname...)
			s.ends = append(s.ends, len(s.stack))
			s.pendingEnd = selfClosing
			s.kind, s.name = tokStart, localName(qname)
			return j + 1, nil
		}
		if j == i {
			return 0, errXML // no space before an attribute
		}
		k := j
		for k < len(b) && !isSpace(b[k]) && b[k] != '=' && b[k] != '>' && b[k] != '/' {
			k++
		}
		name := b[j:k]
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k < len(b) && b[k] == '=' {
			k++
			for k < len(b) && isSpace(b[k]) {
				k++
			}
		} else if k < len(b) {
			return 0, errXML
		}
		if k == len(b) {
			return 0, nil
		}
		quote := b[k]
		if quote != '"' && quote != '\'' || !validName(name) {
			return 0, errXML
		}
		q := bytes.IndexByte(b[k+1:], quote)
		if q < 0 {
			return 0, nil
		}
		value := b[k+1 : k+1+q]
		if bytes.IndexByte(value, '&') >= 0 {
			if _, ok := unescapeXML(s.scratchA[:0], value); !ok {
				return 0, errXML
			}
		}
		s.attrs = append(s.attrs, attribute{name: name, value: value})
		i = k + q + 2
	}
}

// validName reports whether a tag or attribute name is plausible: not
// empty, not starting with a digit or punctuation, without markup
// characters or spaces.
func validName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	if c := name[0]; c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' {
		return false
	}
	for _, c := range name {
		switch c {
		case '<', '>', '/', '=', '"', '\'', '&', ' ', '\t', '\r', '\n':
			return false
		}
	}
	return true
}

// localName drops the prefix of a qualified name, as encoding/xml does: a
// name with a colon first or last has none.
func localName(qname []byte) []byte {
	// Names are short: a loop beats bytes.IndexByte.
	for i, c := range qname {
		if c == ':' {
			if i >= 1 && i <= len(qname)-2 {
				return qname[i+1:]
			}
			break
		}
	}
	return qname
}

// attr returns the decoded value of the unprefixed attribute name of the
// current start tag, valid until the next call of attr or next.
func (s *xmlScanner) attr(name string) ([]byte, bool) {
	for _, a := range s.attrs {
		if string(a.name) != name {
			continue
		}
		if bytes.IndexByte(a.value, '&') < 0 {
			return a.value, true
		}
		s.scratchA, _ = unescapeXML(s.scratchA[:0], a.value) // checked by parseStartTag
		return s.scratchA, true
	}
	return nil, false
}

// skip reads past the end of the element whose start tag was just read.
func (s *xmlScanner) skip() error {
	for depth := 1; depth > 0; {
		if err := s.next(); err != nil {
			return err
		}
		switch s.kind {
		case tokStart:
			depth++
		case tokEnd:
			depth--
		case tokEOF:
			return errXML // next fails first: elements are open
		}
	}
	return nil
}

// attribute is one name="value" of a tag, value raw; err marks bad syntax.
type attribute struct {
	name, value []byte
	err         bool
}

// attributes yields the attributes in the raw attribute text of a tag,
// stopping after one with bad syntax.
func attributes(b []byte) func(yield func(attribute) bool) {
	return func(yield func(attribute) bool) {
		for {
			i := 0
			for i < len(b) && isSpace(b[i]) {
				i++
			}
			if i == len(b) {
				return
			}
			if i == 0 {
				yield(attribute{err: true}) // no space before the name
				return
			}
			b = b[i:]
			eq := bytes.IndexByte(b, '=')
			if eq <= 0 {
				yield(attribute{err: true})
				return
			}
			name := trimSpaceRight(b[:eq])
			b = b[eq+1:]
			for len(b) > 0 && isSpace(b[0]) {
				b = b[1:]
			}
			if !validName(name) ||
				len(b) == 0 || b[0] != '"' && b[0] != '\'' {
				yield(attribute{err: true})
				return
			}
			q := bytes.IndexByte(b[1:], b[0])
			if q < 0 {
				yield(attribute{err: true})
				return
			}
			value := b[1 : 1+q]
			b = b[q+2:]
			if !yield(attribute{name: name, value: value}) {
				return
			}
		}
	}
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// unescapeXML appends src to dst with its entity and character references
// decoded. It reports false for an unknown entity or a reference to a
// character XML does not allow.
func unescapeXML(dst, src []byte) ([]byte, bool) {
	for {
		i := bytes.IndexByte(src, '&')
		if i < 0 {
			return append(dst, src...), true
		}
		dst = append(dst, src[:i]...)
		src = src[i+1:]
		j := bytes.IndexByte(src, ';')
		if j < 0 {
			return dst, false
		}
		ref := src[:j]
		src = src[j+1:]
		switch string(ref) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return dst, false
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			if err != nil || !isXMLChar(rune(n)) || n > utf8.MaxRune {
				return dst, false
			}
			dst = utf8.AppendRune(dst, rune(n))
		}
	}
}

// isXMLChar reports whether r is a character XML 1.0 allows.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
