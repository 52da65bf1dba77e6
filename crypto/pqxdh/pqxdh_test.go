package pqxdh

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/ratchet"
	"github.com/sotto-im/sotto/crypto/wire"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func testRand(seed byte) *mathrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mathrand.NewChaCha8(s)
}

// memPrekeys is an in-memory PrekeySource with the deletion a store does.
type memPrekeys map[PrekeyRef]*keys.PrekeyPrivate

func (m memPrekeys) Prekey(typ keys.PrekeyType, id keys.PrekeyID) (*keys.PrekeyPrivate, error) {
	p, ok := m[PrekeyRef{typ, id}]
	if !ok {
		return nil, errors.New("not found")
	}
	return p, nil
}

func (m memPrekeys) consume(refs []PrekeyRef) {
	for _, r := range refs {
		m[r].Destroy()
		delete(m, r)
	}
}

type party struct {
	id      *keys.IdentityPrivateKey
	local   Local
	prekeys memPrekeys
	bundle  keys.Bundle
}

func newParty(t testing.TB, seed byte, device keys.DeviceID) *party {
	t.Helper()
	r := testRand(seed)
	id, err := keys.GenerateIdentity(r)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := keys.GenerateDevice(r, device)
	if err != nil {
		t.Fatal(err)
	}
	p := &party{id: id, prekeys: memPrekeys{}}
	p.local = Local{Device: dev, Certificate: keys.IssueDeviceCertificate(id, dev, t0.Add(24*time.Hour*365))}
	gen := func(typ keys.PrekeyType, id keys.PrekeyID) keys.SignedPrekey {
		k, err := keys.GeneratePrekey(r, dev, typ, id, t0.Add(30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		p.prekeys[PrekeyRef{typ, id}] = k
		return k.Signed()
	}
	otp := gen(keys.PrekeyOneTimeX25519, 11)
	opq := gen(keys.PrekeyOneTimeMLKEM, 12)
	p.bundle = keys.Bundle{
		Device:        p.local.Certificate,
		SignedPrekey:  gen(keys.PrekeySignedX25519, 1),
		LastResortPQ:  gen(keys.PrekeyLastResortMLKEM, 2),
		OneTimePrekey: &otp,
		OneTimePQ:     &opq,
	}
	return p
}

func converse(t *testing.T, a, b *ratchet.Session, r *mathrand.ChaCha8) {
	t.Helper()
	for i := 0; i < 3; i++ {
		for _, dir := range [][2]*ratchet.Session{{b, a}, {a, b}} {
			msg := []byte(fmt.Sprint("msg ", i))
			ct, err := dir[0].Encrypt(r, msg)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := dir[1].Decrypt(r, ct, t0)
			if err != nil || !bytes.Equal(pt, msg) {
				t.Fatalf("conversation after setup: %v", err)
			}
		}
	}
}

func TestSetup(t *testing.T) {
	cases := map[string]func(*keys.Bundle){
		"all one-time prekeys": func(*keys.Bundle) {},
		"no one-time x25519":   func(b *keys.Bundle) { b.OneTimePrekey = nil },
		"no one-time ml-kem":   func(b *keys.Bundle) { b.OneTimePQ = nil },
		"relay withheld both":  func(b *keys.Bundle) { b.OneTimePrekey, b.OneTimePQ = nil, nil },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			alice, bob := newParty(t, 1, 1), newParty(t, 2, 5)
			r := testRand(3)
			bundle := bob.bundle
			mutate(&bundle)
			sa, init, err := Initiate(r, alice.local, bob.id.Public(), bundle, t0)
			if err != nil {
				t.Fatal(err)
			}
			first, _ := sa.Encrypt(r, []byte("hello bob"))
			pm := init.Wrap(first)
			if typ, _ := wire.Peek(pm); typ != wire.TypePrekeyMessage {
				t.Fatalf("prekey message type %v", typ)
			}
			sb, acc, err := Accept(r, bob.local, bob.prekeys, pm, t0)
			if err != nil {
				t.Fatal(err)
			}
			if string(acc.Plaintext) != "hello bob" || !acc.Sender.Identity.Equal(alice.id.Public()) || acc.Sender.Device != 1 {
				t.Fatal("accepted the wrong content or sender")
			}
			var want []PrekeyRef
			if bundle.OneTimePrekey != nil {
				want = append(want, PrekeyRef{keys.PrekeyOneTimeX25519, 11})
			}
			if bundle.OneTimePQ != nil {
				want = append(want, PrekeyRef{keys.PrekeyOneTimeMLKEM, 12})
			}
			if fmt.Sprint(acc.Consumed) != fmt.Sprint(want) {
				t.Fatalf("consumed %v, want %v", acc.Consumed, want)
			}
			if !bytes.Equal(sa.AD(), sb.AD()) {
				t.Fatal("associated data differs")
			}
			bob.prekeys.consume(acc.Consumed)
			// The same prekey message again: with one-time prekeys it
			// can no longer be accepted; with only the last-resort key the
			// application recognises the repeat by BaseKey.
			_, acc2, err := Accept(r, bob.local, bob.prekeys, pm, t0)
			if len(want) > 0 {
				if !errors.Is(err, ErrUnknownPrekey) {
					t.Fatalf("replayed prekey message: %v, want ErrUnknownPrekey", err)
				}
			} else if err != nil || acc2.BaseKey != acc.BaseKey {
				t.Fatalf("repeat without one-time prekeys: %v", err)
			}
			converse(t, sa, sb, r)
		})
	}
}

