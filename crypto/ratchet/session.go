package ratchet

import (
	"crypto/ecdh"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/wire"
)

// Bounds on skipped message keys.
const (
	// MaxSkippedKeys is the most skipped message keys one session stores.
	MaxSkippedKeys = 2000
	// MaxSkip is the most message keys one incoming message may skip in a
	// chain (either the previous chain or the new one).
	MaxSkip = 25000
	// SkippedKeyLifetime is how long a skipped message key is kept.
	SkippedKeyLifetime = 30 * 24 * time.Hour
	// MaxAD bounds the associated data a session binds.
	MaxAD = 1024
)

const (
	headerSize    = 32 + 4 + 4
	encHeaderSize = prim.XNonceSize + headerSize + prim.TagSize
	// prefixSize is the wire version and type bytes that start a message.
	prefixSize = 2
	// Overhead is what a ratchet message adds to the padded plaintext.
	Overhead = prefixSize + 4 + encHeaderSize + 4 + prim.TagSize
)

type skippedKey struct {
	hk [keySize]byte
	n  uint32
	mk [keySize]byte
	at int64 // unix seconds when stored
}

// Session is one side of a Double Ratchet conversation with header
// encryption. It is not safe for concurrent use. The zero value is not
// usable: create sessions with NewInitiator, NewResponder or Unmarshal.
type Session struct {
	_ [0]func()

	rk     [keySize]byte
	dhs    *ecdh.PrivateKey
	dhsPub [32]byte
	dhr    [32]byte
	hasDHr bool

	cks, ckr       [keySize]byte
	hasCKs, hasCKr bool
	hks, hkr       [keySize]byte
	hasHKs, hasHKr bool
	nhks, nhkr     [keySize]byte

	ns, nr, pn uint32
	skipped    []skippedKey
	ad         []byte

	// scratch holds ad ‖ wire prefix ‖ encrypted header while a message is
	// processed; it is not state and is never serialised.
	scratch []byte
}

// NewInitiator starts the session of the party that ran the initiator side
// of the key agreement (Alice). sk is the shared root key, hka the shared
// header key Alice sends with first and nhkb the next header key Bob sends
// with; bobRatchet is Bob's ratchet public key (his signed prekey). ad is
// bound into every message. Alice's first ratchet key is drawn from r.
func NewInitiator(r io.Reader, sk, hka, nhkb *[32]byte, bobRatchet *ecdh.PublicKey, ad []byte) (*Session, error) {
	if len(ad) == 0 || len(ad) > MaxAD {
		return nil, fmt.Errorf("new session: associated data of %d bytes: %w", len(ad), ErrInvalidState)
	}
	dhs, err := prim.GenerateX25519(r)
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	dh, err := prim.X25519(dhs, bobRatchet)
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	s := &Session{dhs: dhs, hasDHr: true, hasCKs: true, hasHKs: true, hks: *hka, nhkr: *nhkb}
	copy(s.dhsPub[:], dhs.PublicKey().Bytes())
	copy(s.dhr[:], bobRatchet.Bytes())
	s.rk, s.cks, s.nhks = kdfRK(sk, dh)
	clear(dh)
	s.ad = append([]byte(nil), ad...)
	return s, nil
}

// NewResponder starts the session of the responder (Bob), whose ratchet key
// pair is his signed prekey. The keys are those NewInitiator got.
func NewResponder(sk, hka, nhkb *[32]byte, ratchetKey *ecdh.PrivateKey, ad []byte) (*Session, error) {
	if len(ad) == 0 || len(ad) > MaxAD {
		return nil, fmt.Errorf("new session: associated data of %d bytes: %w", len(ad), ErrInvalidState)
	}
	if ratchetKey == nil || ratchetKey.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("new session: ratchet key: %w", ErrInvalidState)
	}
	// ecdh keys are immutable, so sharing the prekey's value is safe.
	s := &Session{rk: *sk, dhs: ratchetKey, nhks: *nhkb, nhkr: *hka}
	copy(s.dhsPub[:], ratchetKey.PublicKey().Bytes())
	s.ad = append([]byte(nil), ad...)
	return s, nil
}

// AD returns a copy of the associated data the session binds.
func (s *Session) AD() []byte { return append([]byte(nil), s.ad...) }

// CanSend reports whether Encrypt can be called (false for a responder that
// has not yet received anything).
func (s *Session) CanSend() bool { return s.hasCKs }

// Encrypt pads and encrypts plaintext as the next message of the sending
// chain. The header nonce is drawn from r.
func (s *Session) Encrypt(r io.Reader, plaintext []byte) ([]byte, error) {
	return s.EncryptAppend(nil, r, plaintext)
}

