package keys

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/wire"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func testRand(seed byte) *mathrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mathrand.NewChaCha8(s)
}

type fixture struct {
	id     *IdentityPrivateKey
	dev    *DevicePrivateKey
	cert   DeviceCertificate
	spk    *PrekeyPrivate
	otp    *PrekeyPrivate
	lr     *PrekeyPrivate
	opq    *PrekeyPrivate
	bundle Bundle
}

func newFixture(t testing.TB, seed byte) *fixture {
	t.Helper()
	r := testRand(seed)
	f := &fixture{}
	var err error
	if f.id, err = GenerateIdentity(r); err != nil {
		t.Fatal(err)
	}
	if f.dev, err = GenerateDevice(r, 7); err != nil {
		t.Fatal(err)
	}
	f.cert = IssueDeviceCertificate(f.id, f.dev, t0.Add(365*24*time.Hour))
	gen := func(typ PrekeyType, id PrekeyID) *PrekeyPrivate {
		p, err := GeneratePrekey(r, f.dev, typ, id, t0.Add(30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.spk = gen(PrekeySignedX25519, 1)
	f.otp = gen(PrekeyOneTimeX25519, 2)
	f.lr = gen(PrekeyLastResortMLKEM, 3)
	f.opq = gen(PrekeyOneTimeMLKEM, 4)
	otp, opq := f.otp.Signed(), f.opq.Signed()
	f.bundle = Bundle{Device: f.cert, SignedPrekey: f.spk.Signed(), LastResortPQ: f.lr.Signed(), OneTimePrekey: &otp, OneTimePQ: &opq}
	return f
}

func TestDeviceCertificate(t *testing.T) {
	f := newFixture(t, 1)
	if err := f.cert.Verify(t0); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, err := ParseDeviceCertificate(f.cert.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(t0); err != nil {
		t.Fatalf("Verify after round trip: %v", err)
	}
	if !bytes.Equal(got.Marshal(), f.cert.Marshal()) || !got.Identity.Equal(f.id.Public()) || got.Device != 7 {
		t.Fatal("round trip changed the certificate")
	}
	if err := f.cert.Verify(f.cert.Expiry); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
	other := newFixture(t, 2)
	forged := f.cert
	forged.Identity = other.id.Public()
	if err := forged.Verify(t0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other identity: %v, want ErrBadSignature", err)
	}
	unsigned := f.cert
	unsigned.Signature = make([]byte, 64)
	if err := unsigned.Verify(t0); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("zero signature: %v, want ErrUnsigned", err)
	}
	moved := f.cert
	moved.Device = 8
	if err := moved.Verify(t0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed device id: %v, want ErrBadSignature", err)
	}
	later := f.cert
	later.Expiry = later.Expiry.Add(time.Hour)
	if err := later.Verify(t0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed expiry: %v, want ErrBadSignature", err)
	}
	swapped := f.cert
	swapped.DHKey = other.dev.DHPublic()
	if err := swapped.Verify(t0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed dh key: %v, want ErrBadSignature", err)
	}
}

func TestDecodersRejectMalformed(t *testing.T) {
	f := newFixture(t, 3)
	sc, err := IssueSenderCertificate(mustRelay(t), f.id.Public(), 7, t0.Add(time.Hour), testRand(9))
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := f.dev.MarshalBinary()
	pk, _ := f.spk.MarshalBinary()
	cases := []struct {
		name  string
		enc   []byte
		parse func([]byte) error
	}{
		{"device certificate", f.cert.Marshal(), func(b []byte) error { _, err := ParseDeviceCertificate(b); return err }},
		{"signed prekey", f.spk.Signed().Marshal(), func(b []byte) error { _, err := ParseSignedPrekey(b); return err }},
		{"pq prekey", f.lr.Signed().Marshal(), func(b []byte) error { _, err := ParseSignedPrekey(b); return err }},
		{"bundle", f.bundle.Marshal(), func(b []byte) error { _, err := ParseBundle(b); return err }},
		{"prekey batch", MarshalPrekeyBatch([]SignedPrekey{f.otp.Signed(), f.opq.Signed()}), func(b []byte) error { _, err := ParsePrekeyBatch(b); return err }},
		{"sender certificate", sc.Marshal(), func(b []byte) error { _, err := ParseSenderCertificate(b); return err }},
		{"device private", dk, func(b []byte) error { _, err := ParseDevicePrivateKey(b); return err }},
		{"prekey private", pk, func(b []byte) error { _, err := ParsePrekeyPrivate(b); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.parse(c.enc); err != nil {
				t.Fatalf("valid encoding refused: %v", err)
			}
			if err := c.parse(append(bytes.Clone(c.enc), 0)); !errors.Is(err, wire.ErrTrailingBytes) {
				t.Errorf("trailing byte: %v, want ErrTrailingBytes", err)
			}
			v := bytes.Clone(c.enc)
			v[0] = 2
			if err := c.parse(v); !errors.Is(err, wire.ErrUnknownVersion) {
				t.Errorf("version 2: %v, want ErrUnknownVersion", err)
			}
			v = bytes.Clone(c.enc)
			v[1] = byte(wire.TypeSealedEnvelope)
			if err := c.parse(v); !errors.Is(err, wire.ErrWrongType) {
				t.Errorf("wrong type: %v, want ErrWrongType", err)
			}
			// An oversize first length prefix: bytes 2..6 hold it in every
			// object whose first field is a byte string.
			v = bytes.Clone(c.enc)
			if v[2] == 0 && v[3] == 0 {
				v[2] = 0x7f
				if err := c.parse(v); !errors.Is(err, wire.ErrOversize) {
					t.Errorf("oversize field: %v, want ErrOversize", err)
				}
			}
			for n := 0; n < len(c.enc); n += 1 + len(c.enc)/97 {
				if err := c.parse(c.enc[:n]); err == nil {
					t.Fatalf("truncated to %d bytes accepted", n)
				}
			}
		})
	}
}

func mustRelay(t testing.TB) *RelayPrivateKey {
	t.Helper()
	k, err := GenerateRelayKey(testRand(42))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestPrekeys(t *testing.T) {
	f := newFixture(t, 4)
	for _, p := range []*PrekeyPrivate{f.spk, f.otp, f.lr, f.opq} {
		s := p.Signed()
		if err := s.Verify(f.cert, t0); err != nil {
			t.Fatalf("%v: %v", s.Type, err)
		}
		back, err := ParseSignedPrekey(s.Marshal())
		if err != nil || back.Verify(f.cert, t0) != nil || !bytes.Equal(back.Marshal(), s.Marshal()) {
			t.Fatalf("%v: round trip failed: %v", s.Type, err)
		}
		enc, _ := p.MarshalBinary()
		q, err := ParsePrekeyPrivate(enc)
		if err != nil || !q.Equal(p) {
			t.Fatalf("%v: private round trip failed: %v", s.Type, err)
		}
		if err := s.Verify(f.cert, s.Expiry); !errors.Is(err, ErrExpired) {
			t.Fatalf("%v at expiry: %v", s.Type, err)
		}
		retyped := s
		retyped.Type = PrekeyOneTimeX25519
		if s.Type == PrekeyOneTimeX25519 {
			retyped.Type = PrekeySignedX25519
		}
		if s.Type.IsMLKEM() {
			retyped.Type = PrekeyLastResortMLKEM + PrekeyOneTimeMLKEM - s.Type
		}
		if err := retyped.Verify(f.cert, t0); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%v with type changed: %v, want ErrBadSignature", s.Type, err)
		}
		reid := s
		reid.ID++
		if err := reid.Verify(f.cert, t0); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%v with id changed: %v", s.Type, err)
		}
		other := newFixture(t, 5)
		if err := s.Verify(other.cert, t0); !errors.Is(err, ErrWrongSigner) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%v against other device: %v", s.Type, err)
		}
	}
	if _, err := f.spk.MLKEM(); !errors.Is(err, ErrWrongType) {
		t.Fatalf("MLKEM on x25519 prekey: %v", err)
	}
	if _, err := f.lr.X25519(); !errors.Is(err, ErrWrongType) {
		t.Fatalf("X25519 on ml-kem prekey: %v", err)
	}
	if _, err := GeneratePrekey(testRand(1), f.dev, PrekeyUnknown, 1, t0); !errors.Is(err, ErrWrongType) {
		t.Fatalf("unknown type: %v", err)
	}
	// A batch keeps order and content.
	batch := []SignedPrekey{f.otp.Signed(), f.opq.Signed()}
	got, err := ParsePrekeyBatch(MarshalPrekeyBatch(batch))
	if err != nil || len(got) != 2 || !bytes.Equal(got[1].Marshal(), batch[1].Marshal()) {
		t.Fatalf("batch round trip: %v", err)
	}
	for _, s := range []string{"signed-x25519", "one-time-x25519", "last-resort-mlkem1024", "one-time-mlkem1024"} {
		typ, err := ParsePrekeyType(s)
		if err != nil || typ.String() != s {
			t.Fatalf("ParsePrekeyType(%q) = %v, %v", s, typ, err)
		}
	}
}

func TestBundleVerify(t *testing.T) {
	f := newFixture(t, 6)
	if err := f.bundle.Verify(t0); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	back, err := ParseBundle(f.bundle.Marshal())
	if err != nil || back.Verify(t0) != nil {
		t.Fatalf("round trip: %v", err)
	}
	noOTP := f.bundle
	noOTP.OneTimePrekey, noOTP.OneTimePQ = nil, nil
	back, err = ParseBundle(noOTP.Marshal())
	if err != nil || back.Verify(t0) != nil || back.OneTimePrekey != nil || back.OneTimePQ != nil {
		t.Fatalf("bundle without one-time prekeys: %v", err)
	}
	if back.PQPrekey().Type != PrekeyLastResortMLKEM || f.bundle.PQPrekey().Type != PrekeyOneTimeMLKEM {
		t.Fatal("PQPrekey picks the wrong key")
	}
	other := newFixture(t, 7)
	mutate := map[string]struct {
		b    func(Bundle) Bundle
		want error
	}{
		"expired cert":      {func(b Bundle) Bundle { return b }, ErrExpired},
		"wrong type slot":   {func(b Bundle) Bundle { b.SignedPrekey = f.otp.Signed(); return b }, ErrWrongType},
		"pq in x25519 slot": {func(b Bundle) Bundle { p := f.lr.Signed(); b.OneTimePrekey = &p; return b }, ErrWrongType},
		"unsigned prekey":   {func(b Bundle) Bundle { p := f.spk.Signed(); p.Signature = nil; b.SignedPrekey = p; return b }, ErrUnsigned},
		"wrong signer":      {func(b Bundle) Bundle { b.SignedPrekey = other.spk.Signed(); return b }, ErrBadSignature},
		"other device":      {func(b Bundle) Bundle { b.Device = other.cert; return b }, ErrBadSignature},
		"unsigned cert":     {func(b Bundle) Bundle { b.Device.Signature = nil; return b }, ErrUnsigned},
	}
	for name, m := range mutate {
		now := t0
		if name == "expired cert" {
			now = f.cert.Expiry.Add(time.Second)
		}
		if err := m.b(f.bundle).Verify(now); !errors.Is(err, m.want) {
			t.Errorf("%s: %v, want %v", name, err, m.want)
		}
	}
	// Prekey that expired while the certificate is still valid.
	if err := f.bundle.Verify(f.spk.Signed().Expiry); !errors.Is(err, ErrExpired) {
		t.Errorf("expired prekey: %v", err)
	}
	// A prekey from another device with a matching device id: wrong signer.
	odev, _ := GenerateDevice(testRand(77), 7)
	op, _ := GeneratePrekey(testRand(78), odev, PrekeySignedX25519, 1, t0.Add(time.Hour))
	b := f.bundle
	b.SignedPrekey = op.Signed()
	if err := b.Verify(t0); !errors.Is(err, ErrBadSignature) {
		t.Errorf("prekey signed by another device key: %v", err)
	}
	odev9, _ := GenerateDevice(testRand(79), 9)
	op9, _ := GeneratePrekey(testRand(80), odev9, PrekeySignedX25519, 1, t0.Add(time.Hour))
	b.SignedPrekey = op9.Signed()
	if err := b.Verify(t0); !errors.Is(err, ErrWrongSigner) {
		t.Errorf("prekey for device 9 in device 7's bundle: %v", err)
	}
}

func TestSenderCertificate(t *testing.T) {
	relay := mustRelay(t)
	id, _ := GenerateIdentity(testRand(10))
	c, err := IssueSenderCertificate(relay, id.Public(), 3, t0.Add(time.Hour), testRand(11))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySenderCertificate(c, relay.Public(), t0); err != nil {
		t.Fatal(err)
	}
	back, err := ParseSenderCertificate(c.Marshal())
	if err != nil || VerifySenderCertificate(back, relay.Public(), t0) != nil || !back.Sender.Equal(id.Public()) || back.Device != 3 {
		t.Fatalf("round trip: %v", err)
	}
	if err := VerifySenderCertificate(c, relay.Public(), t0.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	other, _ := GenerateRelayKey(testRand(12))
	if err := VerifySenderCertificate(c, other.Public(), t0); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("other relay: %v", err)
	}
	forged := c
	forged.Signer = other.Public()
	if err := VerifySenderCertificate(forged, other.Public(), t0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("relabelled signer: %v", err)
	}
	forged = c
	forged.Device = 4
	if err := VerifySenderCertificate(forged, relay.Public(), t0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed device: %v", err)
	}
	forged = c
	forged.Signature = nil
	if err := VerifySenderCertificate(forged, relay.Public(), t0); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned: %v", err)
	}
	if _, err := IssueSenderCertificate(relay, IdentityPublicKey{}, 3, t0, nil); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("zero sender: %v", err)
	}
}

