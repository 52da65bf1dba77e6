package bridge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"sync"
	"time"

	"github.com/sotto-im/sotto/calls/media"
)

// A frame travels as one binary WebSocket message: a 20-byte little-endian
// header, then the payload.
//
//	0  u8   version (1)
//	1  u8   format (1 i420, 2 jpeg)
//	2  u16  width
//	4  u16  height
//	6  u16  reserved (0)
//	8  u32  frame number
//	12 f64  capture time, Unix milliseconds
//	20      i420: Y (w·h), U, V ((w+1)/2 · (h+1)/2 each), tightly packed; jpeg: the file
const (
	headerLen    = 20
	frameVersion = 1
	// maxDimension bounds a frame's width and height (8K is 7680).
	maxDimension = 8192
)

// jpegQuality trades size for Go's encode time; 80 looks clean at call sizes.
const jpegQuality = 80

// frame is a private copy of a sink's frame, shared read-only by its viewers,
// with each wire encoding made at most once.
type frame struct {
	seq      uint64
	width    int
	height   int
	number   uint32
	captured time.Time
	planes   []byte // Y, U, V packed

	once [3]sync.Once
	enc  [3][]byte
	err  [3]error
}

func chromaSize(w, h int) (int, int) { return (w + 1) / 2, (h + 1) / 2 }

// copyFrame checks f's planes and copies them: the decoder may reuse its buffers.
func copyFrame(f *media.VideoFrame, seq uint64) (*frame, error) {
	if f == nil || f.Width <= 0 || f.Height <= 0 || f.Width > maxDimension || f.Height > maxDimension {
		return nil, fmt.Errorf("%w: bad size", ErrBadFrame)
	}
	cw, ch := chromaSize(f.Width, f.Height)
	ys, cs := f.Width*f.Height, cw*ch
	if len(f.Y) < ys || len(f.U) < cs || len(f.V) < cs {
		return nil, fmt.Errorf("%w: %dx%d needs planes of %d and %d bytes", ErrBadFrame, f.Width, f.Height, ys, cs)
	}
	p := make([]byte, ys+2*cs)
	copy(p, f.Y[:ys])
	copy(p[ys:], f.U[:cs])
	copy(p[ys+cs:], f.V[:cs])
	return &frame{seq: seq, width: f.Width, height: f.Height, number: f.Number, captured: f.Captured, planes: p}, nil
}

// encoded is the frame's wire message in format ff, made once and shared.
func (fr *frame) encoded(ff Format) ([]byte, error) {
	i := int(ff)
	if i <= 0 || i >= len(fr.once) {
		return nil, fmt.Errorf("encode frame: %w", fmt.Errorf("unknown format %d", ff))
	}
	fr.once[i].Do(func() { fr.enc[i], fr.err[i] = fr.encode(ff) })
	return fr.enc[i], fr.err[i]
}

func (fr *frame) header(buf []byte, ff Format) {
	buf[0] = frameVersion
	buf[1] = byte(ff)
	binary.LittleEndian.PutUint16(buf[2:], uint16(fr.width))
	binary.LittleEndian.PutUint16(buf[4:], uint16(fr.height))
	binary.LittleEndian.PutUint16(buf[6:], 0)
	binary.LittleEndian.PutUint32(buf[8:], fr.number)
	var ms float64
	if !fr.captured.IsZero() {
		ms = float64(fr.captured.UnixMicro()) / 1000
	}
	binary.LittleEndian.PutUint64(buf[12:], math.Float64bits(ms))
}

func (fr *frame) encode(ff Format) ([]byte, error) {
	switch ff {
	case FormatI420:
		out := make([]byte, headerLen+len(fr.planes))
		fr.header(out, ff)
		copy(out[headerLen:], fr.planes)
		return out, nil
	case FormatJPEG:
		var b bytes.Buffer
		b.Grow(headerLen + len(fr.planes)/8)
		b.Write(make([]byte, headerLen))
		if err := jpeg.Encode(&b, fr.ycbcr(), &jpeg.Options{Quality: jpegQuality}); err != nil {
			return nil, fmt.Errorf("encode frame as jpeg: %w", err)
		}
		out := b.Bytes()
		fr.header(out, ff)
		return out, nil
	}
	return nil, fmt.Errorf("encode frame: unknown format %d", ff)
}

// ycbcr views the planes as an image without copying (image/jpeg has a fast path for it).
func (fr *frame) ycbcr() *image.YCbCr {
	cw, ch := chromaSize(fr.width, fr.height)
	ys, cs := fr.width*fr.height, cw*ch
	return &image.YCbCr{
		Y: fr.planes[:ys], Cb: fr.planes[ys : ys+cs], Cr: fr.planes[ys+cs:],
		YStride: fr.width, CStride: cw,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, fr.width, fr.height),
	}
}

// frameHeader is a parsed header, for tests and tools that read the wire format.
type frameHeader struct {
	Format   Format
	Width    int
	Height   int
	Number   uint32
	Captured float64 // Unix ms
}

// parseFrameHeader reads a frame message's header and checks the payload's size.
func parseFrameHeader(msg []byte) (frameHeader, []byte, error) {
	if len(msg) < headerLen {
		return frameHeader{}, nil, fmt.Errorf("%w: %d bytes, header is %d", ErrBadFrame, len(msg), headerLen)
	}
	if msg[0] != frameVersion {
		return frameHeader{}, nil, fmt.Errorf("%w: version %d", ErrBadFrame, msg[0])
	}
	h := frameHeader{
		Format:   Format(msg[1]),
		Width:    int(binary.LittleEndian.Uint16(msg[2:])),
		Height:   int(binary.LittleEndian.Uint16(msg[4:])),
		Number:   binary.LittleEndian.Uint32(msg[8:]),
		Captured: math.Float64frombits(binary.LittleEndian.Uint64(msg[12:])),
	}
	if h.Width == 0 || h.Height == 0 || h.Width > maxDimension || h.Height > maxDimension {
		return frameHeader{}, nil, fmt.Errorf("%w: size %dx%d", ErrBadFrame, h.Width, h.Height)
	}
	payload := msg[headerLen:]
	switch h.Format {
	case FormatI420:
		cw, ch := chromaSize(h.Width, h.Height)
		if want := h.Width*h.Height + 2*cw*ch; len(payload) != want {
			return frameHeader{}, nil, fmt.Errorf("%w: i420 payload %d bytes, want %d", ErrBadFrame, len(payload), want)
		}
	case FormatJPEG:
		if len(payload) == 0 {
			return frameHeader{}, nil, fmt.Errorf("%w: empty jpeg", ErrBadFrame)
		}
	default:
		return frameHeader{}, nil, fmt.Errorf("%w: format %d", ErrBadFrame, h.Format)
	}
	return h, payload, nil
}
