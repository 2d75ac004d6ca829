package roster

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

var (
	// zipMagic starts every XLSX file (a ZIP archive).
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts an OLE compound file: a legacy .xls workbook, or an
	// XLSX that Excel encrypted with a password.
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	// encryptedPackage is the UTF-16LE name of the stream in which an
	// encrypted XLSX hides inside an OLE file.
	encryptedPackage = utf16LE("EncryptedPackage")

	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

var errNotText = invalid("not a CSV or XLSX file")

// oleError explains why an OLE compound file is refused. Both kinds are
// common: schools still keep .xls files, and password-protected .xlsx files
// look like .xls until opened.
func oleError(data []byte) error {
	if bytes.Contains(data, encryptedPackage) {
		return invalid("password-protected workbooks are not supported: remove the password and save again")
	}
	return invalid("legacy .xls is not supported: save as .xlsx or CSV")
}

// decodeText returns data as UTF-8 text without a byte order mark. Text is
// UTF-8 if it is valid UTF-8, otherwise GB18030 (a superset of GBK, which
// Excel on Chinese Windows writes when saving CSV). A UTF-16 file with a BOM,
// which Excel writes as "Unicode Text", is decoded too. Anything else is
// refused as binary.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		data = data[len(utf8BOM):]
	case bytes.HasPrefix(data, utf16LEBOM), bytes.HasPrefix(data, utf16BEBOM):
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(b, utf8.RuneError) {
			return "", errNotText
		}
		data = b
	}
	// No text format has NUL bytes; binary files almost always do.
	if bytes.IndexByte(data, 0) >= 0 {
		return "", errNotText
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	// The decoder replaces bytes that are not GB18030 with U+FFFD rather
	// than failing; a file with any is neither UTF-8 nor GB18030.
	if err != nil || bytes.ContainsRune(b, utf8.RuneError) {
		return "", errNotText
	}
	return string(b), nil
}

func utf16LE(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// sniffComma returns the separator of a CSV text: a comma unless the first
// non-blank line has none but has a semicolon (Excel in many European
// locales) or a tab (Excel's "Text" and "Unicode Text" exports).
func sniffComma(text string) rune {
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		switch {
		case strings.ContainsRune(line, ','):
			return ','
		case strings.ContainsRune(line, ';'):
			return ';'
		case strings.ContainsRune(line, '\t'):
			return '\t'
		}
		return ','
	}
	return ','
}
