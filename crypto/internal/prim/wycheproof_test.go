package prim

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The vectors live in crypto/testdata/wycheproof (see its README for origin
// and licence).
func loadVectors(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "wycheproof", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

type result string

func (r result) valid() bool { return r == "valid" }

func TestWycheproofX25519(t *testing.T) {
	var f struct {
		TestGroups []struct {
			Tests []struct {
				TcID    int      `json:"tcId"`
				Flags   []string `json:"flags"`
				Public  hexBytes `json:"public"`
				Private hexBytes `json:"private"`
				Shared  hexBytes `json:"shared"`
				Result  result   `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	loadVectors(t, "x25519_test.json", &f)
	n, lowOrder := 0, 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			got, err := X25519Raw(tc.Private, tc.Public)
			if bytes.Equal(tc.Shared, make([]byte, 32)) {
				// Low-order peer point: our wrapper must refuse it.
				lowOrder++
				if err != ErrLowOrder {
					t.Errorf("tc %d: low-order public key: err = %v, want ErrLowOrder", tc.TcID, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("tc %d (%s): %v", tc.TcID, tc.Result, err)
				continue
			}
			if !bytes.Equal(got, tc.Shared) {
				t.Errorf("tc %d: wrong shared secret", tc.TcID)
			}
		}
	}
	if n < 500 || lowOrder < 20 {
		t.Fatalf("ran %d vectors, %d low-order", n, lowOrder)
	}
}

func TestWycheproofEd25519(t *testing.T) {
	var f struct {
		TestGroups []struct {
			PublicKey struct {
				PK hexBytes `json:"pk"`
			} `json:"publicKey"`
			Tests []struct {
				TcID   int      `json:"tcId"`
				Msg    hexBytes `json:"msg"`
				Sig    hexBytes `json:"sig"`
				Result result   `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	loadVectors(t, "ed25519_test.json", &f)
	n := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			if got := Ed25519Verify(g.PublicKey.PK, tc.Msg, tc.Sig); got != tc.Result.valid() {
				t.Errorf("tc %d: verify = %v, want %s", tc.TcID, got, tc.Result)
			}
		}
	}
	if n < 150 {
		t.Fatalf("ran %d vectors", n)
	}
}

func TestWycheproofHKDF(t *testing.T) {
	var f struct {
		TestGroups []struct {
			Tests []struct {
				TcID   int      `json:"tcId"`
				IKM    hexBytes `json:"ikm"`
				Salt   hexBytes `json:"salt"`
				Info   hexBytes `json:"info"`
				Size   int      `json:"size"`
				OKM    hexBytes `json:"okm"`
				Result result   `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	loadVectors(t, "hkdf_sha256_test.json", &f)
	n := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			got, err := HKDF(tc.IKM, tc.Salt, string(tc.Info), tc.Size)
			if tc.Result.valid() {
				// The allocation-free expand the ratchet uses, from the
				// same pseudorandom key.
				salt := tc.Salt
				if len(salt) == 0 {
					salt = make([]byte, 32)
				}
				prk := HMAC(salt, tc.IKM)
				out := make([]byte, tc.Size)
				HKDFExpandTo(out, prk, string(tc.Info))
				if !bytes.Equal(out, tc.OKM) {
					t.Errorf("tc %d: HKDFExpandTo differs", tc.TcID)
				}
			}
			if !tc.Result.valid() {
				if err == nil {
					t.Errorf("tc %d: invalid size %d accepted", tc.TcID, tc.Size)
				}
				continue
			}
			if err != nil || !bytes.Equal(got, tc.OKM) {
				t.Errorf("tc %d: wrong output (%v)", tc.TcID, err)
			}
		}
	}
	if n < 80 {
		t.Fatalf("ran %d vectors", n)
	}
}

func TestWycheproofHMAC(t *testing.T) {
	var f struct {
		TestGroups []struct {
			TagSize int `json:"tagSize"`
			Tests   []struct {
				TcID   int      `json:"tcId"`
				Key    hexBytes `json:"key"`
				Msg    hexBytes `json:"msg"`
				Tag    hexBytes `json:"tag"`
				Result result   `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	loadVectors(t, "hmac_sha256_test.json", &f)
	n := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			got := HMAC(tc.Key, tc.Msg)[:g.TagSize/8]
			if bytes.Equal(got, tc.Tag) != tc.Result.valid() {
				t.Errorf("tc %d: tag match = %v, want %s", tc.TcID, !tc.Result.valid(), tc.Result)
			}
			// The same, with the message split as the KDFs pass it.
			var split [32]byte
			half := len(tc.Msg) / 2
			HMACTo(&split, tc.Key, tc.Msg[:half], tc.Msg[half:])
			if !bytes.Equal(split[:g.TagSize/8], got) {
				t.Errorf("tc %d: split message gives another tag", tc.TcID)
			}
		}
	}
	if n < 170 {
		t.Fatalf("ran %d vectors", n)
	}
}

type aeadFile struct {
	TestGroups []struct {
		IVSize  int `json:"ivSize"`
		KeySize int `json:"keySize"`
		TagSize int `json:"tagSize"`
		Tests   []struct {
			TcID   int      `json:"tcId"`
			Key    hexBytes `json:"key"`
			IV     hexBytes `json:"iv"`
			AAD    hexBytes `json:"aad"`
			Msg    hexBytes `json:"msg"`
			CT     hexBytes `json:"ct"`
			Tag    hexBytes `json:"tag"`
			Result result   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func runAEAD(t *testing.T, file string, seal, open func(dst, key, nonce, pt, ad []byte) ([]byte, error)) {
	var f aeadFile
	loadVectors(t, file, &f)
	n, tagFailures := 0, 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			sealed := append(bytes.Clone(tc.CT), tc.Tag...)
			pt, err := open(nil, tc.Key, tc.IV, sealed, tc.AAD)
			if !tc.Result.valid() {
				if err == nil {
					t.Errorf("tc %d: invalid ciphertext opened", tc.TcID)
				}
				tagFailures++
				continue
			}
			if err != nil || !bytes.Equal(pt, tc.Msg) {
				t.Errorf("tc %d: open failed: %v", tc.TcID, err)
				continue
			}
			ct, err := seal(nil, tc.Key, tc.IV, tc.Msg, tc.AAD)
			if err != nil || !bytes.Equal(ct, sealed) {
				t.Errorf("tc %d: seal differs: %v", tc.TcID, err)
			}
		}
	}
	if n < 300 || tagFailures < 20 {
		t.Fatalf("ran %d vectors, %d invalid", n, tagFailures)
	}
}

func TestWycheproofChaCha20Poly1305(t *testing.T) {
	runAEAD(t, "chacha20_poly1305_test.json", Seal, Open)
}

func TestWycheproofXChaCha20Poly1305(t *testing.T) {
	runAEAD(t, "xchacha20_poly1305_test.json", SealX, OpenX)
}

func TestWycheproofMLKEM1024(t *testing.T) {
	var f struct {
		TestGroups []struct {
			Tests []struct {
				TcID    int      `json:"tcId"`
				Comment string   `json:"comment"`
				Seed    hexBytes `json:"seed"`
				EK      hexBytes `json:"ek"`
				C       hexBytes `json:"c"`
				K       hexBytes `json:"K"`
				Result  result   `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	loadVectors(t, "mlkem_1024_test.json", &f)
	n, implicit := 0, 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			dk, err := NewMLKEMPrivate(tc.Seed)
			if err != nil {
				if tc.Result.valid() {
					t.Errorf("tc %d: seed refused: %v", tc.TcID, err)
				}
				continue
			}
			if len(tc.EK) > 0 && !bytes.Equal(dk.EncapsulationKey().Bytes(), tc.EK) {
				t.Errorf("tc %d: wrong encapsulation key", tc.TcID)
			}
			k, err := MLKEMDecapsulate(dk, tc.C)
			if !tc.Result.valid() {
				if err == nil {
					t.Errorf("tc %d (%s): accepted", tc.TcID, tc.Comment)
				}
				continue
			}
			if err != nil || !bytes.Equal(k, tc.K) {
				t.Errorf("tc %d (%s): wrong shared key (%v)", tc.TcID, tc.Comment, err)
			}
			if tc.Comment == "Bit flipped ciphertext" || tc.Comment == "Random ciphertext" {
				implicit++ // implicit rejection: a pseudorandom key, not an error
			}
		}
	}
	if n < 190 || implicit < 20 {
		t.Fatalf("ran %d vectors, %d implicit rejections", n, implicit)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRFC7748(t *testing.T) {
	// §5.2 single-iteration vectors.
	for _, v := range [][3]string{
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	} {
		got, err := X25519Raw(mustHex(t, v[0]), mustHex(t, v[1]))
		if err != nil || hex.EncodeToString(got) != v[2] {
			t.Errorf("X25519(%s…) = %x, %v", v[0][:8], got, err)
		}
	}
	// §6.1 Diffie-Hellman.
	alice, _ := NewX25519Private(mustHex(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
	bob, _ := NewX25519Private(mustHex(t, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
	if hex.EncodeToString(alice.PublicKey().Bytes()) != "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" ||
		hex.EncodeToString(bob.PublicKey().Bytes()) != "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" {
		t.Fatal("public keys")
	}
	k1, err1 := X25519(alice, bob.PublicKey())
	k2, err2 := X25519(bob, alice.PublicKey())
	const want = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
	if err1 != nil || err2 != nil || hex.EncodeToString(k1) != want || hex.EncodeToString(k2) != want {
		t.Fatal("shared secret")
	}
}

func TestRFC8032(t *testing.T) {
	for _, v := range []struct{ seed, pub, msg, sig string }{
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
			"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
			"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	} {
		priv := ed25519.NewKeyFromSeed(mustHex(t, v.seed))
		if hex.EncodeToString(priv[32:]) != v.pub {
			t.Fatalf("public key for %s…", v.seed[:8])
		}
		sig := ed25519.Sign(priv, mustHex(t, v.msg))
		if hex.EncodeToString(sig) != v.sig {
			t.Fatalf("signature for %s…", v.seed[:8])
		}
		if !Ed25519Verify(mustHex(t, v.pub), mustHex(t, v.msg), sig) {
			t.Fatal("verify")
		}
		sig[0] ^= 1
		if Ed25519Verify(mustHex(t, v.pub), mustHex(t, v.msg), sig) {
			t.Fatal("verify accepted a flipped signature")
		}
	}
}

func TestRFC5869(t *testing.T) {
	seq := func(from, to int) []byte {
		var b []byte
		for i := from; i <= to; i++ {
			b = append(b, byte(i))
		}
		return b
	}
	for i, v := range []struct {
		ikm, salt, info []byte
		l               int
		okm             string
	}{
		{bytes.Repeat([]byte{0x0b}, 22), seq(0, 12), seq(0xf0, 0xf9), 42,
			"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{seq(0, 0x4f), seq(0x60, 0xaf), seq(0xb0, 0xff), 82,
			"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
		{bytes.Repeat([]byte{0x0b}, 22), nil, nil, 42,
			"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
	} {
		got, err := HKDF(v.ikm, v.salt, string(v.info), v.l)
		if err != nil || hex.EncodeToString(got) != v.okm {
			t.Errorf("test case %d: %x, %v", i+1, got, err)
		}
	}
}

func TestRFC8439AEAD(t *testing.T) {
	// §2.8.2.
	key := mustHex(t, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
	nonce := mustHex(t, "070000004041424344454647")
	aad := mustHex(t, "50515253c0c1c2c3c4c5c6c7")
	pt := []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	want := "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" +
		"1ae10b594f09e26a7e902ecbd0600691"
	ct, err := Seal(nil, key, nonce, pt, aad)
	if err != nil || hex.EncodeToString(ct) != want {
		t.Fatalf("seal: %v", err)
	}
	back, err := Open(nil, key, nonce, ct, aad)
	if err != nil || !bytes.Equal(back, pt) {
		t.Fatalf("open: %v", err)
	}
	ct[len(ct)-1] ^= 1
	if _, err := Open(nil, key, nonce, ct, aad); err != ErrDecrypt {
		t.Fatalf("tag failure: %v", err)
	}
}

// TestHMACToPaths compares both HMACTo paths with crypto/hmac across the
// inline boundary.
func TestHMACToPaths(t *testing.T) {
	for _, kl := range []int{0, 1, 32, 64, 65, 100} {
		for _, ml := range []int{0, 1, 63, 64, 127, 128, 129, 300} {
			key := bytes.Repeat([]byte{byte(kl)}, kl)
			msg := bytes.Repeat([]byte{byte(ml + 1)}, ml)
			var got [32]byte
			HMACTo(&got, key, msg[:ml/3], msg[ml/3:])
			m := NewHMAC(key)
			m.Write(msg)
			if !bytes.Equal(got[:], m.Sum(nil)) {
				t.Fatalf("key %d, msg %d: differs from crypto/hmac", kl, ml)
			}
		}
	}
}
