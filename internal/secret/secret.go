// Package secret provides the cryptography EpiGuard needs: encryption of
// identity and phone numbers at rest (AES-256-GCM), keyed blind indexes so
// encrypted values can still be looked up, password hashing (argon2id) and
// random tokens stored as hashes.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of the master key in bytes.
const KeySize = 32

// Box encrypts and indexes personal identifiers with keys derived from one
// master key.
type Box struct {
	aead    cipher.AEAD
	hmacKey []byte
}

// NewBox returns a Box for the given 32-byte master key.
func NewBox(master []byte) (*Box, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(master))
	}
	// Separate keys for encryption and indexing, so neither use weakens the other.
	encKey := derive(master, "epiguard encryption v1")
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead, hmacKey: derive(master, "epiguard blind index v1")}, nil
}

func derive(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Seal encrypts plaintext; an empty plaintext seals to nil so that absent
// values stay NULL in the database.
func (b *Box) Seal(plaintext string) []byte {
	if plaintext == "" {
		return nil
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return b.aead.Seal(nonce, nonce, []byte(plaintext), nil)
}

// Open decrypts what Seal produced.
func (b *Box) Open(ciphertext []byte) (string, error) {
	if len(ciphertext) == 0 {
		return "", nil
	}
	n := b.aead.NonceSize()
	if len(ciphertext) < n {
		return "", errors.New("secret: ciphertext too short")
	}
	pt, err := b.aead.Open(nil, ciphertext[:n], ciphertext[n:], nil)
	if err != nil {
		return "", fmt.Errorf("secret: cannot decrypt (wrong key file?): %w", err)
	}
	return string(pt), nil
}

// Index returns a keyed hash of value for equality look-ups and uniqueness
// of encrypted columns; nil for an empty value.
func (b *Box) Index(value string) []byte {
	if value == "" {
		return nil
	}
	m := hmac.New(sha256.New, b.hmacKey)
	m.Write([]byte(value))
	return m.Sum(nil)
}

// LoadKey reads the hex master key at path. A missing file is an error
// that matches os.ErrNotExist, so that the caller can decide whether a
// new key may be made (NewKey, WriteKey): only a database that holds no
// encrypted data yet may get one.
func LoadKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("key file %s: want %d hex-encoded bytes", path, KeySize)
	}
	return key, nil
}

// NewKey returns a fresh random master key.
func NewKey() []byte {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		panic("secret: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return key
}

// WriteKey writes key to a new file at path (mode 0600), creating its
// folder. It never replaces a file: when one exists, for instance written
// by a second process starting at the same moment, the error matches
// os.ErrExist and the caller should load that key instead.
func WriteKey(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return f.Close()
}

// LoadOrCreateKey reads the hex master key at path, creating the file with
// a fresh random key when it does not exist. It is for databases known to
// be new (tests, the benchmark); the CLI checks the database first.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := LoadKey(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	key = NewKey()
	err = WriteKey(path, key)
	if errors.Is(err, os.ErrExist) {
		return LoadKey(path)
	}
	return key, err
}

// KeyCheck returns a value that identifies the master key without
// revealing it: a keyed hash of a constant. Stored beside the data, it
// tells at start-up whether a key file is the one the data was written
// with, before a wrong key makes reads fail and writes mix two keys.
func (b *Box) KeyCheck() string {
	return hex.EncodeToString(derive(b.hmacKey, "epiguard key check v1"))
}

// DerivedKey returns a 32-byte key for another purpose (such as signing
// gate passes), derived from the master key so that no second key file is
// needed and every app node derives the same key.
func (b *Box) DerivedKey(purpose string) []byte {
	return derive(b.hmacKey, "epiguard derived key v1: "+purpose)
}
