package crypto_test

// The benchmarks issue 3 tracks. Run them with
//
//	go test -run '^$' -bench . -benchtime 1s ./crypto/
//
// BenchmarkFloorOneWay1K and BenchmarkFloorPingPong1K call, back to back, the
// primitives the ratchet performs per message (see docs/PERFORMANCE.md), so
// the protocol benchmarks can be read as a ratio over them.

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/pqxdh"
	"github.com/sotto-im/sotto/crypto/ratchet"
	"github.com/sotto-im/sotto/crypto/sealed"
)

var benchNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

type benchPrekeys map[pqxdh.PrekeyRef]*keys.PrekeyPrivate

func (m benchPrekeys) Prekey(typ keys.PrekeyType, id keys.PrekeyID) (*keys.PrekeyPrivate, error) {
	if p, ok := m[pqxdh.PrekeyRef{Type: typ, ID: id}]; ok {
		return p, nil
	}
	return nil, errors.New("no such prekey")
}

type benchParty struct {
	id      *keys.IdentityPrivateKey
	local   pqxdh.Local
	prekeys benchPrekeys
	bundle  keys.Bundle
}

func newBenchParty(b testing.TB, device keys.DeviceID) *benchParty {
	id, _ := keys.GenerateIdentity(rand.Reader)
	dev, _ := keys.GenerateDevice(rand.Reader, device)
	p := &benchParty{id: id, prekeys: benchPrekeys{}}
	p.local = pqxdh.Local{Device: dev, Certificate: keys.IssueDeviceCertificate(id, dev, benchNow.Add(365*24*time.Hour))}
	gen := func(typ keys.PrekeyType, pid keys.PrekeyID) keys.SignedPrekey {
		k, err := keys.GeneratePrekey(rand.Reader, dev, typ, pid, benchNow.Add(30*24*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		p.prekeys[pqxdh.PrekeyRef{Type: typ, ID: pid}] = k
		return k.Signed()
	}
	otp := gen(keys.PrekeyOneTimeX25519, 2)
	opq := gen(keys.PrekeyOneTimeMLKEM, 3)
	p.bundle = keys.Bundle{Device: p.local.Certificate, SignedPrekey: gen(keys.PrekeySignedX25519, 1),
		LastResortPQ: gen(keys.PrekeyLastResortMLKEM, 4), OneTimePrekey: &otp, OneTimePQ: &opq}
	return p
}

// benchSessions sets up a session pair with PQXDH and one exchange each way.
func benchSessions(b testing.TB) (alice, bob *ratchet.Session, a, bb *benchParty) {
	a, bb = newBenchParty(b, 1), newBenchParty(b, 2)
	alice, init, err := pqxdh.Initiate(rand.Reader, a.local, bb.id.Public(), bb.bundle, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	first, _ := alice.Encrypt(rand.Reader, []byte("hi"))
	bob, _, err = pqxdh.Accept(rand.Reader, bb.local, bb.prekeys, init.Wrap(first), benchNow)
	if err != nil {
		b.Fatal(err)
	}
	reply, _ := bob.Encrypt(rand.Reader, []byte("hello"))
	if _, err := alice.Decrypt(rand.Reader, reply, benchNow); err != nil {
		b.Fatal(err)
	}
	return alice, bob, a, bb
}

// The ratchet benchmarks reuse a ciphertext and a plaintext buffer through
// EncryptAppend/DecryptAppend, as the floor reuses its buffers, so the ratio
// measures protocol logic rather than the allocator. The *Alloc variants use
// Encrypt/Decrypt, which allocate both per message.

func BenchmarkRatchetOneWay1K(b *testing.B) {
	alice, bob, _, _ := benchSessions(b)
	benchRatchet(b, alice, bob, false, true)
}

func BenchmarkRatchetOneWay1KAlloc(b *testing.B) {
	alice, bob, _, _ := benchSessions(b)
	benchRatchet(b, alice, bob, false, false)
}

func BenchmarkRatchetPingPong1K(b *testing.B) {
	alice, bob, _, _ := benchSessions(b)
	benchRatchet(b, alice, bob, true, true)
}

func BenchmarkRatchetPingPong1KAlloc(b *testing.B) {
	alice, bob, _, _ := benchSessions(b)
	benchRatchet(b, alice, bob, true, false)
}

func benchRatchet(b *testing.B, alice, bob *ratchet.Session, pingPong, reuse bool) {
	msg := make([]byte, 1024)
	var ctBuf, ptBuf []byte
	b.SetBytes(1024)
	b.ReportAllocs()
	from, to := alice, bob
	for b.Loop() {
		var ct []byte
		var err error
		if reuse {
			ct, err = from.EncryptAppend(ctBuf[:0], rand.Reader, msg)
		} else {
			ct, err = from.Encrypt(rand.Reader, msg)
		}
		if err != nil {
			b.Fatal(err)
		}
		if reuse {
			ctBuf = ct
			ptBuf, err = to.DecryptAppend(ptBuf[:0], rand.Reader, ct, benchNow)
		} else {
			_, err = to.Decrypt(rand.Reader, ct, benchNow)
		}
		if err != nil {
			b.Fatal(err)
		}
		if pingPong {
			from, to = to, from
		}
	}
}

func BenchmarkPQXDHSetup(b *testing.B) {
	a, bb := newBenchParty(b, 1), newBenchParty(b, 2)
	b.ReportAllocs()
	for b.Loop() {
		// Initiate verifies the bundle (certificate and four prekey
		// signatures) before the key agreement.
		alice, init, err := pqxdh.Initiate(rand.Reader, a.local, bb.id.Public(), bb.bundle, benchNow)
		if err != nil {
			b.Fatal(err)
		}
		first, err := alice.Encrypt(rand.Reader, []byte("first message"))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := pqxdh.Accept(rand.Reader, bb.local, bb.prekeys, init.Wrap(first), benchNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealOpen1K(b *testing.B) {
	alice, _, a, bb := benchSessions(b)
	relay, _ := keys.GenerateRelayKey(rand.Reader)
	cert, _ := keys.IssueSenderCertificate(relay, a.id.Public(), 1, benchNow.Add(time.Hour), rand.Reader)
	inner, _ := alice.Encrypt(rand.Reader, make([]byte, 1024))
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		env, err := sealed.Seal(bb.local.Certificate.SealingKey, cert, inner)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sealed.Open(bb.local.Device, relay.Public(), env, benchNow); err != nil {
			b.Fatal(err)
		}
	}
}

// floorMessage runs the primitives of one ratchet message, sender and
// receiver, with the same implementations the ratchet calls: a random
// header nonce, KDF_CK (two HMAC-SHA256) and the message-key expansion
// (HKDF-Expand, 44 bytes) on each side, XChaCha20-Poly1305 over the 40-byte
// header and ChaCha20-Poly1305 over the padded 1 KiB body (1536 bytes) with
// the session AD. No framing, padding, copying or state handling.
func floorMessage(b *testing.B, ck, ckr, hk *[32]byte, body, ad, out, hdrOut, nonceX []byte) {
	var hdr [40]byte
	var mk, mk2 [32]byte
	var km, km2 [44]byte
	// sender
	if _, err := rand.Read(nonceX); err != nil {
		b.Fatal(err)
	}
	prim.HMACTo(&mk, ck[:], []byte{1})
	prim.HMACTo(ck, ck[:], []byte{2})
	prim.HKDFExpandTo(km[:], mk[:], "Sotto_Ratchet_MK_v1")
	xa, _ := prim.NewXAEAD(hk[:])
	encHdr := xa.Seal(hdrOut[:0], nonceX, hdr[:], ad[:2])
	a, _ := prim.NewAEAD(km[:32])
	ct := a.Seal(out[:0], km[32:], body, ad)
	// receiver
	xa2, _ := prim.NewXAEAD(hk[:])
	if _, err := xa2.Open(hdr[:0], nonceX, encHdr, ad[:2]); err != nil {
		b.Fatal(err)
	}
	prim.HMACTo(&mk2, ckr[:], []byte{1})
	prim.HMACTo(ckr, ckr[:], []byte{2})
	prim.HKDFExpandTo(km2[:], mk[:], "Sotto_Ratchet_MK_v1") // the sender's key, so Open succeeds
	a2, _ := prim.NewAEAD(km2[:32])
	if _, err := a2.Open(body[:0], km2[32:], ct, ad); err != nil {
		b.Fatal(err)
	}
}

// floorADSize is the body AD of a real session: the PQXDH AD (166 bytes),
// the wire prefix and the encrypted header.
const floorADSize = 166 + 2 + 80

func BenchmarkFloorOneWay1K(b *testing.B) {
	var ck, ckr, hk [32]byte
	body := make([]byte, ratchet.PaddedSize(1024))
	ad := make([]byte, floorADSize)
	out := make([]byte, 0, len(body)+16)
	hdrOut := make([]byte, 0, 56)
	nonceX := make([]byte, 24)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		floorMessage(b, &ck, &ckr, &hk, body, ad, out, hdrOut, nonceX)
	}
}

// BenchmarkFloorPingPong1K adds to the one-way floor the primitives of the
// DH ratchet step every direction change costs: one X25519 key generation,
// two X25519 exchanges, two KDF_RK (HKDF-SHA256, 96 bytes), and the header
// trial under the current receiving header key that fails before the next
// header key opens it.
func BenchmarkFloorPingPong1K(b *testing.B) {
	var ck, ckr, hk, rk [32]byte
	body := make([]byte, ratchet.PaddedSize(1024))
	ad := make([]byte, floorADSize)
	out := make([]byte, 0, len(body)+16)
	hdrOut := make([]byte, 0, 56)
	nonceX := make([]byte, 24)
	peer, _ := prim.GenerateX25519(rand.Reader)
	mine, _ := prim.GenerateX25519(rand.Reader)
	var otherHK [32]byte
	otherHK[0] = 1
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		floorMessage(b, &ck, &ckr, &hk, body, ad, out, hdrOut, nonceX)
		xa, _ := prim.NewXAEAD(otherHK[:])
		if _, err := xa.Open(nil, nonceX, hdrOut[:56], ad[:2]); err == nil {
			b.Fatal("wrong header key opened")
		}
		dh1, _ := prim.X25519(mine, peer.PublicKey())
		o1, _ := prim.HKDF(dh1, rk[:], "Sotto_Ratchet_RK_v1", 96)
		fresh, _ := prim.GenerateX25519(rand.Reader)
		dh2, _ := prim.X25519(fresh, peer.PublicKey())
		o2, _ := prim.HKDF(dh2, o1[:32], "Sotto_Ratchet_RK_v1", 96)
		copy(rk[:], o2)
		mine = fresh
	}
}

// TestFloorADSize keeps the floor's AD the size of a real session's.
func TestFloorADSize(t *testing.T) {
	alice, _, _, _ := benchSessions(t)
	if got := len(alice.AD()) + 2 + 80; got != floorADSize {
		t.Fatalf("real body AD is %d bytes, floor uses %d", got, floorADSize)
	}
}
