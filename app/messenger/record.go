package messenger

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// sessionRecord is what the profile keeps per (contact, device): the ratchet,
// the PQXDH initiation while no reply has come (every message is wrapped in a
// prekey message until then), the base key of the prekey message that started
// a responder session (repeats of it reuse the session), the peer device's
// certificate (where to send and what to seal to), and a few earlier
// sessions with that device.
//
// Earlier sessions exist because both sides may start a session at the same
// moment (each one's first message crosses the other's lookup): each side
// then sends on its newest session and still decrypts messages that arrive
// on the one it replaced, so nothing in flight is lost.
type sessionRecord struct {
	ratchet    []byte
	initiation []byte
	baseKey    [32]byte
	peer       []byte
	previous   []archivedSession
}

// archivedSession is a replaced session, kept for decrypting only.
type archivedSession struct {
	ratchet []byte
	baseKey [32]byte
}

const (
	recordVersion = 2
	maxRecord     = 1 << 20
	// maxPrevious bounds the earlier sessions kept per device.
	maxPrevious = 4
)

var errBadRecord = errors.New("messenger: damaged session record")

// replacing returns r with old's sessions (current first) archived in it.
func (r *sessionRecord) replacing(old *sessionRecord) {
	if old == nil {
		return
	}
	r.previous = append([]archivedSession{{ratchet: old.ratchet, baseKey: old.baseKey}}, old.previous...)
	if len(r.previous) > maxPrevious {
		r.previous = r.previous[:maxPrevious]
	}
}

// knows reports whether a prekey message with this base key belongs to a
// session the record holds (current or archived).
func (r *sessionRecord) knows(baseKey [32]byte) bool {
	if baseKey == ([32]byte{}) {
		return false
	}
	if r.baseKey == baseKey {
		return true
	}
	for _, p := range r.previous {
		if p.baseKey == baseKey {
			return true
		}
	}
	return false
}

func appendField(b, f []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
	return append(b, f...)
}

func (r *sessionRecord) marshal() []byte {
	b := make([]byte, 0, 64+len(r.ratchet)+len(r.initiation)+len(r.peer)+len(r.previous)*(len(r.ratchet)+40))
	b = append(b, recordVersion)
	for _, f := range [][]byte{r.ratchet, r.initiation, r.baseKey[:], r.peer} {
		b = appendField(b, f)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.previous)))
	for _, p := range r.previous {
		b = appendField(b, p.ratchet)
		b = appendField(b, p.baseKey[:])
	}
	return b
}

func parseSessionRecord(b []byte) (*sessionRecord, error) {
	if len(b) == 0 || len(b) > maxRecord || b[0] != recordVersion {
		return nil, errBadRecord
	}
	b = b[1:]
	field := func() ([]byte, error) {
		if len(b) < 4 {
			return nil, errBadRecord
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, errBadRecord
		}
		f := b[4 : 4+n]
		b = b[4+n:]
		return f, nil
	}
	var r sessionRecord
	var base []byte
	var err error
	for _, dst := range []*[]byte{&r.ratchet, &r.initiation, &base, &r.peer} {
		if *dst, err = field(); err != nil {
			return nil, err
		}
	}
	if len(base) != 32 || len(r.ratchet) == 0 || len(r.peer) == 0 || len(b) < 4 {
		return nil, fmt.Errorf("%w: bad field sizes", errBadRecord)
	}
	copy(r.baseKey[:], base)
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if n > maxPrevious {
		return nil, fmt.Errorf("%w: %d earlier sessions", errBadRecord, n)
	}
	for range n {
		var p archivedSession
		if p.ratchet, err = field(); err != nil {
			return nil, err
		}
		if base, err = field(); err != nil {
			return nil, err
		}
		if len(p.ratchet) == 0 || len(base) != 32 {
			return nil, fmt.Errorf("%w: bad earlier session", errBadRecord)
		}
		copy(p.baseKey[:], base)
		r.previous = append(r.previous, p)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", errBadRecord)
	}
	if len(r.initiation) == 0 {
		r.initiation = nil
	}
	return &r, nil
}
