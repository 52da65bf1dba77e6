package messenger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/app/content"
)

// filePointer says where a sent file's ciphertext waits at the relay and
// how to read it: what the recipient needs besides the name and size. It is
// kept, sealed in the store (the attachment's Remote data), from the upload
// until the relay acknowledges the message, so a delivery retry sends the
// same pointer instead of uploading again. It holds the file's key: it never
// goes to a log or an error.
type filePointer struct {
	Key    [32]byte
	Digest [32]byte // SHA-256 of the ciphertext
	Blobs  []string
	// Expires is when the relay drops the first of the blobs.
	Expires time.Time
}

const filePointerVersion = 1

// errBadPointer: stored pointer data that does not parse.
var errBadPointer = errors.New("stored file pointer is malformed")

func (p *filePointer) marshal() []byte {
	b := make([]byte, 0, 1+64+8+1+len(p.Blobs)*(1+32))
	b = append(b, filePointerVersion)
	b = append(b, p.Key[:]...)
	b = append(b, p.Digest[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Expires.Unix()))
	b = append(b, byte(len(p.Blobs)))
	for _, id := range p.Blobs {
		b = append(b, byte(len(id)))
		b = append(b, id...)
	}
	return b
}

// parseFilePointer decodes what marshal wrote.
func parseFilePointer(b []byte) (*filePointer, error) {
	if len(b) < 1+64+8+1 || b[0] != filePointerVersion {
		return nil, errBadPointer
	}
	p := &filePointer{}
	b = b[1:]
	copy(p.Key[:], b[:32])
	copy(p.Digest[:], b[32:64])
	p.Expires = time.Unix(int64(binary.BigEndian.Uint64(b[64:72])), 0)
	n := int(b[72])
	b = b[73:]
	if n == 0 || n > content.MaxBlobs {
		return nil, fmt.Errorf("%w: %d blobs", errBadPointer, n)
	}
	for range n {
		if len(b) < 1 || int(b[0]) == 0 || int(b[0]) > content.MaxBlobID || len(b) < 1+int(b[0]) {
			return nil, errBadPointer
		}
		p.Blobs = append(p.Blobs, string(b[1:1+int(b[0])]))
		b = b[1+int(b[0]):]
	}
	if len(b) != 0 {
		return nil, errBadPointer
	}
	return p, nil
}

// wipe zeroes the key.
func (p *filePointer) wipe() { clear(p.Key[:]) }
