package messenger

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// sessionRecord is what the profile keeps per (contact, device): the ratchet,
// the PQXDH initiation while no reply has come (every message is wrapped in a
// prekey message until then), the base key of the prekey message that started
// a responder session (repeats of it reuse the session), and the peer device's
// certificate (where to send and what to seal to).
type sessionRecord struct {
	ratchet    []byte
	initiation []byte
	baseKey    [32]byte
	peer       []byte
}

const (
	recordVersion = 1
	maxRecord     = 1 << 20
)

var errBadRecord = errors.New("messenger: damaged session record")

func (r *sessionRecord) marshal() []byte {
	b := make([]byte, 0, 1+3*4+len(r.ratchet)+len(r.initiation)+32+len(r.peer))
	b = append(b, recordVersion)
	for _, f := range [][]byte{r.ratchet, r.initiation, r.baseKey[:], r.peer} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
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
	if len(b) != 0 || len(base) != 32 || len(r.ratchet) == 0 || len(r.peer) == 0 {
		return nil, fmt.Errorf("%w: bad field sizes", errBadRecord)
	}
	copy(r.baseKey[:], base)
	if len(r.initiation) == 0 {
		r.initiation = nil
	}
	return &r, nil
}
