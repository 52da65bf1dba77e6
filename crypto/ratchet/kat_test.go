package ratchet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/sotto-im/sotto/crypto/internal/prim"
)

// Known answers for the KDF chain. The first three were checked against an
// independent HKDF/HMAC-SHA256 (Python's hmac/hashlib); the message vector
// pins the whole message layout. Changing any of them is a protocol change.
func TestKnownAnswerKDF(t *testing.T) {
	rk := [32]byte(bytes.Repeat([]byte{0x11}, 32))
	newRK, ck, nhk := kdfRK(&rk, bytes.Repeat([]byte{0x22}, 32))
	if got := hex.EncodeToString(newRK[:]) + hex.EncodeToString(ck[:]) + hex.EncodeToString(nhk[:]); got != "4ced7644607cf84f23bd96406c78b8818c6e371e781c9d7f7b7f8499742d7c84e1fef580ca118487a5483b07e8c5e64d2421149d843048a3c54bcb40aea4e95d1e17216a4ee3b2acdc24fc2b24fd40de302637bb226e71c0de12d0582262d6c5" {
		t.Errorf("KDF_RK = %s", got)
	}
	chain := [32]byte(bytes.Repeat([]byte{0x33}, 32))
	var mk [32]byte
	kdfCK(&chain, &mk)
	if got := hex.EncodeToString(mk[:]) + hex.EncodeToString(chain[:]); got != "da9d2383815d52bf414c540d97e91d0facf9b98729f9a3f437ad4a9b571676a0e66a4bfa6a49b2045fe9a7ca29edf7991fc43ce97b9bbfcd467723a8a90f623c" {
		t.Errorf("KDF_CK = %s", got)
	}
	key, nonce := messageKeys(&mk)
	if got := hex.EncodeToString(key[:]) + hex.EncodeToString(nonce[:]); got != "b12a2e1fe1e832674148ab60c861e662eae0d64e7db5542d0f7f7bf8eca773914dda21fd3af9704e4f89c51a" {
		t.Errorf("message keys = %s", got)
	}
}

func TestKnownAnswerMessage(t *testing.T) {
	r := testRand(77)
	var sk, hka, nhkb [32]byte
	r.Read(sk[:])
	r.Read(hka[:])
	r.Read(nhkb[:])
	bobKey, _ := prim.GenerateX25519(r)
	alice, err := NewInitiator(r, &sk, &hka, &nhkb, bobKey.PublicKey(), []byte("kat"))
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, m := range []string{"", "one", "two"} {
		ct, _ := alice.Encrypt(r, []byte(m))
		all = append(all, ct...)
	}
	sum := sha256.Sum256(all)
	if got := hex.EncodeToString(sum[:]); got != "3235a17894e1bdee914b6e3bb615075383aa1e8c3f49b6654cb2c986ca80ef57" {
		t.Errorf("sha256(messages) = %s", got)
	}
}
