package pass

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte("k"), MinKeySize)

// clock is a settable time source for the signer.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestSigner(t testing.TB) (*Signer, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2025, 3, 14, 7, 30, 15, 500_000_000, time.FixedZone("CST", 8*3600))}
	return NewSigner(testKey, c.now), c
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	s, c := newTestSigner(t)
	tok, expires := s.Issue(4217, DefaultTTL)

	got, err := s.Verify(tok)
	if err != nil {
		t.Fatalf("Verify(%q): %v", tok, err)
	}
	issued := c.t.Truncate(time.Second)
	if got.PersonID != 4217 || !got.IssuedAt.Equal(issued) || !got.Expires.Equal(issued.Add(DefaultTTL)) {
		t.Errorf("claims = %+v, want person 4217 issued %v expiring %v", got, issued, issued.Add(DefaultTTL))
	}
	if !got.Expires.Equal(expires) {
		t.Errorf("Issue said expires %v, claims say %v", expires, got.Expires)
	}
	// Still valid one second before the end.
	c.t = expires.Add(-time.Second)
	if _, err := s.Verify(tok); err != nil {
		t.Errorf("one second before expiry: %v", err)
	}
}

func TestIssueTTL(t *testing.T) {
	s, c := newTestSigner(t)
	issued := c.t.Truncate(time.Second)
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{
		{"zero means default", 0, DefaultTTL},
		{"negative means default", -time.Minute, DefaultTTL},
		{"rounded up to seconds", 1500 * time.Millisecond, 2 * time.Second},
		{"capped", 48 * time.Hour, MaxTTL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, expires := s.Issue(1, tc.ttl)
			if want := issued.Add(tc.want); !expires.Equal(want) {
				t.Errorf("expires = %v, want %v", expires, want)
			}
			got, err := s.Verify(tok)
			if err != nil || !got.Expires.Equal(expires) {
				t.Errorf("Verify = %+v, %v; want expiry %v", got, err, expires)
			}
		})
	}
}

func TestVerifyExpired(t *testing.T) {
	s, c := newTestSigner(t)
	tok, expires := s.Issue(7, DefaultTTL)
	for _, at := range []time.Time{expires, expires.Add(time.Second), expires.Add(24 * time.Hour)} {
		c.t = at
		if _, err := s.Verify(tok); !errors.Is(err, ErrExpired) {
			t.Errorf("at %v: err = %v, want ErrExpired", at, err)
		}
	}
}

func TestVerifyNotYetValid(t *testing.T) {
	s, c := newTestSigner(t)
	start := c.t
	tok, _ := s.Issue(7, DefaultTTL)
	issued := start.Truncate(time.Second)

	// Another server whose clock is behind by less than the skew accepts it.
	c.t = issued.Add(-ClockSkew)
	if _, err := s.Verify(tok); err != nil {
		t.Errorf("%v behind: %v", ClockSkew, err)
	}
	// Beyond the skew it is refused.
	c.t = issued.Add(-ClockSkew - time.Second)
	if _, err := s.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Errorf("%v behind: err = %v, want ErrExpired", ClockSkew+time.Second, err)
	}
}