// EncryptAppend is Encrypt appending the message to dst, so a caller can
// reuse one buffer for many messages. On error dst is returned unchanged.
func (s *Session) EncryptAppend(dst []byte, r io.Reader, plaintext []byte) ([]byte, error) {
	if !s.hasCKs {
		return dst, ErrCannotSend
	}
	if len(plaintext) > MaxPlaintext {
		return dst, ErrTooLarge
	}
	padded := PaddedSize(len(plaintext))
	base := len(dst)
	out := slices.Grow(dst, Overhead+padded)
	out = wire.AppendHeader(out, wire.TypeRatchetMessage)
	out = binary.BigEndian.AppendUint32(out, encHeaderSize)
	nonceAt := len(out)
	out = out[:nonceAt+prim.XNonceSize]
	if err := prim.Random(r, out[nonceAt:]); err != nil {
		return dst, fmt.Errorf("encrypt: %w", err)
	}
	var hdr [headerSize]byte
	copy(hdr[:32], s.dhsPub[:])
	binary.BigEndian.PutUint32(hdr[32:], s.pn)
	binary.BigEndian.PutUint32(hdr[36:], s.ns)
	hAEAD, err := prim.NewXAEAD(s.hks[:])
	if err != nil {
		return dst, err
	}
	out = hAEAD.Seal(out, out[nonceAt:], hdr[:], out[base:base+prefixSize])
	encHdr := out[nonceAt:]

	var mk [keySize]byte
	ck := s.cks
	kdfCK(&ck, &mk)
	key, nonce := messageKeys(&mk)
	clear(mk[:])

	out = binary.BigEndian.AppendUint32(out, uint32(padded+prim.TagSize))
	bodyAt := len(out)
	out = Pad(out, plaintext)
	bAEAD, err := prim.NewAEAD(key[:])
	clear(key[:])
	if err != nil {
		return dst, err
	}
	bAEAD.Seal(out[bodyAt:bodyAt], nonce[:], out[bodyAt:], s.bodyAD(encHdr))
	out = out[:bodyAt+padded+prim.TagSize]

	s.cks = ck
	clear(ck[:])
	s.ns++
	return out, nil
}

// bodyAD assembles session AD ‖ prefix ‖ encrypted header in the session's
// scratch buffer, so no allocation happens per message.
func (s *Session) bodyAD(encHdr []byte) []byte {
	if cap(s.scratch) < len(s.ad)+prefixSize+encHeaderSize {
		s.scratch = make([]byte, 0, len(s.ad)+prefixSize+encHeaderSize)
	}
	ad := append(s.scratch[:0], s.ad...)
	ad = wire.AppendHeader(ad, wire.TypeRatchetMessage)
	return append(ad, encHdr...)
}

// parsed is a syntactically valid ratchet message.
type parsed struct {
	prefix []byte
	encHdr []byte
	body   []byte
	dst    []byte // where the plaintext is appended
}

// maxBody bounds the body: the largest bucket plus the tag.
const maxBody = MaxPlaintext + 1 + prim.TagSize

func parseMessage(msg []byte) (parsed, error) {
	d := wire.NewDecoder(msg, wire.TypeRatchetMessage)
	encHdr := d.Fixed("header", encHeaderSize)
	body := d.Bytes("body", maxBody)
	if err := d.Finish(); err != nil {
		return parsed{}, fmt.Errorf("ratchet message: %w", err)
	}
	if len(body) < minBucket+prim.TagSize {
		return parsed{}, fmt.Errorf("ratchet message body: %w", wire.ErrBadLength)
	}
	return parsed{prefix: msg[:prefixSize], encHdr: encHdr, body: body}, nil
}

// ParseMessage checks the framing of a ratchet message without decrypting
// it. It is what Decrypt runs first; the relay never needs it.
func ParseMessage(msg []byte) error {
	_, err := parseMessage(msg)
	return err
}

type header struct {
	dh    [32]byte
	pn, n uint32
}

func openHeader(hk *[keySize]byte, p *parsed) (header, bool) {
	a, err := prim.NewXAEAD(hk[:])
	if err != nil {
		return header{}, false
	}
	var buf [headerSize]byte
	pt, err := a.Open(buf[:0], p.encHdr[:prim.XNonceSize], p.encHdr[prim.XNonceSize:], p.prefix)
	if err != nil || len(pt) != headerSize {
		return header{}, false
	}
	var h header
	copy(h.dh[:], pt[:32])
	h.pn = binary.BigEndian.Uint32(pt[32:])
	h.n = binary.BigEndian.Uint32(pt[36:])
	return h, true
}

