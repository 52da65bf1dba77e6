package sealed

import (
	"bytes"
	"crypto/hpke"
	"errors"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/pqxdh"
	"github.com/sotto-im/sotto/crypto/ratchet"
	"github.com/sotto-im/sotto/crypto/wire"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func testRand(seed byte) *mathrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mathrand.NewChaCha8(s)
}

type world struct {
	relay      *keys.RelayPrivateKey
	alice, bob *keys.IdentityPrivateKey
	aliceDev   pqxdh.Local
	bobDev     pqxdh.Local
	aliceCert  keys.SenderCertificate
	prekeyMsg  []byte
	ratchetMsg []byte
	aliceSess  *ratchet.Session
	r          *mathrand.ChaCha8
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{r: testRand(1)}
	r := w.r
	w.relay, _ = keys.GenerateRelayKey(r)
	w.alice, _ = keys.GenerateIdentity(r)
	w.bob, _ = keys.GenerateIdentity(r)
	ad, _ := keys.GenerateDevice(r, 1)
	bd, _ := keys.GenerateDevice(r, 2)
	w.aliceDev = pqxdh.Local{Device: ad, Certificate: keys.IssueDeviceCertificate(w.alice, ad, t0.Add(time.Hour*24*365))}
	w.bobDev = pqxdh.Local{Device: bd, Certificate: keys.IssueDeviceCertificate(w.bob, bd, t0.Add(time.Hour*24*365))}
	spk, _ := keys.GeneratePrekey(r, bd, keys.PrekeySignedX25519, 1, t0.Add(time.Hour*24))
	lr, _ := keys.GeneratePrekey(r, bd, keys.PrekeyLastResortMLKEM, 2, t0.Add(time.Hour*24))
	bundle := keys.Bundle{Device: w.bobDev.Certificate, SignedPrekey: spk.Signed(), LastResortPQ: lr.Signed()}
	sess, init, err := pqxdh.Initiate(r, w.aliceDev, w.bob.Public(), bundle, t0)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := sess.Encrypt(r, []byte("hello"))
	w.prekeyMsg = init.Wrap(first)
	w.ratchetMsg, _ = sess.Encrypt(r, []byte("second"))
	w.aliceSess = sess
	w.aliceCert, err = keys.IssueSenderCertificate(w.relay, w.alice.Public(), 1, t0.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSealOpen(t *testing.T) {
	w := newWorld(t)
	for _, msg := range [][]byte{w.prekeyMsg, w.ratchetMsg} {
		env, err := Seal(w.bobDev.Certificate.SealingKey, w.aliceCert, msg)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(env, w.alice.Public().Bytes()) || bytes.Contains(env, w.aliceDev.Certificate.Marshal()[:40]) {
			t.Fatal("envelope reveals the sender's identity key")
		}
		if err := ParseEnvelope(env); err != nil {
			t.Fatal(err)
		}
		o, err := Open(w.bobDev.Device, w.relay.Public(), env, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(o.Message, msg) || !o.Sender.Sender.Equal(w.alice.Public()) || o.Sender.Device != 1 {
			t.Fatal("opened the wrong content")
		}
		if typ, _ := wire.Peek(msg); o.Type != typ {
			t.Fatalf("type %v, want %v", o.Type, typ)
		}
	}
}

func TestOpenRefusals(t *testing.T) {
	w := newWorld(t)
	env, _ := Seal(w.bobDev.Certificate.SealingKey, w.aliceCert, w.prekeyMsg)
	if _, err := Open(w.bobDev.Device, w.relay.Public(), env, t0.Add(time.Hour)); !errors.Is(err, keys.ErrExpired) {
		t.Fatalf("expired certificate: %v", err)
	}
	otherRelay, _ := keys.GenerateRelayKey(testRand(9))
	if _, err := Open(w.bobDev.Device, otherRelay.Public(), env, t0); !errors.Is(err, keys.ErrWrongSigner) {
		t.Fatalf("other relay: %v", err)
	}
	if _, err := Open(w.aliceDev.Device, w.relay.Public(), env, t0); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong recipient: %v", err)
	}
	for bit := 0; bit < len(env)*8; bit += 1 + len(env)*8/800 {
		bad := bytes.Clone(env)
		bad[bit/8] ^= 1 << (bit % 8)
		if _, err := Open(w.bobDev.Device, w.relay.Public(), bad, t0); err == nil {
			t.Fatalf("bit %d flipped: opened", bit)
		}
	}
	if _, err := Open(w.bobDev.Device, w.relay.Public(), append(bytes.Clone(env), 0), t0); !errors.Is(err, wire.ErrTrailingBytes) {
		t.Fatalf("trailing: %v", err)
	}
	if _, err := Open(w.bobDev.Device, w.relay.Public(), append([]byte{2}, env[1:]...), t0); !errors.Is(err, wire.ErrUnknownVersion) {
		t.Fatalf("version: %v", err)
	}
	if err := ParseEnvelope(append([]byte{1, 8, 0, 0, 0x10, 0}, env[6:]...)); !errors.Is(err, wire.ErrOversize) {
		t.Fatalf("oversize encapsulated key: %v", err)
	}

	// Mallory holds a valid certificate and wraps Alice's prekey message.
	mallory, _ := keys.GenerateIdentity(testRand(10))
	mcert, _ := keys.IssueSenderCertificate(w.relay, mallory.Public(), 1, t0.Add(time.Hour), nil)
	if _, err := Seal(w.bobDev.Certificate.SealingKey, mcert, w.prekeyMsg); !errors.Is(err, ErrSenderMismatch) {
		t.Fatalf("Seal with mismatched certificate: %v", err)
	}
	forged := forgeSeal(t, w.bobDev.Certificate.SealingKey, mcert, w.prekeyMsg)
	if _, err := Open(w.bobDev.Device, w.relay.Public(), forged, t0); !errors.Is(err, ErrSenderMismatch) {
		t.Fatalf("mismatched identity: %v", err)
	}
	// Right identity, wrong device.
	dcert, _ := keys.IssueSenderCertificate(w.relay, w.alice.Public(), 3, t0.Add(time.Hour), nil)
	forged = forgeSeal(t, w.bobDev.Certificate.SealingKey, dcert, w.prekeyMsg)
	if _, err := Open(w.bobDev.Device, w.relay.Public(), forged, t0); !errors.Is(err, ErrSenderMismatch) {
		t.Fatalf("mismatched device: %v", err)
	}
	if _, err := Seal(w.bobDev.Certificate.SealingKey, w.aliceCert, []byte{1, byte(wire.TypeBundle)}); !errors.Is(err, ErrInnerType) {
		t.Fatalf("bundle as inner message: %v", err)
	}
}

// forgeSeal builds an envelope without Seal's own consistency check, as an
// attacker would.
func forgeSeal(t *testing.T, to keys.SealingPublicKey, cert keys.SenderCertificate, msg []byte) []byte {
	t.Helper()
	pk, _ := to.HPKE()
	kdf, aead := suite()
	enc, s, err := hpke.NewSender(pk, kdf, aead, []byte(Info))
	if err != nil {
		t.Fatal(err)
	}
	ce := wire.NewEncoder(wire.TypeSealedContent, 0)
	ce.Bytes(cert.Marshal())
	ce.Bytes(msg)
	ct, _ := s.Seal(wire.AppendHeader(nil, wire.TypeSealedEnvelope), ce.Finish())
	e := wire.NewEncoder(wire.TypeSealedEnvelope, 0)
	e.Bytes(enc)
	e.Bytes(ct)
	return e.Finish()
}

func FuzzOpen(f *testing.F) {
	w := newWorld(f)
	for _, m := range [][]byte{w.prekeyMsg, w.ratchetMsg} {
		env, _ := Seal(w.bobDev.Certificate.SealingKey, w.aliceCert, m)
		f.Add(env)
		f.Add(env[:1200])
	}
	f.Add([]byte{1, 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := Open(w.bobDev.Device, w.relay.Public(), b, t0)
		if err != nil {
			return
		}
		if !o.Sender.Sender.Equal(w.alice.Public()) {
			t.Fatal("opened an envelope with a certificate nobody issued")
		}
	})
}
