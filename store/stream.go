package store

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// Chunked AEAD used for attachment files and backups: the plaintext is cut
// into chunks of streamChunkSize bytes; each is sealed with XChaCha20-Poly1305
// under a random nonce, with AD = prefix ‖ chunk index ‖ last flag. On disk a
// chunk is u32 ciphertext length ‖ 24-byte nonce ‖ ciphertext. Reordering,
// dropping, or truncating chunks fails authentication.
const streamChunkSize = 64 << 10

// errStreamAuth is returned by streamReader when a chunk fails to open.
var errStreamAuth = errors.New("chunk failed authentication")

type streamWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	prefix []byte
	buf    []byte
	index  uint64
	closed bool
}

func newStreamWriter(w io.Writer, key, prefix []byte) (*streamWriter, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	return &streamWriter{w: w, aead: a, prefix: prefix, buf: make([]byte, 0, streamChunkSize)}, nil
}

func streamAD(prefix []byte, index uint64, last bool) []byte {
	ad := make([]byte, 0, len(prefix)+9)
	ad = append(ad, prefix...)
	ad = binary.BigEndian.AppendUint64(ad, index)
	if last {
		return append(ad, 1)
	}
	return append(ad, 0)
}

func (s *streamWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if len(s.buf) == streamChunkSize {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
		c := copy(s.buf[len(s.buf):streamChunkSize], p)
		s.buf = s.buf[:len(s.buf)+c]
		p = p[c:]
		n += c
	}
	return n, nil
}

func (s *streamWriter) flush(last bool) error {
	out := make([]byte, 4+s.aead.NonceSize(), 4+s.aead.NonceSize()+len(s.buf)+s.aead.Overhead())
	nonce := out[4:]
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out = s.aead.Seal(out, nonce, s.buf, streamAD(s.prefix, s.index, last))
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4-s.aead.NonceSize()))
	s.index++
	s.buf = s.buf[:0]
	_, err := s.w.Write(out)
	return err
}

// Close writes the final chunk (possibly empty). It does not close w.
func (s *streamWriter) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.flush(true)
}

type streamReader struct {
	r      io.Reader
	aead   cipher.AEAD
	prefix []byte
	buf    []byte
	index  uint64
	done   bool
}

func newStreamReader(r io.Reader, key, prefix []byte) (*streamReader, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	return &streamReader{r: r, aead: a, prefix: prefix}, nil
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.done {
			return 0, io.EOF
		}
		if err := s.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func (s *streamReader) next() error {
	var hdr [4 + chacha20poly1305.NonceSizeX]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return fmt.Errorf("%w: chunk %d: %v", errStreamAuth, s.index, err)
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < uint32(s.aead.Overhead()) || n > streamChunkSize+uint32(s.aead.Overhead()) {
		return fmt.Errorf("%w: chunk %d: bad length", errStreamAuth, s.index)
	}
	ct := make([]byte, n)
	if _, err := io.ReadFull(s.r, ct); err != nil {
		return fmt.Errorf("%w: chunk %d: %v", errStreamAuth, s.index, err)
	}
	nonce := hdr[4:]
	// Open zeroes its output on failure, so the first try must not
	// decrypt in place.
	pt, err := s.aead.Open(nil, nonce, ct, streamAD(s.prefix, s.index, false))
	if err != nil {
		pt, err = s.aead.Open(ct[:0], nonce, ct, streamAD(s.prefix, s.index, true))
		if err != nil {
			return fmt.Errorf("%w: chunk %d", errStreamAuth, s.index)
		}
		s.done = true
		// Nothing may follow the last chunk.
		var one [1]byte
		if m, _ := s.r.Read(one[:]); m != 0 {
			return fmt.Errorf("%w: data after the last chunk", errStreamAuth)
		}
	}
	s.index++
	s.buf = pt
	return nil
}
