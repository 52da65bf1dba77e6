package opus

/*
#cgo CFLAGS: -I${SRCDIR}/include
#include <opus.h>

static int sotto_enc_set_int(OpusEncoder *e, int request, opus_int32 v) {
	switch (request) {
	case OPUS_SET_BITRATE_REQUEST: return opus_encoder_ctl(e, OPUS_SET_BITRATE(v));
	case OPUS_SET_INBAND_FEC_REQUEST: return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v));
	case OPUS_SET_DTX_REQUEST: return opus_encoder_ctl(e, OPUS_SET_DTX(v));
	case OPUS_SET_PACKET_LOSS_PERC_REQUEST: return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v));
	case OPUS_SET_COMPLEXITY_REQUEST: return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v));
	case OPUS_SET_SIGNAL_REQUEST: return opus_encoder_ctl(e, OPUS_SET_SIGNAL(v));
	}
	return OPUS_UNIMPLEMENTED;
}

// Mirrors opus_packet_has_lbrr from libopus 1.5 (the bundled 1.3 lacks it): the SILK LBRR flag of the
// first frame follows the per-frame VAD flags at the top of the first byte.
static int sotto_has_lbrr(const unsigned char *packet, opus_int32 len) {
	const unsigned char *frames[48];
	opus_int16 size[48];
	int nb = opus_packet_parse(packet, len, NULL, frames, size, NULL);
	if (nb <= 0 || size[0] < 1) return 0;
	int config = packet[0] >> 3;
	if (config >= 16) return 0;
	int spf = opus_packet_get_samples_per_frame(packet, 48000);
	int silk_frames = spf > 960 ? spf / 960 : 1;
	int lbrr = (frames[0][0] >> (7 - silk_frames)) & 1;
	if (opus_packet_get_nb_channels(packet) == 2) lbrr |= (frames[0][0] >> (6 - 2 * silk_frames)) & 1;
	return lbrr;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	// Linked for its bundled static libopus (see doc.go).
	_ "github.com/pion/mediadevices/pkg/codec/opus"
)

// SampleRate is the only rate this package speaks; FrameSamples is one 20 ms mono frame.
const (
	SampleRate   = 48000
	FrameSamples = 960
	// MaxPacket is the largest packet the encoder writes (RFC 6716 caps a frame at 1275 bytes).
	MaxPacket = 1500
)

// ErrClosed is returned by an encoder or decoder used after Close.
var ErrClosed = errors.New("opus: closed")

func opusError(code C.int) error {
	return fmt.Errorf("opus error %d: %s", int(code), C.GoString(C.opus_strerror(code)))
}

// EncoderConfig sets up a voice encoder.
type EncoderConfig struct {
	Bitrate        int // bits per second; 0 means 32000
	FEC            bool
	DTX            bool
	ExpectedLossPc int // tells the encoder how much redundancy FEC should carry (0..100)
	Complexity     int // 0..10; 0 means libopus' default
}

// Encoder turns 20 ms mono frames into Opus packets. Safe for concurrent use.
type Encoder struct {
	mu sync.Mutex
	st *C.OpusEncoder
}

// NewEncoder creates a VOIP-mode mono encoder at 48 kHz.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	var cerr C.int
	st := C.opus_encoder_create(SampleRate, 1, C.OPUS_APPLICATION_VOIP, &cerr)
	if cerr != C.OPUS_OK {
		return nil, fmt.Errorf("create opus encoder: %w", opusError(cerr))
	}
	e := &Encoder{st: st}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = 32000
	}
	settings := []struct {
		req C.int
		v   int
	}{
		{C.OPUS_SET_SIGNAL_REQUEST, C.OPUS_SIGNAL_VOICE},
		{C.OPUS_SET_BITRATE_REQUEST, cfg.Bitrate},
		{C.OPUS_SET_INBAND_FEC_REQUEST, boolInt(cfg.FEC)},
		{C.OPUS_SET_DTX_REQUEST, boolInt(cfg.DTX)},
		{C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, cfg.ExpectedLossPc},
	}
	if cfg.Complexity > 0 {
		settings = append(settings, struct {
			req C.int
			v   int
		}{C.OPUS_SET_COMPLEXITY_REQUEST, cfg.Complexity})
	}
	for _, s := range settings {
		if err := e.setInt(s.req, s.v); err != nil {
			e.Close()
			return nil, fmt.Errorf("configure opus encoder: %w", err)
		}
	}
	return e, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *Encoder) setInt(req C.int, v int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return ErrClosed
	}
	if rc := C.sotto_enc_set_int(e.st, req, C.opus_int32(v)); rc != C.OPUS_OK {
		return opusError(rc)
	}
	return nil
}

// SetBitrate changes the target bitrate (bits per second) from the next frame on.
func (e *Encoder) SetBitrate(bps int) error {
	if err := e.setInt(C.OPUS_SET_BITRATE_REQUEST, bps); err != nil {
		return fmt.Errorf("set opus bitrate %d: %w", bps, err)
	}
	return nil
}

// SetExpectedLoss tells the encoder the packet loss it should protect against with FEC (percent).
func (e *Encoder) SetExpectedLoss(pc int) error {
	if err := e.setInt(C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, pc); err != nil {
		return fmt.Errorf("set opus expected loss %d%%: %w", pc, err)
	}
	return nil
}

// Encode compresses one frame (a multiple of 2.5 ms; usually FrameSamples) into dst and returns the
// packet. A packet of two bytes or less is a DTX frame: the receiver conceals it.
func (e *Encoder) Encode(pcm []int16, dst []byte) ([]byte, error) {
	if len(pcm) == 0 || len(dst) == 0 {
		return nil, errors.New("opus encode: empty buffer")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return nil, ErrClosed
	}
	n := C.opus_encode(e.st, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.opus_int32(len(dst)))
	if n < 0 {
		return nil, fmt.Errorf("opus encode: %w", opusError(C.int(n)))
	}
	return dst[:n], nil
}

// Close frees the encoder; later calls return ErrClosed.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil {
		C.opus_encoder_destroy(e.st)
		e.st = nil
	}
	return nil
}

// Decoder turns Opus packets back into 48 kHz mono PCM. Safe for concurrent use.
type Decoder struct {
	mu sync.Mutex
	st *C.OpusDecoder
}

// NewDecoder creates a mono 48 kHz decoder.
func NewDecoder() (*Decoder, error) {
	var cerr C.int
	st := C.opus_decoder_create(SampleRate, 1, &cerr)
	if cerr != C.OPUS_OK {
		return nil, fmt.Errorf("create opus decoder: %w", opusError(cerr))
	}
	return &Decoder{st: st}, nil
}

func (d *Decoder) decode(data []byte, pcm []int16, fec bool) (int, error) {
	if len(pcm) == 0 {
		return 0, errors.New("opus decode: empty output buffer")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return 0, ErrClosed
	}
	var in *C.uchar
	if len(data) > 0 {
		in = (*C.uchar)(unsafe.Pointer(&data[0]))
	}
	n := C.opus_decode(d.st, in, C.opus_int32(len(data)), (*C.opus_int16)(unsafe.Pointer(&pcm[0])),
		C.int(len(pcm)), C.int(boolInt(fec)))
	if n < 0 {
		return 0, opusError(C.int(n))
	}
	return int(n), nil
}

// Decode decodes one packet into pcm (which must hold the packet's duration, up to 120 ms) and
// returns the number of samples written.
func (d *Decoder) Decode(packet []byte, pcm []int16) (int, error) {
	if len(packet) == 0 {
		return 0, errors.New("opus decode: empty packet")
	}
	n, err := d.decode(packet, pcm, false)
	if err != nil {
		return 0, fmt.Errorf("opus decode: %w", err)
	}
	return n, nil
}

// Conceal writes len(pcm) samples of packet-loss concealment (also right for DTX gaps).
func (d *Decoder) Conceal(pcm []int16) (int, error) {
	n, err := d.decode(nil, pcm, false)
	if err != nil {
		return 0, fmt.Errorf("opus conceal: %w", err)
	}
	return n, nil
}

// DecodeFEC rebuilds the frame lost just before next from next's in-band FEC data; len(pcm) must be
// the lost frame's duration. When next carries no FEC the decoder falls back to concealment itself.
func (d *Decoder) DecodeFEC(next []byte, pcm []int16) (int, error) {
	if len(next) == 0 {
		return 0, errors.New("opus decode fec: empty packet")
	}
	n, err := d.decode(next, pcm, true)
	if err != nil {
		return 0, fmt.Errorf("opus decode fec: %w", err)
	}
	return n, nil
}

// Close frees the decoder; later calls return ErrClosed.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil {
		C.opus_decoder_destroy(d.st)
		d.st = nil
	}
	return nil
}

// PacketHasFEC reports whether an Opus packet carries in-band FEC data for the previous frame.
func PacketHasFEC(packet []byte) bool {
	if len(packet) == 0 {
		return false
	}
	return C.sotto_has_lbrr((*C.uchar)(unsafe.Pointer(&packet[0])), C.opus_int32(len(packet))) == 1
}
