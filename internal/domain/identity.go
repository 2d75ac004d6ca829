package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Identity numbers and mobile numbers arrive typed by people, often in
// spreadsheets: with spaces, full-width digits (０-９) from a Chinese input
// method, a lowercase x, or a +86 prefix. The Normalize functions turn such
// input into the one stored form; the Valid functions accept anything their
// Normalize function turns into a valid value, so callers validate the raw
// input and store the normalised one.

// idWeights are the GB 11643-1999 weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// IDNumberCheckChar returns the GB 11643-1999 check character ('0'-'9' or
// 'X') for the first 17 digits of a resident identity number, or 0 if
// first17 is not exactly 17 ASCII digits.
func IDNumberCheckChar(first17 string) byte {
	if len(first17) != 17 || !allDigits(first17) {
		return 0
	}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// NormalizeIDNumber returns s without spaces, with full-width digits made
// ASCII and a lowercase x upper-cased. It does not validate.
func NormalizeIDNumber(s string) string {
	return strings.ToUpper(narrowDigits(s, nil))
}

// ValidIDNumber reports whether s, once normalised by NormalizeIDNumber, is
// an 18-character GB 11643-1999 resident identity number: 17 digits whose
// digits 7-14 are a birth date from 1900-01-01 to 2100-12-31, then the check
// character. The error is an EInvalid *Error whose message says what is wrong.
func ValidIDNumber(s string) error {
	s = NormalizeIDNumber(s)
	if utf8.RuneCountInString(s) != 18 {
		return Errorf(EInvalid, "must be 18 characters")
	}
	if !allDigits(s[:17]) || !isDigitOrX(s[17]) {
		return Errorf(EInvalid, "must be 17 digits followed by a digit or X")
	}
	// The birth date is checked before the check digit: a typo there is
	// more useful to name than a generic check-digit failure.
	if !validBirthDate(s) {
		return Errorf(EInvalid, "invalid birth date")
	}
	if IDNumberCheckChar(s[:17]) != s[17] {
		return Errorf(EInvalid, "invalid check digit")
	}
	return nil
}

// IDNumberBirthDate returns the birth date held in digits 7-14 of a
// normalised 18-character identity number as YYYY-MM-DD, and whether it is a
// real date from 1900-01-01 to 2100-12-31. It does not check anything else.
func IDNumberBirthDate(id string) (string, bool) {
	if !validBirthDate(id) {
		return "", false
	}
	return id[6:10] + "-" + id[10:12] + "-" + id[12:14], true
}

// validBirthDate reports whether id is 18 bytes long with a real date from
// 1900 to 2100 at 6-13. It uses plain arithmetic rather than time.Parse:
// imports check hundreds of thousands of numbers.
func validBirthDate(id string) bool {
	if len(id) != 18 || !allDigits(id[6:14]) {
		return false
	}
	y, m, d := atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14])
	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// daysIn returns the number of days in month m of year y.
func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// atoi converts a string of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// NormalizeMobile returns s without spaces, hyphens and a leading +86, 0086
// or 86 country code, with full-width digits made ASCII. It does not
// validate.
func NormalizeMobile(s string) string {
	s = narrowDigits(s, func(r rune) bool { return r == '-' || r == '－' })
	switch {
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case strings.HasPrefix(s, "0086"):
		s = s[4:]
	case strings.HasPrefix(s, "86") && len(s) == 13:
		// Only strip a bare 86 when 11 digits follow: no mainland mobile
		// number starts with 8, but other digit strings might.
		s = s[2:]
	}
	return s
}

// ValidMobile reports whether s, once normalised by NormalizeMobile, is a
// mainland China mobile number: 11 digits starting with 13-19. The error is
// an EInvalid *Error.
func ValidMobile(s string) error {
	s = NormalizeMobile(s)
	if len(s) != 11 || !allDigits(s) || s[0] != '1' || s[1] < '3' {
		return Errorf(EInvalid, "not a mainland mobile number")
	}
	return nil
}

// MaskIDNumber hides the middle of an identity number for display, keeping
// its length: "110105199003071234" becomes "110***********1234". Strings too
// short to keep 3 leading and 4 trailing characters around at least one star
// show only their last 2 characters.
func MaskIDNumber(s string) string {
	return mask(s)
}

// MaskPhone hides the middle of a phone number for display, keeping its
// length: "13812345678" becomes "138****5678". Short strings are masked as
// in MaskIDNumber.
func MaskPhone(s string) string {
	return mask(s)
}

// mask keeps the first 3 and last 4 runes of s, or only the last 2 when s
// has fewer than 8 runes, and replaces the rest with '*'.
func mask(s string) string {
	r := []rune(s)
	head, tail := 3, 4
	if len(r) < head+tail+1 {
		head, tail = 0, 2
	}
	if len(r) <= tail {
		// Nothing would be hidden: hide it all.
		return strings.Repeat("*", len(r))
	}
	for i := head; i < len(r)-tail; i++ {
		r[i] = '*'
	}
	return string(r)
}

// narrowDigits drops white space and any rune for which drop returns true,
// and turns full-width digits and letters into ASCII.
func narrowDigits(s string, drop func(rune) bool) string {
	if plain(s, drop) {
		return s // the usual case, without allocating
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), drop != nil && drop(r):
			continue
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r >= 'Ａ' && r <= 'Ｚ':
			r = 'A' + (r - 'Ａ')
		case r >= 'ａ' && r <= 'ｚ':
			r = 'a' + (r - 'ａ')
		case r == '＋':
			r = '+'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// plain reports whether narrowDigits would leave s unchanged: s is ASCII
// without white space or runes to drop.
func plain(s string, drop func(rune) bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c <= ' ' || c == 0x7F || drop != nil && drop(rune(c)) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isDigitOrX(c byte) bool {
	return c == 'X' || (c >= '0' && c <= '9')
}
