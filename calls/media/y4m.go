package media

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Y4M (YUV4MPEG2) files here are 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2 or no C tag), 8-bit,
// progressive.

const (
	y4mMagic    = "YUV4MPEG2"
	maxY4MSide  = 4096
	maxY4MHeadr = 1024
)

type y4mHeader struct {
	w, h     int
	fpsNum   int
	fpsDen   int
	framePix int // bytes per frame
}

func readY4MLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for b.Len() <= maxY4MHeadr {
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", fmt.Errorf("%w: y4m header line too long", ErrFormat)
}

func parseY4MHeader(line string) (y4mHeader, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != y4mMagic {
		return y4mHeader{}, fmt.Errorf("%w: not a YUV4MPEG2 stream", ErrFormat)
	}
	h := y4mHeader{fpsNum: 30, fpsDen: 1}
	for _, f := range fields[1:] {
		v := f[1:]
		switch f[0] {
		case 'W', 'H':
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > maxY4MSide {
				return y4mHeader{}, fmt.Errorf("%w: y4m size %q", ErrFormat, f)
			}
			if f[0] == 'W' {
				h.w = n
			} else {
				h.h = n
			}
		case 'F':
			num, den, ok := strings.Cut(v, ":")
			a, err1 := strconv.Atoi(num)
			b, err2 := strconv.Atoi(den)
			if !ok || err1 != nil || err2 != nil || a <= 0 || b <= 0 || a/b > 240 {
				return y4mHeader{}, fmt.Errorf("%w: y4m frame rate %q", ErrFormat, f)
			}
			h.fpsNum, h.fpsDen = a, b
		case 'I':
			if v != "p" && v != "?" {
				return y4mHeader{}, fmt.Errorf("%w: interlaced y4m (%q)", ErrFormat, f)
			}
		case 'C':
			if !strings.HasPrefix(v, "420") || strings.Contains(v, "p10") || strings.Contains(v, "p12") {
				return y4mHeader{}, fmt.Errorf("%w: y4m colour space %q, need 8-bit 4:2:0", ErrFormat, v)
			}
		}
	}
	if h.w == 0 || h.h == 0 {
		return y4mHeader{}, fmt.Errorf("%w: y4m header without W and H", ErrFormat)
	}
	cw, ch := (h.w+1)/2, (h.h+1)/2
	h.framePix = h.w*h.h + 2*cw*ch
	return h, nil
}

// Y4MSource plays a Y4M file as a camera, paced at the file's frame rate. At the end it returns
// io.EOF (or starts again when looping).
type Y4MSource struct {
	mu     sync.Mutex
	f      *os.File
	r      *bufio.Reader
	hdr    y4mHeader
	pace   *pacer
	loop   bool
	n      uint32
	closed bool
}

// NewY4MSource opens path; loop restarts it at the end.
func NewY4MSource(path string, loop bool) (*Y4MSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open y4m source: %w", err)
	}
	s := &Y4MSource{f: f, loop: loop}
	if err := s.rewind(); err != nil {
		f.Close()
		return nil, fmt.Errorf("y4m source %s: %w", path, err)
	}
	s.pace = newPacer(time.Second * time.Duration(s.hdr.fpsDen) / time.Duration(s.hdr.fpsNum))
	return s, nil
}

func (s *Y4MSource) rewind() error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind: %w", err)
	}
	s.r = bufio.NewReaderSize(s.f, 1<<16)
	line, err := readY4MLine(s.r)
	if err != nil {
		return fmt.Errorf("read y4m header: %w", err)
	}
	s.hdr, err = parseY4MHeader(line)
	return err
}

// Size is the frame size in the file's header.
func (s *Y4MSource) Size() (w, h int) { return s.hdr.w, s.hdr.h }

// ReadVideo returns the next frame when it is due.
func (s *Y4MSource) ReadVideo() (*VideoFrame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrStopped
	}
	f, err := readY4MFrame(s.r, s.hdr)
	if err == io.EOF && s.loop {
		if err := s.rewind(); err != nil {
			return nil, err
		}
		f, err = readY4MFrame(s.r, s.hdr)
	}
	if err != nil {
		return nil, err
	}
	s.pace.wait()
	f.Number, f.Captured = s.n, time.Now()
	s.n++
	return f, nil
}

func readY4MFrame(r *bufio.Reader, h y4mHeader) (*VideoFrame, error) {
	line, err := readY4MLine(r)
	if err != nil {
		return nil, err // io.EOF at a clean end
	}
	if !strings.HasPrefix(line, "FRAME") {
		return nil, fmt.Errorf("%w: y4m frame header %q", ErrFormat, line)
	}
	f := NewVideoFrame(h.w, h.h)
	for _, plane := range [][]byte{f.Y, f.U, f.V} {
		if _, err := io.ReadFull(r, plane); err != nil {
			return nil, fmt.Errorf("read y4m frame: %w", err)
		}
	}
	return f, nil
}

// Close closes the file.
func (s *Y4MSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.f.Close()
}

// Y4MSink records frames into a Y4M file. The first frame fixes the size; later frames of another
// size are scaled to it.
type Y4MSink struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	fps    int
	width  int
	height int
	frames int
	closed bool
}

// NewY4MSink creates path; fps goes into the header.
func NewY4MSink(path string, fps int) (*Y4MSink, error) {
	if fps <= 0 {
		fps = 30
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create y4m sink: %w", err)
	}
	return &Y4MSink{f: f, w: bufio.NewWriterSize(f, 1<<16), fps: fps}, nil
}

// WriteVideo appends one frame.
func (s *Y4MSink) WriteVideo(fr *VideoFrame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStopped
	}
	if s.width == 0 {
		s.width, s.height = fr.Width, fr.Height
		if _, err := fmt.Fprintf(s.w, "%s W%d H%d F%d:1 Ip A1:1 C420jpeg\n", y4mMagic, s.width, s.height, s.fps); err != nil {
			return fmt.Errorf("write y4m header: %w", err)
		}
	}
	if err := checkFrame(fr); err != nil {
		return fmt.Errorf("y4m sink: %w", err)
	}
	fr = scaleFrame(fr, s.width, s.height)
	cw, ch := (fr.Width+1)/2, (fr.Height+1)/2
	var buf bytes.Buffer
	buf.WriteString("FRAME\n")
	buf.Write(fr.Y[:fr.Width*fr.Height])
	buf.Write(fr.U[:cw*ch])
	buf.Write(fr.V[:cw*ch])
	if _, err := s.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write y4m frame: %w", err)
	}
	s.frames++
	return nil
}

// Frames is how many frames were written.
func (s *Y4MSink) Frames() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frames
}

// Close flushes and closes the file.
func (s *Y4MSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.w.Flush(); err != nil {
		s.f.Close()
		return fmt.Errorf("flush y4m: %w", err)
	}
	return s.f.Close()
}
