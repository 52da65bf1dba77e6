package attachment

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func testKey(b byte) Key {
	var k Key
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

func encrypt(t testing.TB, key Key, plain []byte, writes int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, key)
	if err != nil {
		t.Fatal(err)
	}
	// Write in uneven pieces: chunking must not depend on write sizes.
	step := max(1, len(plain)/max(1, writes))
	for i := 0; i < len(plain); i += step {
		if _, err := w.Write(plain[i:min(len(plain), i+step)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func decrypt(key Key, ct []byte) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(ct), key)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestRoundTripSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3 * ChunkSize, 3*ChunkSize + 17} {
		plain := make([]byte, n)
		for i := range plain {
			plain[i] = byte(rng.Uint32())
		}
		for _, writes := range []int{1, 7} {
			ct := encrypt(t, testKey(1), plain, writes)
			if int64(len(ct)) != EncryptedSize(int64(n)) {
				t.Fatalf("n=%d: ciphertext %d bytes, EncryptedSize says %d", n, len(ct), EncryptedSize(int64(n)))
			}
			got, err := decrypt(testKey(1), ct)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("n=%d writes=%d: round trip failed: %v", n, writes, err)
			}
		}
	}
}

// TestKnownAnswer pins the format: any change to the derivation, nonce, AD
// or framing changes this digest.
func TestKnownAnswer(t *testing.T) {
	plain := bytes.Repeat([]byte("sotto"), (ChunkSize+100)/5)
	ct := encrypt(t, testKey(7), plain, 3)
	sum := sha256.Sum256(ct)
	const want = "3f9ef365a019be6169489794b763d159123f335eef1ba4fe7b0d4d02cc43a145"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("ciphertext digest %s, want %s", got, want)
	}
}

func TestTamperAndTruncation(t *testing.T) {
	plain := make([]byte, 3*ChunkSize+10)
	ct := encrypt(t, testKey(2), plain, 1)
	c1 := 1 + encChunk

	cases := map[string]struct {
		ct   []byte
		want error
	}{
		"wrong key":        {ct, ErrTampered},
		"bit flip":         {flip(ct, 100), ErrTampered},
		"bit flip in last": {flip(ct, len(ct)-3), ErrTampered},
		"cut at a chunk":   {ct[:1+2*encChunk], ErrTruncated},
		"cut mid chunk":    {ct[:c1+500], ErrTampered},
		"last chunk gone":  {ct[:1+3*encChunk], ErrTruncated},
		"empty":            {nil, ErrTruncated},
		"version":          {append([]byte{9}, ct[1:]...), ErrUnknownVersion},
		"trailing byte":    {append(append([]byte(nil), ct...), 0), ErrTampered},
		"trailing chunk":   {append(append([]byte(nil), ct...), ct[1:1+encChunk]...), ErrTampered},
		"swapped chunks":   {swap(ct, 1, c1, encChunk), ErrTampered},
	}
	for name, tc := range cases {
		key := testKey(2)
		if name == "wrong key" {
			key = testKey(3)
		}
		if _, err := decrypt(key, tc.ct); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

func swap(b []byte, i, j, n int) []byte {
	c := append([]byte(nil), b...)
	copy(c[i:i+n], b[j:j+n])
	copy(c[j:j+n], b[i:i+n])
	return c
}

// TestNoPlaintextBeforeAuthentication: a reader hands out nothing of a chunk
// that fails.
func TestNoPlaintextBeforeAuthentication(t *testing.T) {
	plain := bytes.Repeat([]byte{0xAB}, 2*ChunkSize+5)
	ct := flip(encrypt(t, testKey(4), plain, 1), 1+encChunk+10) // second chunk damaged
	r, err := NewReader(bytes.NewReader(ct), testKey(4))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrTampered) || len(got) != ChunkSize {
		t.Fatalf("read %d bytes then %v; want exactly the first chunk then ErrTampered", len(got), err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(encrypt(f, testKey(5), []byte("hello"), 1))
	f.Add(encrypt(f, testKey(5), make([]byte, ChunkSize+1), 1))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, ct []byte) {
		plain, err := decrypt(testKey(5), ct)
		if err != nil {
			return
		}
		// Whatever decrypts must re-encrypt to the same bytes (the format
		// has exactly one encoding per plaintext and key).
		if again := encrypt(t, testKey(5), plain, 1); !bytes.Equal(again, ct) {
			t.Fatal("accepted a non-canonical ciphertext")
		}
	})
}

func BenchmarkEncrypt1MiB(b *testing.B) {
	plain := make([]byte, 1<<20)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		w, _ := NewWriter(io.Discard, testKey(6))
		_, _ = w.Write(plain)
		_ = w.Close()
	}
}
