package peers

import (
	"testing"

	"maunium.net/go/mautrix/crypto/goolm/crypto"
	"maunium.net/go/mautrix/crypto/goolm/session"
	"maunium.net/go/mautrix/id"
)

// goolmPair returns two established Olm sessions: Alice sent a prekey
// message, Bob replied, so both sides are past session setup.
func goolmPair(b *testing.B) (alice, bob *session.OlmSession) {
	aliceID, _ := crypto.Curve25519GenerateKey()
	bobID, _ := crypto.Curve25519GenerateKey()
	bobOTK, _ := crypto.Curve25519GenerateKey()
	alice, err := session.NewOutboundOlmSession(aliceID, bobID.PublicKey, bobOTK.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	typ, msg, err := alice.Encrypt([]byte("hello"))
	if err != nil {
		b.Fatal(err)
	}
	search := func(target crypto.Curve25519PublicKey) *crypto.OneTimeKey {
		if target.Equal(bobOTK.PublicKey) {
			return &crypto.OneTimeKey{Key: bobOTK, ID: 1}
		}
		return nil
	}
	bob, err = session.NewInboundOlmSession(nil, msg, search, bobID)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bob.Decrypt(string(msg), typ); err != nil {
		b.Fatal(err)
	}
	typ, msg, _ = bob.Encrypt([]byte("hi"))
	if _, err := alice.Decrypt(string(msg), typ); err != nil {
		b.Fatal(err)
	}
	return alice, bob
}

func goolmSend(b *testing.B, from, to *session.OlmSession, pt []byte) {
	typ, msg, err := from.Encrypt(pt)
	if err != nil {
		b.Fatal(err)
	}
	if typ != id.OlmMsgTypeMsg {
		b.Fatal("unexpected prekey message")
	}
	if _, err := to.Decrypt(string(msg), typ); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGoolmOneWay1K(b *testing.B) {
	alice, bob := goolmPair(b)
	pt := make([]byte, 1024)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		goolmSend(b, alice, bob, pt)
	}
}

func BenchmarkGoolmPingPong1K(b *testing.B) {
	alice, bob := goolmPair(b)
	pt := make([]byte, 1024)
	b.SetBytes(1024)
	b.ReportAllocs()
	from, to := alice, bob
	for b.Loop() {
		goolmSend(b, from, to, pt)
		from, to = to, from
	}
}
