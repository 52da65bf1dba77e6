package pqxdh

import (
	"bytes"
	"testing"
)

func FuzzParsePrekeyMessage(f *testing.F) {
	alice, bob := newParty(f, 1, 1), newParty(f, 2, 5)
	r := testRand(9)
	sa, init, err := Initiate(r, alice.local, bob.id.Public(), bob.bundle, t0)
	if err != nil {
		f.Fatal(err)
	}
	first, _ := sa.Encrypt(r, []byte("seed"))
	pm := init.Wrap(first)
	f.Add(pm)
	f.Add(init.Wrap(nil))
	f.Add(pm[:100])
	f.Add([]byte{1, 6})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParsePrekeyMessage(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Marshal(), b) {
			t.Fatal("accepted encoding does not round-trip")
		}
	})
}
