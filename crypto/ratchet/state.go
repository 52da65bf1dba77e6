package ratchet

import (
	"fmt"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/wire"
)

// stateVersion is the layout of the session-state body, separate from the
// wire version so storage can migrate on its own schedule.
const stateVersion = 1

func putOptional(e *wire.Encoder, has bool, k *[keySize]byte) {
	if has {
		e.Bytes(k[:])
	} else {
		e.Bytes(nil)
	}
}

// MarshalBinary serialises the whole session, secrets included, for the
// store. The output must be stored encrypted.
func (s *Session) MarshalBinary() ([]byte, error) {
	if s.dhs == nil {
		return nil, fmt.Errorf("marshal session: %w", ErrInvalidState)
	}
	e := wire.NewEncoder(wire.TypeSessionState, 400+len(s.ad)+len(s.skipped)*80)
	e.Uint8(stateVersion)
	e.Bytes(s.rk[:])
	e.Bytes(s.dhs.Bytes())
	putOptional(e, s.hasDHr, &s.dhr)
	putOptional(e, s.hasCKs, &s.cks)
	putOptional(e, s.hasCKr, &s.ckr)
	putOptional(e, s.hasHKs, &s.hks)
	putOptional(e, s.hasHKr, &s.hkr)
	e.Bytes(s.nhks[:])
	e.Bytes(s.nhkr[:])
	e.Uint32(s.ns)
	e.Uint32(s.nr)
	e.Uint32(s.pn)
	e.Bytes(s.ad)
	e.Uint32(uint32(len(s.skipped)))
	for i := range s.skipped {
		k := &s.skipped[i]
		e.Bytes(k.hk[:])
		e.Uint32(k.n)
		e.Bytes(k.mk[:])
		e.Int64(k.at)
	}
	return e.Finish(), nil
}

func getOptional(d *wire.Decoder, field string, k *[keySize]byte) bool {
	b := d.Bytes(field, keySize)
	if d.Err() != nil {
		return false
	}
	switch len(b) {
	case 0:
		return false
	case keySize:
		copy(k[:], b)
		return true
	}
	d.Fail(field, wire.ErrBadLength)
	return false
}

// Unmarshal loads a session serialised by MarshalBinary, checking the
// encoding and the consistency of the state.
func Unmarshal(b []byte) (*Session, error) {
	s := &Session{}
	d := wire.NewDecoder(b, wire.TypeSessionState)
	if v := d.Uint8("state version"); d.Err() == nil && v != stateVersion {
		d.Fail("state version", wire.ErrUnknownVersion)
	}
	copy(s.rk[:], d.Fixed("root key", keySize))
	dhs := d.Fixed("ratchet key", keySize)
	s.hasDHr = getOptional(d, "remote ratchet key", &s.dhr)
	s.hasCKs = getOptional(d, "sending chain", &s.cks)
	s.hasCKr = getOptional(d, "receiving chain", &s.ckr)
	s.hasHKs = getOptional(d, "sending header key", &s.hks)
	s.hasHKr = getOptional(d, "receiving header key", &s.hkr)
	copy(s.nhks[:], d.Fixed("next sending header key", keySize))
	copy(s.nhkr[:], d.Fixed("next receiving header key", keySize))
	s.ns = d.Uint32("ns")
	s.nr = d.Uint32("nr")
	s.pn = d.Uint32("pn")
	ad := d.Bytes("associated data", MaxAD)
	n := d.Uint32("skipped count")
	if d.Err() == nil && n > MaxSkippedKeys {
		d.Fail("skipped count", wire.ErrOversize)
	}
	if d.Err() == nil {
		s.skipped = make([]skippedKey, 0, n)
	}
	for i := uint32(0); i < n && d.Err() == nil; i++ {
		var k skippedKey
		copy(k.hk[:], d.Fixed("skipped header key", keySize))
		k.n = d.Uint32("skipped number")
		copy(k.mk[:], d.Fixed("skipped message key", keySize))
		k.at = d.Int64("skipped time")
		s.skipped = append(s.skipped, k)
	}
	if err := d.Finish(); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("session state: %w", err)
	}
	if err := s.load(dhs, ad); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("session state: %w", err)
	}
	return s, nil
}

func (s *Session) load(dhs, ad []byte) error {
	if len(ad) == 0 {
		return ErrInvalidState
	}
	s.ad = append([]byte(nil), ad...)
	k, err := prim.NewX25519Private(dhs)
	if err != nil {
		return ErrInvalidState
	}
	s.dhs = k
	copy(s.dhsPub[:], k.PublicKey().Bytes())
	// The shapes the protocol can reach: a sending chain always has its
	// header key, a receiving chain its header key and remote ratchet key.
	if s.hasCKs != s.hasHKs || s.hasCKr != s.hasHKr || (s.hasCKr && !s.hasDHr) {
		return ErrInvalidState
	}
	if !s.hasCKs && (s.ns != 0 || s.hasCKr) {
		return ErrInvalidState
	}
	if s.hasDHr {
		if _, err := prim.NewX25519Public(s.dhr[:]); err != nil || s.dhr == [32]byte{} {
			return ErrInvalidState
		}
	}
	for i := range s.skipped {
		if s.skipped[i].hk == [keySize]byte{} {
			return ErrInvalidState
		}
	}
	return nil
}
