package secret

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBoxRoundTrip(t *testing.T) {
	key, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "sub", "k.key"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := b.Seal("110105199003071234"), b.Seal("110105199003071234")
	if bytes.Equal(c1, c2) {
		t.Fatal("two seals of one value are equal: nonce reuse")
	}
	if bytes.Contains(c1, []byte("1234")) {
		t.Fatal("ciphertext contains plaintext")
	}
	got, err := b.Open(c1)
	if err != nil || got != "110105199003071234" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if b.Seal("") != nil || b.Index("") != nil {
		t.Fatal("empty value must stay nil")
	}
	if !bytes.Equal(b.Index("x"), b.Index("x")) || bytes.Equal(b.Index("x"), b.Index("y")) {
		t.Fatal("index not deterministic or not distinct")
	}
	c1[len(c1)-1] ^= 1
	if _, err := b.Open(c1); err == nil {
		t.Fatal("tampered ciphertext opened")
	}
}

func TestKeyFileStable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.key")
	k1, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(p)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load differs: %v", err)
	}
}

func TestPassword(t *testing.T) {
	h, err := HashPassword("demo")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "demo") {
		t.Fatal("right password refused")
	}
	for _, bad := range []string{"Demo", "", "demo "} {
		if CheckPassword(h, bad) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	if CheckPassword("garbage", "demo") || CheckPassword("$argon2id$v=19$m=1,t=1,p=1$$", "") {
		t.Fatal("malformed hash accepted")
	}
}

// LoadKey never makes a key: the caller decides whether the database may
// get a new one. WriteKey never replaces one.
func TestLoadKeyDoesNotCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "k.key")
	if _, err := LoadKey(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadKey of a missing file: %v, want os.ErrNotExist", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadKey created %s", p)
	}
	k := NewKey()
	if err := WriteKey(p, k); err != nil {
		t.Fatal(err)
	}
	if err := WriteKey(p, NewKey()); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second WriteKey: %v, want os.ErrExist", err)
	}
	got, err := LoadKey(p)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("LoadKey = %x, %v; want the written key", got, err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	short := filepath.Join(t.TempDir(), "short.key")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	if _, err := LoadKey(short); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Fatalf("short key: %v", err)
	}
}

// KeyCheck tells keys apart and is stable for one key.
func TestKeyCheck(t *testing.T) {
	k := NewKey()
	b1, _ := NewBox(k)
	b2, _ := NewBox(k)
	other, _ := NewBox(NewKey())
	if b1.KeyCheck() != b2.KeyCheck() || b1.KeyCheck() == other.KeyCheck() {
		t.Fatal("KeyCheck not stable per key or not distinct between keys")
	}
	if strings.Contains(b1.KeyCheck(), hex.EncodeToString(k)) {
		t.Fatal("KeyCheck reveals the key")
	}
}