func TestTextEncodings(t *testing.T) {
	f := newFixture(t, 13)
	relay := mustRelay(t)
	type textKey interface {
		MarshalText() ([]byte, error)
		String() string
	}
	pubs := []struct {
		k     textKey
		parse func(string) (textKey, error)
	}{
		{f.id.Public(), func(s string) (textKey, error) { return ParseIdentityPublicKeyText(s) }},
		{f.dev.Public(), func(s string) (textKey, error) { return ParseDevicePublicKeyText(s) }},
		{f.dev.DHPublic(), func(s string) (textKey, error) { return ParseX25519PublicKeyText(s) }},
		{f.dev.SealingPublic(), func(s string) (textKey, error) { return ParseSealingPublicKeyText(s) }},
		{relay.Public(), func(s string) (textKey, error) { return ParseRelayPublicKeyText(s) }},
	}
	for i, p := range pubs {
		txt, _ := p.k.MarshalText()
		if string(txt) != p.k.String() {
			t.Fatalf("key %d: String and MarshalText differ", i)
		}
		back, err := p.parse(string(txt))
		if err != nil || back.String() != p.k.String() {
			t.Fatalf("key %d: round trip: %v", i, err)
		}
		// Every other parser refuses it.
		for j, q := range pubs {
			if j != i {
				if _, err := q.parse(string(txt)); !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("key %d accepted by parser %d: %v", i, j, err)
				}
			}
		}
		if _, err := p.parse(string(bytes.ToUpper(txt))); err == nil {
			t.Fatalf("key %d: upper-case accepted", i)
		}
	}
	var ip IdentityPublicKey
	if err := ip.UnmarshalText([]byte(f.id.Public().String())); err != nil || !ip.Equal(f.id.Public()) {
		t.Fatal("UnmarshalText identity")
	}
	// Private keys: String never leaks, MarshalText round-trips.
	txt, _ := f.id.MarshalText()
	back, err := ParseIdentityPrivateKeyText(string(txt))
	if err != nil || !back.Equal(f.id) {
		t.Fatalf("identity private round trip: %v", err)
	}
	if bytes.Contains([]byte(f.id.String()), txt[len(prefixIdentityPrivate):]) || f.id.String() != "sotto-idpriv:<redacted>" {
		t.Fatal("identity private String leaks")
	}
	rtxt, _ := relay.MarshalText()
	rback, err := ParseRelayPrivateKeyText(string(rtxt))
	if err != nil || !rback.Equal(relay) || relay.String() != "sotto-relaypriv:<redacted>" {
		t.Fatal("relay private text")
	}
	if _, err := ParseIdentityPrivateKeyText(string(rtxt)); !errors.Is(err, ErrInvalidKey) {
		t.Fatal("relay private key parsed as identity key")
	}
	if _, err := ParseIdentityPublicKey(make([]byte, 32)); !errors.Is(err, ErrInvalidKey) {
		t.Fatal("all-zero identity key accepted")
	}
}

