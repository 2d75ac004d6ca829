package roster

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// scanAll returns the tokens of doc as the scanner sees them, one string
// each, or the error that stopped it.
func scanAll(r io.Reader) ([]string, error) {
	sc := newXMLScanner(r)
	var toks []string
	for {
		if err := sc.next(); err != nil {
			return toks, err
		}
		switch sc.kind {
		case tokEOF:
			return toks, nil
		case tokStart:
			s := "<" + string(sc.name)
			for _, a := range sc.attrs {
				v, ok := sc.attr(string(a.name))
				if !ok {
					return toks, fmt.Errorf("attribute %s: bad value", a.name)
				}
				s += fmt.Sprintf(" %s=%q", localName(a.name), v)
			}
			toks = append(toks, s+">")
		case tokEnd:
			toks = append(toks, "</"+string(sc.name)+">")
		case tokText:
			// Join adjacent text (text then CDATA), as the comparison
			// with encoding/xml below needs.
			if n := len(toks); n > 0 && strings.HasPrefix(toks[n-1], "text:") {
				toks[n-1] += string(sc.text)
			} else {
				toks = append(toks, "text:"+string(sc.text))
			}
		}
	}
}

// stdTokens is scanAll done by encoding/xml, with XML's line end
// normalisation undone by normalising both.
func stdTokens(doc []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var toks []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return toks, nil
		}
		if err != nil {
			return toks, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			s := "<" + t.Name.Local
			for _, a := range t.Attr {
				s += fmt.Sprintf(" %s=%q", a.Name.Local, a.Value)
			}
			toks = append(toks, s+">")
		case xml.EndElement:
			toks = append(toks, "</"+t.Name.Local+">")
		case xml.CharData:
			if n := len(toks); n > 0 && strings.HasPrefix(toks[n-1], "text:") {
				toks[n-1] += string(t)
			} else {
				toks = append(toks, "text:"+string(t))
			}
		}
	}
}

func normaliseNewlines(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "\r\n", "\n"), "\r", "\n")
	}
	return out
}

func TestXMLScanner(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // tokens joined with |
	}{
		{"declaration and root", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" + `<a/>`, "text:\r\n|<a>|</a>"},
		{"attributes", `<a x="1" y = '2>' z="&lt;&amp;&#65;&#x42;"></a>`, `<a x="1" y="2>" z="<&AB">|</a>`},
		{"prefixes dropped", `<x:row r="1"><x:c r="A1"/></x:row>`, `<row r="1">|<c r="A1">|</c>|</row>`},
		{"text and references", `<t>a&amp;b &#20013;&#x6587; &quot;&apos;&gt;</t>`, `<t>|text:a&b 中文 "'>|</t>`},
		{"cdata and comments", `<t><!-- no <t> --><![CDATA[<&>]]>x<?pi ok?></t>`, `<t>|text:<&>x|</t>`},
		{"end tag with space", `<t>x</t  >`, `<t>|text:x|</t>`},
		{"empty", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.doc), iotest.OneByteReader(strings.NewReader(tt.doc))} {
				toks, err := scanAll(r)
				if err != nil {
					t.Fatalf("scan: %v (after %q)", err, toks)
				}
				if got := strings.Join(toks, "|"); got != tt.want {
					t.Errorf("tokens\n got %s\nwant %s", got, tt.want)
				}
			}
		})
	}
}

func TestXMLScannerRefuses(t *testing.T) {
	for _, doc := range []string{
		`<a>`,                   // unclosed
		`<a></b>`,               // mismatched
		`</a>`,                  // end without start
		`<a><b></a></b>`,        // crossed
		`<a x=1/>`,              // unquoted attribute
		`<a x="1"y="2"/>`,       // no space between attributes
		`<a x/>`,                // attribute without value
		`<a x="1/>`,             // unterminated value
		`<a>&unknown;</a>`,      // unknown entity
		`<a x="&unknown;"/>`,    // unknown entity in an attribute
		`<a>&#0;</a>`,           // not an XML character
		`<a>&#xD800;</a>`,       // surrogate
		`<a>&#x110000;</a>`,     // beyond Unicode
		`<a>& b</a>`,            // bare ampersand
		`<a>` + "\xff" + `</a>`, // not UTF-8
		`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
		`<?xml version="1.0" encoding="GBK"?><a/>`,
		`<a><!-- unterminated </a>`,
		`<a><![CDATA[ unterminated </a>`,
		`< a/>`,
		`<1a/>`,
		`<a/ >`,
		`<a`,
		`<`,
	} {
		if toks, err := scanAll(strings.NewReader(doc)); err == nil {
			t.Errorf("%q: scanned as %q, want an error", doc, toks)
		}
	}
}

func TestXMLScannerLongTokens(t *testing.T) {
	// Tokens longer than the initial buffer, and a text beyond maxToken.
	long := strings.Repeat("长", 100_000)
	doc := `<a v="` + long + `">` + long + `</a>`
	toks, err := scanAll(strings.NewReader(doc))
	if err != nil || len(toks) != 3 || toks[1] != "text:"+long {
		t.Fatalf("long tokens: %d tokens, %v", len(toks), err)
	}
	huge := io.MultiReader(strings.NewReader("<a>"), strings.NewReader(strings.Repeat("x", maxToken+1)), strings.NewReader("</a>"))
	if _, err := scanAll(huge); err == nil {
		t.Fatal("text beyond maxToken scanned")
	}
	deep := strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1)
	if _, err := scanAll(strings.NewReader(deep)); err == nil {
		t.Fatal("nesting beyond maxDepth scanned")
	}
}

func TestXMLScannerReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("<a>text"), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := scanAll(r); err != io.ErrUnexpectedEOF {
		t.Fatalf("error = %v, want the reader's", err)
	}
}

// FuzzXMLScanner checks the scanner against encoding/xml: whatever both
// read, they read the same; whatever encoding/xml reads, the scanner reads
// too, but for the documents it refuses on purpose.
func FuzzXMLScanner(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><worksheet xmlns="m" xmlns:r="r"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><r><t xml:space="preserve"> a&amp;b </t></r></is></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<sst><si><t>x</t><rPh><t>y</t></rPh></si><si><![CDATA[z]]><!-- c --></si></sst>`))
	f.Add([]byte("<a b='1'\r\nc=\"&#x4E2D;\"/>\r\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		ours, err := scanAll(bytes.NewReader(doc))
		theirs, stdErr := stdTokens(doc)
		if stdErr != nil {
			return // the scanner may be more lenient
		}
		if err != nil {
			// Refused on purpose: declarations, names encoding/xml
			// accepts but no spreadsheet writes.
			if hasDeclaration(doc) || bytes.Contains(doc, []byte("encoding")) {
				return
			}
			t.Fatalf("scanner refuses what encoding/xml reads: %v\n%q\nencoding/xml: %q", err, doc, theirs)
		}
		ours, theirs = normaliseNewlines(ours), normaliseNewlines(theirs)
		if strings.Join(ours, "\x00") != strings.Join(theirs, "\x00") {
			t.Fatalf("tokens differ for %q\n ours %q\n std  %q", doc, ours, theirs)
		}
	})
}

// hasDeclaration reports whether doc has a markup declaration such as
// <!DOCTYPE, which the scanner refuses.
func hasDeclaration(doc []byte) bool {
	for i := 0; ; i++ {
		j := bytes.Index(doc[i:], []byte("<!"))
		if j < 0 {
			return false
		}
		i += j
		if !bytes.HasPrefix(doc[i:], []byte("<!--")) && !bytes.HasPrefix(doc[i:], []byte("<![CDATA[")) {
			return true
		}
	}
}
