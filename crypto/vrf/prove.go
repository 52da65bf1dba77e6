package vrf

import "filippo.io/edwards25519"

// Prove computes the VRF on alpha (RFC 9381 §5.1): the proof pi and the
// output beta, which equals what Verify and ProofToHash return for pi. Prove
// is deterministic: the same key and alpha always give the same pi.
func (k *PrivateKey) Prove(alpha []byte) (pi [ProofSize]byte, beta [OutputSize]byte) {
	k.mustBeLive()
	h, _, ok := encodeToCurve(k.public.encoded[:], alpha)
	if !ok {
		// Each of 256 tries fails independently with probability ~1/2.
		panic("vrf: encode_to_curve failed 256 times")
	}
	hString := h.Bytes()
	gamma := new(edwards25519.Point).ScalarMult(&k.x, h)

	kHash := nonceHash(&k.prefix, hString)
	nonce, err := edwards25519.NewScalar().SetUniformBytes(kHash[:])
	clear(kHash[:])
	if err != nil {
		panic("vrf: 64-byte nonce rejected") // impossible: the input is 64 bytes
	}
	defer nonce.Set(edwards25519.NewScalar())
	u := new(edwards25519.Point).ScalarBaseMult(nonce)
	v := new(edwards25519.Point).ScalarMult(nonce, h)

	gammaString := gamma.Bytes()
	c := challenge(k.public.encoded[:], hString, gammaString, u.Bytes(), v.Bytes())
	s := edwards25519.NewScalar().MultiplyAdd(challengeScalar(c[:]), &k.x, nonce)

	copy(pi[:ptLen], gammaString)
	copy(pi[ptLen:], c[:])
	copy(pi[ptLen+cLen:], s.Bytes())
	return pi, gammaToHash(gamma)
}