func TestPrivateKeysEqualAndDestroy(t *testing.T) {
	a, _ := GenerateIdentity(testRand(20))
	b, _ := NewIdentityPrivateKey(a.Bytes())
	c, _ := GenerateIdentity(testRand(21))
	if !a.Equal(b) || a.Equal(c) {
		t.Fatal("identity Equal")
	}
	d1, _ := GenerateDevice(testRand(22), 1)
	enc, _ := d1.MarshalBinary()
	d2, err := ParseDevicePrivateKey(enc)
	if err != nil || !d1.Equal(d2) || !d2.DHPublic().Equal(d1.DHPublic()) || !d2.SealingPublic().Equal(d1.SealingPublic()) {
		t.Fatalf("device private round trip: %v", err)
	}
	d3, _ := GenerateDevice(testRand(23), 1)
	if d1.Equal(d3) {
		t.Fatal("different devices equal")
	}
	sig := d1.Sign("login", []byte("challenge"))
	if !d1.Public().Verify("login", []byte("challenge"), sig) || d1.Public().Verify("other", []byte("challenge"), sig) {
		t.Fatal("application signature context not bound")
	}
	a.Destroy()
	if a.seed != [32]byte{} {
		t.Fatal("Destroy left the seed")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("use after Destroy did not panic")
			}
		}()
		a.Public()
	}()
	d1.Destroy()
	if d1.seeds != [96]byte{} {
		t.Fatal("device Destroy left seeds")
	}
	if _, err := GenerateDevice(testRand(1), 0); !errors.Is(err, ErrInvalidID) {
		t.Fatal("device id 0 accepted")
	}
	if _, err := ParseDeviceID("0"); !errors.Is(err, ErrInvalidID) {
		t.Fatal("ParseDeviceID(0)")
	}
	if id, err := ParseDeviceID("42"); err != nil || id.String() != "42" {
		t.Fatal("ParseDeviceID(42)")
	}
}

func TestGenerateShortRandom(t *testing.T) {
	if _, err := GenerateIdentity(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Fatal("short random accepted")
	}
	if _, err := GenerateDevice(bytes.NewReader(make([]byte, 50)), 1); err == nil {
		t.Fatal("short random accepted")
	}
}

func TestPrintingNeverLeaks(t *testing.T) {
	f := newFixture(t, 40)
	relay := mustRelay(t)
	secrets := [][]byte{f.id.Bytes(), f.dev.seeds[:], f.spk.seed, f.lr.seed, relay.Bytes()}
	for _, v := range []any{f.id, *f.id, f.dev, *f.dev, f.spk, *f.spk, f.lr, relay, *relay} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, hex.EncodeToString(s)) || strings.Contains(out, fmt.Sprint(s)) || bytes.Contains([]byte(out), s) {
					t.Fatalf("%s of %T prints key material", verb, v)
				}
			}
		}
	}
}
