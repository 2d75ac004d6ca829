package domain

import "testing"

func TestIDNumberCheckChar(t *testing.T) {
	tests := []struct {
		first17 string
		want    byte
	}{
		// Published GB 11643-1999 examples.
		{"11010519491231002", 'X'},
		{"44052418800101001", '4'},
		{"11010519900307123", '9'},
		{"00000000000000000", '1'},
		{"1101051990030712", 0},   // 16 digits
		{"110105199003071234", 0}, // 18 digits
		{"1101051990030712a", 0},  // not a digit
		{"１1010519491231002", 0},  // full-width digit: callers normalise first
	}
	for _, tt := range tests {
		t.Run(tt.first17, func(t *testing.T) {
			if got := IDNumberCheckChar(tt.first17); got != tt.want {
				t.Errorf("IDNumberCheckChar(%q) = %q, want %q", tt.first17, got, tt.want)
			}
		})
	}
}

func TestValidIDNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // error message, "" for valid
	}{
		{"valid", "110105199003071239", ""},
		{"valid X", "11010519491231002X", ""},
		{"lowercase x", "11010519491231002x", ""},
		{"surrounding spaces", "  110105199003071239\t", ""},
		{"full-width digits", "１１０１０５１９９００３０７１２３９", ""},
		{"leap day", "110105200002291235", ""},
		{"first allowed day", "110105190001011231", ""},
		{"year 2100", "110105210012311235", ""},
		{"empty", "", "must be 18 characters"},
		{"17 characters", "11010519900307123", "must be 18 characters"},
		{"19 characters", "1101051990030712390", "must be 18 characters"},
		{"15-digit old format", "110105900307123", "must be 18 characters"},
		{"letter in body", "1101051990A3071239", "must be 17 digits followed by a digit or X"},
		{"X not last", "X10105199003071239", "must be 17 digits followed by a digit or X"},
		{"bad last char", "11010519900307123Y", "must be 17 digits followed by a digit or X"},
		{"chinese last rune", "11010519900307123中", "must be 17 digits followed by a digit or X"},
		{"month 13", "110105199013071239", "invalid birth date"},
		{"day 0", "110105199003001239", "invalid birth date"},
		{"not leap", "110105190002291239", "invalid birth date"},
		{"before 1900", "110105189912311239", "invalid birth date"},
		{"after 2100", "110105210101011239", "invalid birth date"},
		{"wrong check digit", "110105199003071234", "invalid check digit"},
		{"X where digit due", "11010519900307123X", "invalid check digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidIDNumber(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidIDNumber(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidIDNumber(%q) = nil, want %q", tt.in, tt.want)
			}
			if ErrorCode(err) != EInvalid || ErrorMessage(err) != tt.want {
				t.Errorf("ValidIDNumber(%q) = %v, want %s: %s", tt.in, err, EInvalid, tt.want)
			}
		})
	}
}

func TestIDNumberBirthDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"110105199003071239", "1990-03-07", true},
		{"110105200002291235", "2000-02-29", true},
		{"110105199002301239", "", false},
		{"11010519900307123", "", false},
		{"110105abcdefgh1239", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := IDNumberBirthDate(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("IDNumberBirthDate(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002x", "11010519491231002X"},
		{" 110105 19491231 002X ", "11010519491231002X"},
		{"１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeIDNumber(tt.in); got != tt.want {
			t.Errorf("NormalizeIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "13812345678"},
		{" 138 1234 5678 ", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"+86 138 1234 5678", "13812345678"},
		{"+8613812345678", "13812345678"},
		{"8613812345678", "13812345678"},
		{"008613812345678", "13812345678"},
		{"＋８６　１３８１２３４５６７８", "13812345678"},
		{"86123", "86123"}, // a bare 86 is stripped only before 11 digits
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeMobile(tt.in); got != tt.want {
			t.Errorf("NormalizeMobile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidMobile(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"13812345678", true},
		{"19912345678", true},
		{"+86 138-1234-5678", true},
		{"8615912345678", true},
		{"12812345678", false}, // 12x is not a mobile prefix
		{"10812345678", false},
		{"23812345678", false},
		{"1381234567", false},   // 10 digits
		{"138123456789", false}, // 12 digits
		{"1381234567a", false},
		{"010-12345678", false}, // landline
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := ValidMobile(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidMobile(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && ErrorMessage(err) != "not a mainland mobile number" {
				t.Errorf("ValidMobile(%q) message = %q", tt.in, ErrorMessage(err))
			}
		})
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"110105199003071234", "110***********1234"},
		{"11010519491231002X", "110***********002X"},
		{"110105900307123", "110********7123"}, // 15-digit old format
		{"12345678", "123*5678"},
		{"1234567", "*****67"},
		{"123", "*23"},
		{"12", "**"},
		{"1", "*"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"02112345678", "021****5678"},
		{"12345", "***45"},
		{"", ""},
		{"一二三四五六七八", "一二三*五六七八"}, // runes, not bytes
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
