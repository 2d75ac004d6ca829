package pass

import (
	"errors"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, must
// fail with exactly one of the sentinel errors, and must return sane claims
// when it succeeds (SPEC §7.2: QR tokens are fuzzed).
func FuzzVerify(f *testing.F) {
	s, _ := newTestSigner(f)
	tok, _ := s.Issue(4217, DefaultTTL)
	f.Add(tok)
	f.Add("")
	f.Add(prefix)
	f.Add(prefix + ".")
	f.Add(tok[:len(tok)-1])
	f.Add(tok + "A")
	f.Add("P2.AAAA.AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(s.signPayload([]byte{0x80}))
	f.Fuzz(func(t *testing.T, in string) {
		checkVerify(t, s, in)
	})
}

// FuzzVerifyPayload signs arbitrary payload bytes with the right key, so the
// fuzzer reaches the payload parser that an honest MAC check otherwise
// shields.
func FuzzVerifyPayload(f *testing.F) {
	s, _ := newTestSigner(f)
	tok, _ := s.Issue(4217, DefaultTTL)
	f.Add(mustDecode(f, tok[len(prefix):len(tok)-1-b64.EncodedLen(macSize)]))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, payload []byte) {
		if b64.EncodedLen(len(payload))+len(prefix)+1+b64.EncodedLen(macSize) > maxTokenLen {
			return // Verify refuses it by length alone; FuzzVerify covers that
		}
		checkVerify(t, s, s.signPayload(payload))
	})
}

func checkVerify(t *testing.T, s *Signer, in string) {
	got, err := s.Verify(in)
	if err != nil {
		n := 0
		for _, sentinel := range []error{ErrMalformed, ErrForged, ErrExpired} {
			if errors.Is(err, sentinel) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("Verify(%q) err = %v, want exactly one sentinel", in, err)
		}
		if got != (Claims{}) {
			t.Fatalf("Verify(%q) failed but returned claims %+v", in, got)
		}
		return
	}
	now := s.now()
	if got.PersonID <= 0 || !got.Expires.After(got.IssuedAt) || got.Expires.Sub(got.IssuedAt) > MaxTTL ||
		!now.Before(got.Expires) || got.IssuedAt.After(now.Add(ClockSkew)) {
		t.Fatalf("Verify(%q) accepted insane claims %+v at %v", in, got, now)
	}
	if got.IssuedAt.Location() != time.UTC {
		t.Fatalf("claims not in UTC: %+v", got)
	}
}