func TestADBindsEverything(t *testing.T) {
	alice, bob := newParty(t, 1, 1), newParty(t, 2, 5)
	base := associatedData(&alice.local.Certificate, &bob.local.Certificate, 1, 11, PrekeyRef{keys.PrekeyOneTimeMLKEM, 12})
	carol := newParty(t, 4, 1)
	variants := [][]byte{
		associatedData(&bob.local.Certificate, &alice.local.Certificate, 1, 11, PrekeyRef{keys.PrekeyOneTimeMLKEM, 12}),
		associatedData(&carol.local.Certificate, &bob.local.Certificate, 1, 11, PrekeyRef{keys.PrekeyOneTimeMLKEM, 12}),
		associatedData(&alice.local.Certificate, &bob.local.Certificate, 2, 11, PrekeyRef{keys.PrekeyOneTimeMLKEM, 12}),
		associatedData(&alice.local.Certificate, &bob.local.Certificate, 1, 0, PrekeyRef{keys.PrekeyOneTimeMLKEM, 12}),
		associatedData(&alice.local.Certificate, &bob.local.Certificate, 1, 11, PrekeyRef{keys.PrekeyLastResortMLKEM, 12}),
		associatedData(&alice.local.Certificate, &bob.local.Certificate, 1, 11, PrekeyRef{keys.PrekeyOneTimeMLKEM, 13}),
	}
	for i, v := range variants {
		if bytes.Equal(v, base) {
			t.Fatalf("variant %d has the same AD", i)
		}
	}
	if !bytes.Contains(base, alice.id.Public().Bytes()) || !bytes.Contains(base, bob.id.Public().Bytes()) {
		t.Fatal("AD lacks an identity key")
	}
}

func TestRefusals(t *testing.T) {
	alice, bob, carol := newParty(t, 1, 1), newParty(t, 2, 5), newParty(t, 4, 9)
	r := testRand(5)
	if _, _, err := Initiate(r, alice.local, carol.id.Public(), bob.bundle, t0); !errors.Is(err, ErrIdentityMismatch) {
		t.Fatalf("bundle of another identity: %v", err)
	}
	if _, _, err := Initiate(r, alice.local, bob.id.Public(), bob.bundle, t0.Add(31*24*time.Hour)); !errors.Is(err, keys.ErrExpired) {
		t.Fatalf("expired bundle: %v", err)
	}
	forged := bob.bundle
	forged.SignedPrekey = carol.bundle.SignedPrekey
	if _, _, err := Initiate(r, alice.local, bob.id.Public(), forged, t0); err == nil {
		t.Fatal("bundle with a foreign prekey accepted")
	}
	mixed := Local{Device: alice.local.Device, Certificate: carol.local.Certificate}
	if _, _, err := Initiate(r, mixed, bob.id.Public(), bob.bundle, t0); !errors.Is(err, ErrLocalKeys) {
		t.Fatalf("mismatched local keys: %v", err)
	}

	sa, init, err := Initiate(r, alice.local, bob.id.Public(), bob.bundle, t0)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := sa.Encrypt(r, []byte("hi"))
	pm := init.Wrap(first)
	if _, _, err := Accept(r, carol.local, carol.prekeys, pm, t0); !errors.Is(err, ErrWrongDevice) {
		t.Fatalf("message for another device: %v", err)
	}
	// Every bit flip is refused, and nothing is consumed by a failure.
	for bit := 0; bit < len(pm)*8; bit += 1 + len(pm)*8/600 {
		bad := bytes.Clone(pm)
		bad[bit/8] ^= 1 << (bit % 8)
		if _, _, err := Accept(r, bob.local, bob.prekeys, bad, t0); err == nil {
			t.Fatalf("bit %d flipped: accepted", bit)
		}
	}
	if len(bob.prekeys) != 4 {
		t.Fatal("failed accepts consumed prekeys")
	}
	m, err := ParsePrekeyMessage(pm)
	if err != nil {
		t.Fatal(err)
	}
	// Claiming another sender with a valid certificate fails: DH1/DH2 and
	// the AD no longer match.
	m.Sender = carol.local.Certificate
	if _, _, err := Accept(r, bob.local, bob.prekeys, m.Marshal(), t0); err == nil {
		t.Fatal("substituted sender certificate accepted")
	}
	if _, _, err := Accept(r, bob.local, bob.prekeys, pm, t0.Add(366*24*time.Hour)); !errors.Is(err, keys.ErrExpired) {
		t.Fatalf("expired certificates: %v", err)
	}
	if _, _, err := Accept(r, bob.local, bob.prekeys, pm, t0); err != nil {
		t.Fatalf("original after refusals: %v", err)
	}
}

