package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
)

// WAV files here are 16-bit PCM, 48 kHz, mono. Anything else is ErrFormat; convert with
// `sox in.wav -r 48000 -c 1 -b 16 out.wav`.

const maxWAVChunk = 1 << 30

// readWAVHeader checks the RIFF/WAVE header and fmt chunk and leaves r at the start of the samples,
// returning the data chunk's length in bytes.
func readWAVHeader(r io.Reader) (int64, error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return 0, fmt.Errorf("read wav header: %w", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return 0, fmt.Errorf("%w: not a RIFF/WAVE file", ErrFormat)
	}
	sawFmt := false
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return 0, fmt.Errorf("read wav chunk header: %w", err)
		}
		size := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if size > maxWAVChunk {
			return 0, fmt.Errorf("%w: wav chunk of %d bytes", ErrFormat, size)
		}
		switch string(hdr[:4]) {
		case "fmt ":
			if size < 16 || size > 1024 {
				return 0, fmt.Errorf("%w: fmt chunk of %d bytes", ErrFormat, size)
			}
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return 0, fmt.Errorf("read wav fmt chunk: %w", err)
			}
			if err := checkWAVFormat(buf[:size]); err != nil {
				return 0, err
			}
			sawFmt = true
		case "data":
			if !sawFmt {
				return 0, fmt.Errorf("%w: data chunk before fmt chunk", ErrFormat)
			}
			return size, nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return 0, fmt.Errorf("skip wav chunk %q: %w", hdr[:4], err)
			}
		}
	}
}

func checkWAVFormat(f []byte) error {
	format := binary.LittleEndian.Uint16(f[0:])
	channels := binary.LittleEndian.Uint16(f[2:])
	rate := binary.LittleEndian.Uint32(f[4:])
	bits := binary.LittleEndian.Uint16(f[14:])
	const pcm, extensible = 1, 0xfffe
	if format == extensible && len(f) >= 26 {
		format = binary.LittleEndian.Uint16(f[24:])
	}
	if format != pcm || channels != 1 || rate != SampleRate || bits != 16 {
		return fmt.Errorf("%w: wav is format %d, %d channels, %d Hz, %d bits; need PCM, 1 channel, 48000 Hz, 16 bits "+
			"(sox in.wav -r 48000 -c 1 -b 16 out.wav)", ErrFormat, format, channels, rate, bits)
	}
	return nil
}

// ReadWAV loads a whole 48 kHz mono 16-bit WAV file.
func ReadWAV(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open wav: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	n, err := readWAVHeader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return readSamples(r, n)
}

// readSamples reads up to n bytes of little-endian samples; a file shorter than its header claims
// yields what is there.
func readSamples(r io.Reader, n int64) ([]int16, error) {
	raw, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, fmt.Errorf("read wav samples: %w", err)
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return pcm, nil
}

// WAVSource plays a WAV file as a microphone: one frame per 20 ms of wall time. At the end of the
// file it returns io.EOF (or starts again when looping).
type WAVSource struct {
	mu     sync.Mutex
	f      *os.File
	r      *bufio.Reader
	left   int64 // bytes of samples left
	loop   bool
	pace   *pacer
	closed bool
}

// WAVSourceOption changes how a WAVSource behaves.
type WAVSourceOption func(*WAVSource)

// WAVLoop makes the source start again at the end instead of returning io.EOF.
func WAVLoop() WAVSourceOption { return func(s *WAVSource) { s.loop = true } }

// WAVUnpaced makes ReadAudio return as fast as it can (for offline encoding).
func WAVUnpaced() WAVSourceOption { return func(s *WAVSource) { s.pace = nil } }

// NewWAVSource opens a 48 kHz mono 16-bit PCM WAV file.
func NewWAVSource(path string, opts ...WAVSourceOption) (*WAVSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open wav source: %w", err)
	}
	s := &WAVSource{f: f, pace: newPacer(FrameDuration)}
	for _, o := range opts {
		o(s)
	}
	if err := s.rewind(); err != nil {
		f.Close()
		return nil, fmt.Errorf("wav source %s: %w", path, err)
	}
	return s, nil
}

func (s *WAVSource) rewind() error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind: %w", err)
	}
	s.r = bufio.NewReader(s.f)
	n, err := readWAVHeader(s.r)
	if err != nil {
		return err
	}
	s.left = n
	return nil
}

// ReadAudio fills frame with the next samples; a short final frame is padded with silence.
func (s *WAVSource) ReadAudio(frame []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStopped
	}
	if s.left < 2 {
		if !s.loop {
			return io.EOF
		}
		if err := s.rewind(); err != nil {
			return err
		}
		if s.left < 2 {
			return io.EOF
		}
	}
	if s.pace != nil {
		s.pace.wait()
	}
	clear(frame)
	n := min(int64(len(frame)), s.left/2)
	if err := binary.Read(s.r, binary.LittleEndian, frame[:n]); err != nil {
		return fmt.Errorf("read wav samples: %w", err)
	}
	s.left -= 2 * n
	return nil
}

// Close closes the file.
func (s *WAVSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.f.Close()
}

// WAVSink records frames into a 48 kHz mono 16-bit WAV file; the sizes in the header are written on
// Close.
type WAVSink struct {
	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	samples int64
	closed  bool
}

// NewWAVSink creates (or truncates) path.
func NewWAVSink(path string) (*WAVSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create wav sink: %w", err)
	}
	s := &WAVSink{f: f, w: bufio.NewWriter(f)}
	if err := writeWAVHeader(s.w, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("wav sink header: %w", err)
	}
	return s, nil
}

func writeWAVHeader(w io.Writer, samples int64) error {
	dataBytes := uint32(samples * 2)
	var h [44]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], SampleRate)
	binary.LittleEndian.PutUint32(h[28:], SampleRate*2)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	_, err := w.Write(h[:])
	return err
}

// WriteAudio appends one frame.
func (s *WAVSink) WriteAudio(frame []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStopped
	}
	if err := binary.Write(s.w, binary.LittleEndian, frame); err != nil {
		return fmt.Errorf("write wav samples: %w", err)
	}
	s.samples += int64(len(frame))
	return nil
}

// Samples returns how many samples were written so far.
func (s *WAVSink) Samples() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// Close writes the final header and closes the file.
func (s *WAVSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.w.Flush(); err != nil {
		s.f.Close()
		return fmt.Errorf("flush wav: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		s.f.Close()
		return fmt.Errorf("rewind wav: %w", err)
	}
	if err := writeWAVHeader(s.f, s.samples); err != nil {
		s.f.Close()
		return fmt.Errorf("finish wav header: %w", err)
	}
	return s.f.Close()
}

// WriteWAV writes pcm as a 48 kHz mono 16-bit WAV file.
func WriteWAV(path string, pcm []int16) error {
	s, err := NewWAVSink(path)
	if err != nil {
		return err
	}
	if err := s.WriteAudio(pcm); err != nil {
		s.Close()
		return err
	}
	return s.Close()
}
