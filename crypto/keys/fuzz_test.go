package keys

import (
	"bytes"
	"testing"
	"time"
)

func fuzzSeeds(f *testing.F, enc ...[]byte) {
	for _, e := range enc {
		f.Add(e)
		f.Add(e[:len(e)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{1})
}

func FuzzParseDeviceCertificate(f *testing.F) {
	fx := newFixture(f, 30)
	fuzzSeeds(f, fx.cert.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseDeviceCertificate(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Marshal(), b) {
			t.Fatal("accepted encoding does not round-trip")
		}
		_ = c.Verify(t0)
	})
}

func FuzzParseSignedPrekey(f *testing.F) {
	fx := newFixture(f, 31)
	fuzzSeeds(f, fx.spk.Signed().Marshal(), fx.lr.Signed().Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseSignedPrekey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Marshal(), b) {
			t.Fatal("accepted encoding does not round-trip")
		}
		_ = p.Verify(fx.cert, t0)
	})
}

func FuzzParseBundle(f *testing.F) {
	fx := newFixture(f, 32)
	nb := fx.bundle
	nb.OneTimePQ = nil
	fuzzSeeds(f, fx.bundle.Marshal(), nb.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		bu, err := ParseBundle(b)
		if err != nil {
			return
		}
		if !bytes.Equal(bu.Marshal(), b) {
			t.Fatal("accepted encoding does not round-trip")
		}
		_ = bu.Verify(t0)
	})
}

func FuzzParsePrekeyBatch(f *testing.F) {
	fx := newFixture(f, 33)
	fuzzSeeds(f, MarshalPrekeyBatch([]SignedPrekey{fx.otp.Signed()}), MarshalPrekeyBatch(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ParsePrekeyBatch(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalPrekeyBatch(ps), b) {
			t.Fatal("accepted encoding does not round-trip")
		}
	})
}

func FuzzParseSenderCertificate(f *testing.F) {
	relay := mustRelay(f)
	fx := newFixture(f, 34)
	c, _ := IssueSenderCertificate(relay, fx.id.Public(), 2, t0.Add(time.Hour), nil)
	fuzzSeeds(f, c.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseSenderCertificate(b)
		if err != nil {
			return
		}
		if !bytes.Equal(sc.Marshal(), b) {
			t.Fatal("accepted encoding does not round-trip")
		}
		_ = VerifySenderCertificate(sc, relay.Public(), t0)
	})
}

func FuzzParsePrivateKeys(f *testing.F) {
	fx := newFixture(f, 35)
	d, _ := fx.dev.MarshalBinary()
	p, _ := fx.lr.MarshalBinary()
	fuzzSeeds(f, d, p)
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := ParseDevicePrivateKey(b); err == nil {
			enc, _ := k.MarshalBinary()
			if !bytes.Equal(enc, b) {
				t.Fatal("device key does not round-trip")
			}
		}
		if k, err := ParsePrekeyPrivate(b); err == nil {
			enc, _ := k.MarshalBinary()
			if !bytes.Equal(enc, b) {
				t.Fatal("prekey does not round-trip")
			}
		}
	})
}