func TestVerifyForged(t *testing.T) {
	s, _ := newTestSigner(t)
	tok, _ := s.Issue(4217, DefaultTTL)
	payloadText, macText, _ := strings.Cut(strings.TrimPrefix(tok, prefix), ".")

	// flip re-encodes text with one bit of its decoded bytes flipped, so the
	// result is still well formed and only the signature can catch it.
	flip := func(text string, bit int) string {
		b, err := b64.DecodeString(text)
		if err != nil {
			t.Fatal(err)
		}
		b[bit/8] ^= 1 << (bit % 8)
		return b64.EncodeToString(b)
	}

	cases := map[string]string{}
	for _, bit := range []int{0, 9, 8*len(mustDecode(t, payloadText)) - 1} {
		cases["payload bit "+strconv.Itoa(bit)] = prefix + flip(payloadText, bit) + "." + macText
	}
	for _, bit := range []int{0, 64, 8*macSize - 1} {
		cases["mac bit "+strconv.Itoa(bit)] = prefix + payloadText + "." + flip(macText, bit)
	}
	otherKey := bytes.Repeat([]byte("x"), MinKeySize)
	other, _ := NewSigner(otherKey, time.Now).Issue(4217, DefaultTTL)
	cases["other key"] = other
	// A payload for another person with the original signature.
	p := mustDecode(t, payloadText)
	p[0]++
	cases["other person"] = prefix + b64.EncodeToString(p) + "." + macText

	for name, forged := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Verify(forged); !errors.Is(err, ErrForged) {
				t.Errorf("Verify(%q) err = %v, want ErrForged", forged, err)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	s, _ := newTestSigner(t)
	tok, _ := s.Issue(4217, DefaultTTL)
	_, macText, _ := strings.Cut(strings.TrimPrefix(tok, prefix), ".")

	for name, in := range map[string]string{
		"empty":            "",
		"prefix only":      prefix,
		"wrong prefix":     "P2." + strings.TrimPrefix(tok, prefix),
		"lower case":       strings.ToLower(tok[:2]) + tok[2:],
		"no signature":     strings.SplitN(tok, ".", 3)[0] + "." + strings.SplitN(tok, ".", 3)[1],
		"truncated":        tok[:len(tok)-1],
		"truncated more":   tok[:len(tok)-5],
		"extra dot":        tok + ".",
		"bad base64 mac":   prefix + "AAAA." + strings.Repeat("!", len(macText)),
		"bad base64 body":  prefix + "AA*A." + macText,
		"padded":           tok + "=",
		"std alphabet":     prefix + "+/+/." + macText,
		"non-canonical":    prefix + "AB." + macText, // "AB" leaves set bits past the last byte
		"url instead":      "https://example.org/p/" + tok,
		"whitespace":       " " + tok,
		"2 KB":             tok + strings.Repeat("A", 2048),
		"1 MB valid chars": prefix + strings.Repeat("A", 1<<20) + "." + macText,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Verify(in); !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestVerifyHugeInputNoWork shows a long input is refused before any
// decoding: no allocation happens at all.
func TestVerifyHugeInputNoWork(t *testing.T) {
	s, _ := newTestSigner(t)
	huge := prefix + strings.Repeat("A", 1<<20) + "." + strings.Repeat("A", 22)
	if n := testing.AllocsPerRun(10, func() { s.Verify(huge) }); n != 0 {
		t.Errorf("Verify of 1 MB allocates %v times, want 0", n)
	}
}

// TestVerifyBadPayload signs payloads the signer never makes, to reach the
// checks behind the MAC.
func TestVerifyBadPayload(t *testing.T) {
	s, _ := newTestSigner(t)
	uv := binary.AppendUvarint
	nonce := make([]byte, 8)
	good := func(person, issued, ttl uint64) []byte {
		return append(uv(uv(uv(nil, person), issued), ttl), nonce...)
	}
	for name, p := range map[string][]byte{
		"empty":             nil,
		"truncated varint":  {0x80},
		"varint overflow":   bytes.Repeat([]byte{0xff}, 11),
		"short nonce":       good(1, 1741908615, 180)[:10],
		"long nonce":        append(good(1, 1741908615, 180), 0),
		"person zero":       good(0, 1741908615, 180),
		"person too big":    good(math.MaxInt64+1, 1741908615, 180),
		"issued year 10000": good(1, maxUnix+1, 180),
		"ttl zero":          good(1, 1741908615, 0),
		"ttl over a day":    good(1, 1741908615, 86401),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Verify(s.signPayload(p)); !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestErrorsAreDistinctSentinels(t *testing.T) {
	s, c := newTestSigner(t)
	tok, expires := s.Issue(1, DefaultTTL)
	c.t = expires
	_, err := s.Verify(tok)
	if !errors.Is(err, ErrExpired) || errors.Is(err, ErrForged) || errors.Is(err, ErrMalformed) {
		t.Errorf("expired token: err = %v matches the wrong sentinels", err)
	}
	if !strings.HasPrefix(err.Error(), ErrExpired.Error()+": ") {
		t.Errorf("err = %q, want the sentinel's reason followed by detail", err)
	}
}

func TestReplayKeyUnique(t *testing.T) {
	s, _ := newTestSigner(t)
	seen := make(map[string]bool, 10_000)
	for i := range 10_000 {
		// Few people issuing many passes within the same second is the case
		// where only the nonce tells tokens apart.
		tok, _ := s.Issue(int64(1+i%3), DefaultTTL)
		c, err := s.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		k := c.ReplayKey()
		if seen[k] {
			t.Fatalf("replay key %q repeated after %d issues", k, i)
		}
		seen[k] = true
	}
}

func TestTokenLength(t *testing.T) {
	s, _ := newTestSigner(t)
	for _, person := range []int64{1, 4217, 1 << 40, math.MaxInt64} {
		for _, ttl := range []time.Duration{DefaultTTL, MaxTTL} {
			tok, _ := s.Issue(person, ttl)
			if len(tok) > 60 {
				t.Errorf("person %d ttl %v: token %q is %d characters, want ≤ 60", person, ttl, tok, len(tok))
			}
			if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
				t.Errorf("token %q is not URL-safe", tok)
			}
		}
	}
}

func TestNewSignerPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"short key": func() { NewSigner(make([]byte, MinKeySize-1), time.Now) },
		"nil clock": func() { NewSigner(testKey, nil) },
		"person 0":  func() { NewSigner(testKey, time.Now).Issue(0, DefaultTTL) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			f()
		})
	}
}

// signPayload makes a token from arbitrary payload bytes with the signer's
// key, to test and fuzz what happens behind the MAC.
func (s *Signer) signPayload(p []byte) string {
	signed := prefix + b64.EncodeToString(p)
	return signed + "." + b64.EncodeToString(s.mac(signed))
}

func mustDecode(t testing.TB, text string) []byte {
	t.Helper()
	b, err := b64.DecodeString(text)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