func TestPrekeyMessageEncoding(t *testing.T) {
	alice, bob := newParty(t, 1, 1), newParty(t, 2, 5)
	r := testRand(6)
	_, init, err := Initiate(r, alice.local, bob.id.Public(), bob.bundle, t0)
	if err != nil {
		t.Fatal(err)
	}
	pm := init.Wrap([]byte("inner"))
	m, err := ParsePrekeyMessage(pm)
	if err != nil || !bytes.Equal(m.Marshal(), pm) || string(m.Message) != "inner" {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := ParsePrekeyMessage(append(bytes.Clone(pm), 1)); !errors.Is(err, wire.ErrTrailingBytes) {
		t.Fatalf("trailing: %v", err)
	}
	bad := bytes.Clone(pm)
	bad[0] = 3
	if _, err := ParsePrekeyMessage(bad); !errors.Is(err, wire.ErrUnknownVersion) {
		t.Fatalf("version: %v", err)
	}
	bad = bytes.Clone(pm)
	bad[2] = 0x10
	if _, err := ParsePrekeyMessage(bad); !errors.Is(err, wire.ErrOversize) {
		t.Fatalf("oversize certificate: %v", err)
	}
	enc, _ := init.MarshalBinary()
	back, err := UnmarshalInitiation(enc)
	if err != nil || !bytes.Equal(back.Wrap([]byte("x")), init.Wrap([]byte("x"))) {
		t.Fatalf("initiation round trip: %v", err)
	}
}

// Known answers: any change to the derivation, the AD layout or the message
// layout changes these and must be a deliberate protocol version change. The
// secrets vector was checked against an independent HKDF-SHA256 (Python's
// hmac/hashlib).
func TestKnownAnswerSecrets(t *testing.T) {
	in := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	sk, hka, nhkb := secrets(in(1), in(2), in(3), in(4), in(5))
	got := hex.EncodeToString(sk[:]) + hex.EncodeToString(hka[:]) + hex.EncodeToString(nhkb[:])
	const want = "f1b49c8fc7e8d85dab1ee32460c0699f2747c0492b5b326fa9509c1e8ef09adbf41d6413427413b7f5b77964c1209220f0b259181a3e11a9defd7a938faab2ff887fb83239a447911697031a90302af54ae44c525f2d2ebc2bc4a922c385144b"
	if got != want {
		t.Errorf("secrets with DH4 = %s", got)
	}
	sk, _, _ = secrets(in(1), in(2), in(3), nil, in(5))
	if got := hex.EncodeToString(sk[:]); got != "85ec1743db5ab2ebec0ead475a404e84523832c39f0ab713d93407956aea79c0" {
		t.Errorf("secrets without DH4 = %s", got)
	}
}

func TestKnownAnswerSetup(t *testing.T) {
	// Pins ML-KEM encapsulation randomness. Go documents that the way std
	// consumes that stream may change between releases; if a Go upgrade
	// alone changes this answer, re-derive it and note why in the commit.
	cryptotest.SetGlobalRandom(t, 7)
	alice, bob := newParty(t, 1, 1), newParty(t, 2, 5)
	r := testRand(8)
	sa, init, err := Initiate(r, alice.local, bob.id.Public(), bob.bundle, t0)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := sa.Encrypt(r, []byte("known answer"))
	pm := init.Wrap(first)
	sum := sha256.Sum256(pm)
	if got := hex.EncodeToString(sum[:]); got != "97b5b4936078f14502f67bab09e3708610b5dc9081c80271b7101f752e03220e" {
		t.Errorf("sha256(prekey message) = %s", got)
	}
	ad := sha256.Sum256(sa.AD())
	if got := hex.EncodeToString(ad[:]); got != "d095939728ba75da8d405e790c7690acdbfa6e546257d4681bbeb70b9cef755b" {
		t.Errorf("sha256(AD) = %s", got)
	}
	if _, acc, err := Accept(r, bob.local, bob.prekeys, pm, t0); err != nil || string(acc.Plaintext) != "known answer" {
		t.Fatalf("accept: %v", err)
	}
}
