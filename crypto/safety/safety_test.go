package safety

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/wire"
)

func key(t testing.TB, b byte) keys.IdentityPublicKey {
	t.Helper()
	k, err := keys.NewIdentityPrivateKey(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

// Known answer, checked against an independent implementation of the
// construction (Python hashlib + pyca/cryptography for the Ed25519 public keys). Any change here changes every user's
// safety numbers.
func TestKnownAnswer(t *testing.T) {
	n := Compute(key(t, 1), "alice", key(t, 2), "bob")
	if got := n.Digits(); got != "143077053241656769094000631635893416999941142391699200250132" {
		t.Fatalf("Digits = %s", got)
	}
}

func TestSymmetricAndSensitive(t *testing.T) {
	a, b := key(t, 1), key(t, 2)
	ab := Compute(a, "alice", b, "bob")
	ba := Compute(b, "bob", a, "alice")
	if ab.Digits() != ba.Digits() || len(ab.Digits()) != 60 {
		t.Fatalf("sides differ: %s vs %s", ab, ba)
	}
	if len(ab.String()) != 71 || !ab.MatchesDigits(ab.String()) || !ab.MatchesDigits(ba.Digits()) {
		t.Fatal("String/MatchesDigits")
	}
	if ab.Equal(ba) || !ab.Equal(Compute(a, "alice", b, "bob")) {
		t.Fatal("Equal")
	}
	for _, other := range []Number{
		Compute(a, "alice", key(t, 3), "bob"),
		Compute(a, "alice", b, "bob2"),
		Compute(key(t, 4), "alice", b, "bob"),
	} {
		if other.Digits() == ab.Digits() || ab.MatchesDigits(other.Digits()) {
			t.Fatal("different keys or handles give the same number")
		}
	}
}

func TestQR(t *testing.T) {
	a, b, m := key(t, 1), key(t, 2), key(t, 3)
	alice := Compute(a, "alice", b, "bob")
	bob := Compute(b, "bob", a, "alice")
	if err := alice.CompareQR(bob.QR()); err != nil {
		t.Fatalf("alice scans bob: %v", err)
	}
	if err := bob.CompareQR(alice.QR()); err != nil {
		t.Fatalf("bob scans alice: %v", err)
	}
	if err := alice.CompareQR(alice.QR()); !errors.Is(err, ErrMismatch) {
		t.Fatalf("own code: %v", err)
	}
	// A relay substituted Mallory's key for Bob's on Alice's side.
	fooled := Compute(a, "alice", m, "bob")
	if err := fooled.CompareQR(bob.QR()); !errors.Is(err, ErrMismatch) {
		t.Fatalf("substituted key: %v", err)
	}
	q := bob.QR()
	q[2] = 9
	if err := alice.CompareQR(q); !errors.Is(err, ErrQRVersion) {
		t.Fatalf("version: %v", err)
	}
	if err := alice.CompareQR(append(bob.QR(), 0)); !errors.Is(err, wire.ErrTrailingBytes) {
		t.Fatalf("trailing: %v", err)
	}
}

func FuzzCompareQR(f *testing.F) {
	alice := Compute(key(f, 1), "alice", key(f, 2), "bob")
	bob := Compute(key(f, 2), "bob", key(f, 1), "alice")
	f.Add(bob.QR())
	f.Add(alice.QR())
	f.Add([]byte{1, 11, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if alice.CompareQR(b) == nil && !bytes.Equal(b, bob.QR()) {
			t.Fatal("accepted a payload other than the peer's")
		}
	})
}
