// Package pass issues and checks the gate pass: a short-lived signed token
// shown as a QR code on the personal page (SPEC §3.2). A pass is valid for
// minutes, so yesterday's screenshot does not open the gate.
//
// Version 1 of the token is
//
//	"P1." + base64url(payload) + "." + base64url(mac)
//
// without padding, where
//
//	payload = uvarint(person id) uvarint(issued at, Unix seconds) uvarint(ttl seconds) nonce (8 bytes)
//	mac     = first 16 bytes of HMAC-SHA256(passKey, "P1." + base64url(payload))
//
// Varints keep the token at 60 characters or fewer, a small QR code that
// phone cameras read quickly. The version prefix lets a later format live
// beside this one.
package pass

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

const (
	// DefaultTTL is how long a pass is valid: long enough to walk from the
	// queue to the scanner, short enough that a shared screenshot is useless.
	DefaultTTL = 3 * time.Minute

	// MaxTTL caps the lifetime a caller can ask for. A pass is meant to live
	// minutes; the cap also keeps the time arithmetic in Verify far from
	// overflow.
	MaxTTL = 24 * time.Hour

	// ClockSkew is how far in the future a token's issue time may lie and
	// still be accepted, for servers whose clocks disagree a little.
	ClockSkew = 30 * time.Second

	// MinKeySize is the shortest key NewSigner accepts, in bytes.
	MinKeySize = 32
)

const (
	prefix = "P1."

	// macSize is the truncated HMAC length: 128 bits is far beyond what an
	// online guesser at a gate could try within a pass's lifetime.
	macSize = 16

	// maxTokenLen bounds the input Verify looks at. A real token is at most
	// 60 bytes; anything much longer is rejected before any decoding work.
	maxTokenLen = 128

	// maxUnix is the last second of the year 9999; later issue times are
	// nonsense and would overflow time arithmetic.
	maxUnix = 253402300799
)

var b64 = base64.RawURLEncoding.Strict()

// Errors returned by Verify, wrapped with detail; test with errors.Is.
var (
	// ErrMalformed means the input is not a version 1 pass token at all:
	// wrong prefix, bad base64, wrong length, or a payload that does not parse.
	ErrMalformed = errors.New("pass: not a valid pass code")
	// ErrForged means the token is well formed but its signature does not
	// match: altered, signed with another key, or made up.
	ErrForged = errors.New("pass: signature does not match")
	// ErrExpired means the token is genuine but outside its validity window:
	// past its expiry, or issued further ahead of this clock than ClockSkew.
	ErrExpired = errors.New("pass: expired or not yet valid")
)

// errTooLong is built once so that rejecting a huge input costs nothing.
var errTooLong = fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxTokenLen)

// Claims is what a verified token says.
type Claims struct {
	PersonID int64
	IssuedAt time.Time // UTC, whole seconds
	Expires  time.Time // UTC, whole seconds; the token is invalid from this instant on
	Nonce    uint64
}

// ReplayKey identifies the token the claims came from. Two tokens share a key
// only if the same person drew the same random 64-bit nonce. Verify cannot
// refuse a second use by itself, so the caller stores used keys until
// Expires and refuses a key it has seen.
func (c Claims) ReplayKey() string {
	return fmt.Sprintf("%x-%016x", c.PersonID, c.Nonce)
}

// Signer issues and checks pass tokens with an HMAC-SHA256 key. It is safe
// for concurrent use.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer using key, which must be at least MinKeySize
// bytes, and the clock now. It panics on a short key or a nil clock: both are
// wiring mistakes to catch at start-up, not conditions to handle.
func NewSigner(key []byte, now func() time.Time) *Signer {
	if len(key) < MinKeySize {
		panic(fmt.Sprintf("pass: key is %d bytes, need at least %d", len(key), MinKeySize))
	}
	if now == nil {
		panic("pass: nil clock")
	}
	// Derive a key for this one purpose, so a caller that passes a key also
	// used elsewhere (say the master key) gets MACs that mean nothing there.
	m := hmac.New(sha256.New, key)
	m.Write([]byte("epiguard pass token v1"))
	return &Signer{key: m.Sum(nil), now: now}
}

