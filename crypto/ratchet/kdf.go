package ratchet

import "github.com/sotto-im/sotto/crypto/internal/prim"

// Labels of the derivations. They are part of the protocol: changing one
// breaks every existing session, and the known-answer tests.
const (
	infoRootKDF    = "Sotto_Ratchet_RK_v1"
	infoMessageKey = "Sotto_Ratchet_MK_v1"
)

const keySize = 32

// kdfRK is KDF_RK_HE: HKDF-SHA256(salt = rk, ikm = dhOut) → rk' ‖ ck ‖ nhk.
func kdfRK(rk *[keySize]byte, dhOut []byte) (newRK, ck, nhk [keySize]byte) {
	out, err := prim.HKDF(dhOut, rk[:], infoRootKDF, 3*keySize)
	if err != nil {
		panic("ratchet: hkdf: " + err.Error()) // only on impossible lengths
	}
	copy(newRK[:], out[0:32])
	copy(ck[:], out[32:64])
	copy(nhk[:], out[64:96])
	clear(out)
	return newRK, ck, nhk
}

// kdfCK is KDF_CK: mk = HMAC(ck, 0x01), ck' = HMAC(ck, 0x02). It advances ck
// in place and writes the message key to mk.
func kdfCK(ck, mk *[keySize]byte) {
	prim.HMACTo(mk, ck[:], ckMessage[:])
	prim.HMACTo(ck, ck[:], ckChain[:])
}

var (
	ckMessage = [1]byte{0x01}
	ckChain   = [1]byte{0x02}
)

// messageKeys expands a single-use message key into the body AEAD key and
// nonce. mk is uniformly random (an HMAC output), so it serves directly as
// the HKDF pseudorandom key.
func messageKeys(mk *[keySize]byte) (key [32]byte, nonce [12]byte) {
	var out [44]byte
	prim.HKDFExpandTo(out[:], mk[:], infoMessageKey)
	copy(key[:], out[:32])
	copy(nonce[:], out[32:])
	clear(out[:])
	return key, nonce
}
