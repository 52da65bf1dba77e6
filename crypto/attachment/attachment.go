package attachment

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sotto-im/sotto/crypto/internal/prim"
)

const (
	// ChunkSize is the plaintext size of every chunk but the last.
	ChunkSize = 64 << 10
	// Version is the first byte of every encrypted file.
	Version  byte = 1
	tagSize       = 16
	encChunk      = ChunkSize + tagSize
	kdfInfo       = "Sotto_Attachment_v1"
	// KeySize is the size of a file key.
	KeySize = 32
)

// Errors a reader returns (test with errors.Is).
var (
	// ErrTampered: a chunk failed authentication, or chunks were reordered,
	// repeated or removed.
	ErrTampered = errors.New("attachment: ciphertext was modified")
	// ErrTruncated: the file ends before its last chunk.
	ErrTruncated = errors.New("attachment: ciphertext is truncated")
	// ErrUnknownVersion: the file starts with a version this code does not know.
	ErrUnknownVersion = errors.New("attachment: unknown version")
)

// Key is one file's key. It is secret: it travels only inside end-to-end
// encrypted messages.
type Key [KeySize]byte

// GenerateKey draws a new file key from r.
func GenerateKey(r io.Reader) (Key, error) {
	var k Key
	if _, err := io.ReadFull(r, k[:]); err != nil {
		return Key{}, fmt.Errorf("attachment: %w", prim.ErrRandom)
	}
	return k, nil
}

// EncryptedSize is the size of the encryption of n plaintext bytes.
func EncryptedSize(n int64) int64 {
	chunks := max(1, (n+ChunkSize-1)/ChunkSize) // an empty file is one empty chunk
	return 1 + n + chunks*tagSize
}

func newAEAD(k *Key) (cipher.AEAD, error) {
	ak, err := prim.HKDF(k[:], nil, kdfInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("attachment: derive key: %w", err)
	}
	defer clear(ak)
	a, err := prim.NewAEAD(ak)
	if err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	return a, nil
}

// nonceAndAD returns the nonce and associated data of chunk i: the index in
// both, the last-chunk flag in the AD.
func nonceAndAD(i uint64, last bool) (nonce [12]byte, ad [9]byte) {
	binary.BigEndian.PutUint64(nonce[4:], i)
	binary.BigEndian.PutUint64(ad[:8], i)
	if last {
		ad[8] = 1
	}
	return nonce, ad
}

// Writer encrypts what is written to it; Close seals the last chunk.
type Writer struct {
	dst    io.Writer
	aead   cipher.AEAD
	buf    []byte
	index  uint64
	err    error
	closed bool
}

// NewWriter starts an encrypted file on dst.
func NewWriter(dst io.Writer, key Key) (*Writer, error) {
	a, err := newAEAD(&key)
	if err != nil {
		return nil, err
	}
	if _, err := dst.Write([]byte{Version}); err != nil {
		return nil, err
	}
	return &Writer{dst: dst, aead: a, buf: make([]byte, 0, encChunk)}, nil
}

// Write buffers p and writes out every full chunk.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("attachment: write after close")
	}
	n := 0
	for len(p) > 0 {
		// A full buffer is flushed only when more data follows, so the
		// last chunk is always sealed with the last flag (by Close).
		if len(w.buf) == ChunkSize {
			if w.err = w.seal(false); w.err != nil {
				return n, w.err
			}
		}
		k := min(ChunkSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:k]...)
		p, n = p[k:], n+k
	}
	return n, nil
}

func (w *Writer) seal(last bool) error {
	nonce, ad := nonceAndAD(w.index, last)
	out := w.aead.Seal(w.buf[:0], nonce[:], w.buf, ad[:])
	_, err := w.dst.Write(out)
	clear(out)
	w.buf = w.buf[:0]
	w.index++
	return err
}

// Close seals the last chunk. It does not close dst.
func (w *Writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	w.err = w.seal(true)
	return w.err
}

// Reader decrypts an encrypted file, chunk by chunk. It returns data only
// once its chunk has been authenticated, and io.EOF only after an
// authenticated last chunk with nothing after it.
type Reader struct {
	src   io.Reader
	aead  cipher.AEAD
	in    []byte // ciphertext read ahead, at most encChunk+1 bytes
	out   []byte // decrypted, not yet returned
	index uint64
	done  bool
	err   error
}

// NewReader checks the version byte and returns a reader of the plaintext.
func NewReader(src io.Reader, key Key) (*Reader, error) {
	a, err := newAEAD(&key)
	if err != nil {
		return nil, err
	}
	var v [1]byte
	if _, err := io.ReadFull(src, v[:]); err != nil {
		return nil, ErrTruncated
	}
	if v[0] != Version {
		return nil, ErrUnknownVersion
	}
	return &Reader{src: src, aead: a, in: make([]byte, 0, encChunk+1)}, nil
}

func (r *Reader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.err = r.next()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// next reads and opens one chunk. One byte beyond a full chunk is read ahead
// to tell whether this chunk is the last.
func (r *Reader) next() error {
	n, err := io.ReadFull(r.src, r.in[len(r.in):encChunk+1])
	r.in = r.in[:len(r.in)+n]
	switch {
	case err == nil: // more follows: this chunk is not the last
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
	default:
		return err
	}
	last := len(r.in) <= encChunk
	size := min(len(r.in), encChunk)
	if size < tagSize {
		return ErrTruncated
	}
	nonce, ad := nonceAndAD(r.index, last)
	plain, err := r.aead.Open(nil, nonce[:], r.in[:size], ad[:])
	if err != nil {
		if last {
			// Either modified, or a non-final chunk is now at the end (the
			// file was cut): try it as a middle chunk to tell them apart.
			nonce, ad := nonceAndAD(r.index, false)
			if _, err2 := r.aead.Open(nil, nonce[:], r.in[:size], ad[:]); err2 == nil {
				return ErrTruncated
			}
		}
		return ErrTampered
	}
	if !last && len(plain) != ChunkSize {
		return ErrTampered
	}
	r.out = plain
	r.in = append(r.in[:0], r.in[size:]...)
	r.index++
	// The last chunk ended at the end of the input (it was read to EOF),
	// so nothing can follow it.
	r.done = last
	return nil
}