// Issue returns a new token for personID valid for ttl from now, and its
// expiry. A ttl of zero or less means DefaultTTL; ttl is rounded up to whole
// seconds and capped at MaxTTL. It panics if personID is not positive, which
// no stored person has.
func (s *Signer) Issue(personID int64, ttl time.Duration) (token string, expires time.Time) {
	if personID <= 0 {
		panic(fmt.Sprintf("pass: person id %d is not positive", personID))
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	ttl = min(ttl, MaxTTL)
	ttlSec := int64((ttl + time.Second - 1) / time.Second)

	issued := time.Unix(s.now().Unix(), 0).UTC()
	var nonce [8]byte
	rand.Read(nonce[:]) // never fails since Go 1.24

	payload := make([]byte, 0, 3*binary.MaxVarintLen64+len(nonce))
	payload = binary.AppendUvarint(payload, uint64(personID))
	payload = binary.AppendUvarint(payload, uint64(issued.Unix()))
	payload = binary.AppendUvarint(payload, uint64(ttlSec))
	payload = append(payload, nonce[:]...)

	signed := prefix + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(s.mac(signed)), issued.Add(time.Duration(ttlSec) * time.Second)
}

// Verify checks token's format, signature and validity window at the
// signer's clock and returns its claims. The error wraps exactly one of
// ErrMalformed, ErrForged or ErrExpired. Verify does not detect a second use
// of a valid token; see Claims.ReplayKey.
func (s *Signer) Verify(token string) (Claims, error) {
	if len(token) > maxTokenLen {
		return Claims{}, errTooLong
	}
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		return Claims{}, fmt.Errorf("%w: does not start with %q", ErrMalformed, prefix)
	}
	payloadText, macText, ok := strings.Cut(rest, ".")
	if !ok {
		return Claims{}, fmt.Errorf("%w: no signature", ErrMalformed)
	}
	if len(macText) != b64.EncodedLen(macSize) {
		return Claims{}, fmt.Errorf("%w: signature is %d characters, want %d", ErrMalformed, len(macText), b64.EncodedLen(macSize))
	}
	mac, err := b64.DecodeString(macText)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	payload, err := b64.DecodeString(payloadText)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}

	// The MAC covers the text as sent, so any change to it, even one that
	// decodes to the same bytes, fails here. Only then is the payload parsed.
	signed := token[:len(prefix)+len(payloadText)]
	if !hmac.Equal(mac, s.mac(signed)) {
		return Claims{}, ErrForged
	}
	c, err := parsePayload(payload)
	if err != nil {
		return Claims{}, err
	}

	now := s.now()
	if c.IssuedAt.After(now.Add(ClockSkew)) {
		return Claims{}, fmt.Errorf("%w: issued %s ahead of this clock", ErrExpired, c.IssuedAt.Sub(now).Round(time.Second))
	}
	if !now.Before(c.Expires) {
		return Claims{}, fmt.Errorf("%w: expired %s ago", ErrExpired, now.Sub(c.Expires).Round(time.Second))
	}
	return c, nil
}

// mac returns the truncated HMAC of the signed part of a token.
func (s *Signer) mac(signed string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(signed))
	return m.Sum(nil)[:macSize]
}

// parsePayload decodes a version 1 payload. Only payloads with a valid MAC
// reach it, so a failure here means a signer bug or a leaked key; it is
// still checked in full so that no input can make Verify misbehave.
func parsePayload(b []byte) (Claims, error) {
	var fields [3]uint64 // person id, issued at, ttl seconds
	for i := range fields {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return Claims{}, fmt.Errorf("%w: payload field %d", ErrMalformed, i+1)
		}
		fields[i], b = v, b[n:]
	}
	if len(b) != 8 {
		return Claims{}, fmt.Errorf("%w: nonce is %d bytes, want 8", ErrMalformed, len(b))
	}
	person, issued, ttl := fields[0], fields[1], fields[2]
	switch {
	case person == 0 || person > math.MaxInt64:
		return Claims{}, fmt.Errorf("%w: person id out of range", ErrMalformed)
	case issued > maxUnix:
		return Claims{}, fmt.Errorf("%w: issue time out of range", ErrMalformed)
	case ttl == 0 || ttl > uint64(MaxTTL/time.Second):
		return Claims{}, fmt.Errorf("%w: lifetime out of range", ErrMalformed)
	}
	at := time.Unix(int64(issued), 0).UTC()
	return Claims{
		PersonID: int64(person),
		IssuedAt: at,
		Expires:  at.Add(time.Duration(ttl) * time.Second),
		Nonce:    binary.BigEndian.Uint64(b),
	}, nil
}