func (s *Session) openBody(mk *[keySize]byte, p *parsed) ([]byte, error) {
	key, nonce := messageKeys(mk)
	a, err := prim.NewAEAD(key[:])
	clear(key[:])
	if err != nil {
		return nil, ErrUndecryptable
	}
	base := len(p.dst)
	out, err := a.Open(p.dst, nonce[:], p.body, s.bodyAD(p.encHdr))
	if err != nil {
		return nil, ErrUndecryptable
	}
	pt, err := Unpad(out[base:])
	if err != nil {
		clear(out[base:])
		return nil, err
	}
	return out[:base+len(pt)], nil
}

// Decrypt authenticates and decrypts msg. now dates skipped keys and expires
// old ones; r supplies the new ratchet key when the message starts a new
// chain. On any error the session is unchanged.
func (s *Session) Decrypt(r io.Reader, msg []byte, now time.Time) ([]byte, error) {
	return s.DecryptAppend(nil, r, msg, now)
}

// DecryptAppend is Decrypt appending the plaintext to dst, so a caller can
// reuse one buffer for many messages. dst must not overlap msg. On error the
// returned slice is nil and the session is unchanged.
func (s *Session) DecryptAppend(dst []byte, r io.Reader, msg []byte, now time.Time) ([]byte, error) {
	if s.dhs == nil {
		return nil, ErrInvalidState // zero or destroyed session
	}
	p, err := parseMessage(msg)
	if err != nil {
		return nil, err
	}
	p.dst = dst
	nowUnix := now.Unix()
	cutoff := nowUnix - int64(SkippedKeyLifetime/time.Second)

	// 1. A skipped key, under any header key that has skipped keys left.
	replay := false
	if len(s.skipped) > 0 {
		var tried [][keySize]byte
		for i := range s.skipped {
			hk := &s.skipped[i].hk
			seen := false
			for j := range tried {
				if tried[j] == *hk {
					seen = true
					break
				}
			}
			if seen {
				continue
			}
			tried = append(tried, *hk)
			h, ok := openHeader(hk, &p)
			if !ok {
				continue
			}
			idx := s.findSkipped(hk, h.n, cutoff)
			if idx < 0 {
				replay = true // opened, but no live key for that number
				continue
			}
			pt, err := s.openBody(&s.skipped[idx].mk, &p)
			if err != nil {
				return nil, err
			}
			s.commitSkippedUse(idx, cutoff)
			return pt, nil
		}
	}

	// 2. The current receiving chain.
	if s.hasHKr {
		if h, ok := openHeader(&s.hkr, &p); ok {
			if h.n < s.nr {
				return nil, ErrReplay
			}
			return s.decryptInChain(&p, h, nowUnix, cutoff)
		}
	}

	// 3. The next receiving chain: a DH ratchet step.
	if h, ok := openHeader(&s.nhkr, &p); ok {
		return s.decryptNewChain(r, &p, h, nowUnix, cutoff)
	}
	if replay {
		return nil, ErrReplay
	}
	return nil, ErrUndecryptable
}

func (s *Session) findSkipped(hk *[keySize]byte, n uint32, cutoff int64) int {
	for i := range s.skipped {
		k := &s.skipped[i]
		if k.n == n && k.at >= cutoff && subtle.ConstantTimeCompare(k.hk[:], hk[:]) == 1 {
			return i
		}
	}
	return -1
}

// skip derives the message keys of chain ck from *nr up to (not including)
// until, appending them to pending under hk. It works on copies; nothing in
// s changes.
func skip(pending []skippedKey, hk *[keySize]byte, ck *[keySize]byte, nr *uint32, until uint32, at int64) ([]skippedKey, error) {
	if until < *nr {
		return pending, nil
	}
	if until-*nr > MaxSkip {
		return pending, ErrTooFarAhead
	}
	// Keys that would be evicted at once are not worth deriving in full.
	keepFrom := *nr
	if until-*nr > MaxSkippedKeys {
		keepFrom = until - MaxSkippedKeys
	}
	var mk [keySize]byte
	for *nr < until {
		kdfCK(ck, &mk)
		if *nr >= keepFrom {
			pending = append(pending, skippedKey{hk: *hk, n: *nr, mk: mk, at: at})
		}
		*nr++
	}
	clear(mk[:])
	return pending, nil
}

