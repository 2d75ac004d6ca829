package secret

import (
	"bytes"
	"path/filepath"
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