func (s *Session) decryptInChain(p *parsed, h header, now, cutoff int64) ([]byte, error) {
	ck, nr := s.ckr, s.nr
	pending, err := skip(nil, &s.hkr, &ck, &nr, h.n, now)
	if err != nil {
		return nil, err
	}
	var mk [keySize]byte
	kdfCK(&ck, &mk)
	pt, err := s.openBody(&mk, p)
	clear(mk[:])
	if err != nil {
		wipeSkipped(pending)
		return nil, err
	}
	s.ckr, s.nr = ck, nr+1
	s.commitSkipped(pending, cutoff)
	return pt, nil
}

func (s *Session) decryptNewChain(r io.Reader, p *parsed, h header, now, cutoff int64) ([]byte, error) {
	var pending []skippedKey
	var err error
	if s.hasCKr {
		ck, nr := s.ckr, s.nr
		if pending, err = skip(pending, &s.hkr, &ck, &nr, h.pn, now); err != nil {
			return nil, err
		}
	}
	if h.n > MaxSkip {
		wipeSkipped(pending)
		return nil, ErrTooFarAhead
	}
	dhr, err := prim.NewX25519Public(h.dh[:])
	if err != nil {
		wipeSkipped(pending)
		return nil, ErrUndecryptable
	}
	dh1, err := prim.X25519(s.dhs, dhr)
	if err != nil {
		wipeSkipped(pending)
		return nil, ErrUndecryptable
	}
	rk1, ckr, nhkr := kdfRK(&s.rk, dh1)
	clear(dh1)
	newHKr := s.nhkr
	var nr uint32
	if pending, err = skip(pending, &newHKr, &ckr, &nr, h.n, now); err != nil {
		return nil, err
	}
	var mk [keySize]byte
	kdfCK(&ckr, &mk)
	pt, err := s.openBody(&mk, p)
	clear(mk[:])
	if err != nil {
		wipeSkipped(pending)
		return nil, err
	}
	// Authenticated: complete the DH ratchet with a fresh sending key.
	dhs, err := prim.GenerateX25519(r)
	if err != nil {
		wipeSkipped(pending)
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	dh2, err := prim.X25519(dhs, dhr)
	if err != nil {
		wipeSkipped(pending)
		return nil, ErrUndecryptable
	}
	rk2, cks, nhks := kdfRK(&rk1, dh2)
	clear(dh2)

	s.pn, s.ns = s.ns, 0
	s.hks, s.hasHKs = s.nhks, true
	s.hkr, s.hasHKr = newHKr, true
	s.dhr, s.hasDHr = h.dh, true
	s.ckr, s.hasCKr, s.nr = ckr, true, nr+1
	s.nhkr = nhkr
	s.dhs = dhs
	copy(s.dhsPub[:], dhs.PublicKey().Bytes())
	s.rk, s.cks, s.hasCKs, s.nhks = rk2, cks, true, nhks
	clear(rk1[:])
	s.commitSkipped(pending, cutoff)
	return pt, nil
}

// commitSkipped adds pending keys, drops expired ones and evicts the oldest
// beyond MaxSkippedKeys.
func (s *Session) commitSkipped(pending []skippedKey, cutoff int64) {
	if len(pending) == 0 && (len(s.skipped) == 0 || s.skipped[0].at >= cutoff) {
		return
	}
	kept := s.skipped[:0]
	for _, k := range s.skipped {
		if k.at >= cutoff {
			kept = append(kept, k)
		}
	}
	wipeSkipped(s.skipped[len(kept):])
	kept = append(kept, pending...)
	if over := len(kept) - MaxSkippedKeys; over > 0 {
		wipeSkipped(kept[:over])
		kept = append(kept[:0], kept[over:]...)
	}
	wipeSkipped(kept[len(kept):cap(kept)])
	s.skipped = kept
}

func (s *Session) commitSkippedUse(idx int, cutoff int64) {
	n := len(s.skipped)
	s.skipped = append(s.skipped[:idx], s.skipped[idx+1:]...)
	s.skipped[:n][n-1] = skippedKey{} // the stale copy left behind by the shift
	s.commitSkipped(nil, cutoff)
}

func wipeSkipped(ks []skippedKey) {
	for i := range ks {
		ks[i] = skippedKey{}
	}
}

// SkippedKeys returns how many skipped message keys the session stores.
func (s *Session) SkippedKeys() int { return len(s.skipped) }

// Destroy zeroes the session's secrets. The session must not be used after.
func (s *Session) Destroy() {
	clear(s.rk[:])
	clear(s.cks[:])
	clear(s.ckr[:])
	clear(s.hks[:])
	clear(s.hkr[:])
	clear(s.nhks[:])
	clear(s.nhkr[:])
	wipeSkipped(s.skipped)
	s.skipped = nil
	s.dhs = nil
	s.hasCKs, s.hasCKr = false, false
}
