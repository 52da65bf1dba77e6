package vp8

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
} sotto_enc;

static vpx_codec_err_t sotto_enc_init(sotto_enc *e, unsigned w, unsigned h, unsigned kbps, int threads) {
	vpx_codec_err_t rc = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0);
	if (rc != VPX_CODEC_OK) return rc;
	e->cfg.g_w = w;
	e->cfg.g_h = h;
	e->cfg.g_timebase.num = 1;
	e->cfg.g_timebase.den = 1000;
	e->cfg.g_threads = threads;
	e->cfg.g_lag_in_frames = 0;
	e->cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	e->cfg.rc_end_usage = VPX_CBR;
	e->cfg.rc_target_bitrate = kbps;
	e->cfg.rc_min_quantizer = 2;
	e->cfg.rc_max_quantizer = 56;
	e->cfg.rc_undershoot_pct = 100;
	e->cfg.rc_overshoot_pct = 15;
	e->cfg.rc_buf_initial_sz = 500;
	e->cfg.rc_buf_optimal_sz = 600;
	e->cfg.rc_buf_sz = 1000;
	e->cfg.rc_dropframe_thresh = 0;
	e->cfg.rc_resize_allowed = 0;
	e->cfg.kf_mode = VPX_KF_DISABLED;
	rc = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0);
	if (rc != VPX_CODEC_OK) return rc;
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -6);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 900); // maxIntraPct
	vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, w, h, 1, (unsigned char*)1);
	return VPX_CODEC_OK;
}

static vpx_codec_err_t sotto_enc_set_max_intra(sotto_enc *e, unsigned pct) {
	return vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, pct);
}

static vpx_codec_err_t sotto_enc_set_bitrate(sotto_enc *e, unsigned kbps) {
	e->cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg);
}

// Encodes one frame and copies the compressed data into out; *n gets its size (or the size needed,
// when out is too small), *key whether it is a keyframe.
static vpx_codec_err_t sotto_enc_encode(sotto_enc *e, unsigned char *y, unsigned char *u, unsigned char *v,
		int ys, int uvs, long long pts, unsigned long dur, int force_key,
		unsigned char *out, size_t cap, size_t *n, int *key) {
	e->img.planes[0] = y; e->img.planes[1] = u; e->img.planes[2] = v;
	e->img.stride[0] = ys; e->img.stride[1] = uvs; e->img.stride[2] = uvs;
	vpx_codec_err_t rc = vpx_codec_encode(&e->ctx, &e->img, pts, dur, force_key ? VPX_EFLAG_FORCE_KF : 0,
		VPX_DL_REALTIME);
	e->img.planes[0] = e->img.planes[1] = e->img.planes[2] = 0;
	*n = 0; *key = 0;
	if (rc != VPX_CODEC_OK) return rc;
	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if (*n + pkt->data.frame.sz <= cap) memcpy(out + *n, pkt->data.frame.buf, pkt->data.frame.sz);
		*n += pkt->data.frame.sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *key = 1;
	}
	return VPX_CODEC_OK;
}

static vpx_codec_err_t sotto_dec_init(vpx_codec_ctx_t *ctx) {
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = 1;
	return vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), &cfg, 0);
}

static vpx_image_t *sotto_dec_decode(vpx_codec_ctx_t *ctx, const unsigned char *data, unsigned n,
		vpx_codec_err_t *rc) {
	*rc = vpx_codec_decode(ctx, data, n, NULL, 0);
	if (*rc != VPX_CODEC_OK) return NULL;
	vpx_codec_iter_t iter = NULL;
	vpx_image_t *img = vpx_codec_get_frame(ctx, &iter);
	while (vpx_codec_get_frame(ctx, &iter) != NULL) {}
	return img;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"
)

// ErrClosed is returned by an encoder or decoder used after Close.
var ErrClosed = errors.New("vp8: closed")

// Image is one I420 picture; U and V are (Width+1)/2 × (Height+1)/2, strides equal to widths.
type Image struct {
	Width, Height int
	Y, U, V       []byte
}

func (im *Image) check() error {
	if im.Width <= 0 || im.Height <= 0 || im.Width > 8192 || im.Height > 8192 {
		return fmt.Errorf("bad image size %dx%d", im.Width, im.Height)
	}
	cw, ch := (im.Width+1)/2, (im.Height+1)/2
	if len(im.Y) < im.Width*im.Height || len(im.U) < cw*ch || len(im.V) < cw*ch {
		return fmt.Errorf("image planes too small for %dx%d", im.Width, im.Height)
	}
	return nil
}

func vpxError(ctx *C.vpx_codec_ctx_t, rc C.vpx_codec_err_t) error {
	msg := C.GoString(C.vpx_codec_err_to_string(rc))
	if ctx != nil {
		if detail := C.vpx_codec_error_detail(ctx); detail != nil {
			msg += ": " + C.GoString(detail)
		}
	}
	return fmt.Errorf("libvpx: %s", msg)
}

// Encoder compresses I420 frames to VP8. Safe for concurrent use: SetBitrate and ForceKeyframe may be
// called while another goroutine encodes.
type Encoder struct {
	mu       sync.Mutex
	st       *C.sotto_enc
	w, h     int
	kbps     int
	threads  int
	forceKey bool
	smallKey bool // the forced keyframe is bounded by smallKeyframePct
	start    time.Time
	lastPTS  int64
	out      []byte
}

// NewEncoder creates an encoder with a target bitrate in bits per second. The first frame sets the
// resolution; a frame of another size restarts the encoder with a keyframe.
func NewEncoder(bps int) (*Encoder, error) {
	if bps <= 0 {
		return nil, fmt.Errorf("vp8 encoder: bitrate %d", bps)
	}
	return &Encoder{kbps: max(bps/1000, 1), forceKey: true, out: make([]byte, 256<<10)}, nil
}

func (e *Encoder) open(w, h int) error {
	e.free()
	e.threads = 1
	if w*h >= 1280*720 {
		e.threads = 2
	}
	st := (*C.sotto_enc)(C.calloc(1, C.size_t(unsafe.Sizeof(C.sotto_enc{}))))
	if rc := C.sotto_enc_init(st, C.uint(w), C.uint(h), C.uint(e.kbps), C.int(e.threads)); rc != C.VPX_CODEC_OK {
		C.free(unsafe.Pointer(st))
		return fmt.Errorf("vp8 encoder init %dx%d: %w", w, h, vpxError(nil, rc))
	}
	e.st, e.w, e.h, e.forceKey = st, w, h, true
	return nil
}

func (e *Encoder) free() {
	if e.st != nil {
		C.vpx_codec_destroy(&e.st.ctx)
		C.free(unsafe.Pointer(e.st))
		e.st = nil
	}
}

// SetBitrate changes the target bitrate (bits per second) from the next frame on.
func (e *Encoder) SetBitrate(bps int) error {
	if bps <= 0 {
		return fmt.Errorf("vp8 set bitrate: %d", bps)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.out == nil {
		return ErrClosed
	}
	e.kbps = max(bps/1000, 1)
	if e.st == nil {
		return nil
	}
	if rc := C.sotto_enc_set_bitrate(e.st, C.uint(e.kbps)); rc != C.VPX_CODEC_OK {
		return fmt.Errorf("vp8 set bitrate %d: %w", bps, vpxError(&e.st.ctx, rc))
	}
	return nil
}

// ForceKeyframe makes the next encoded frame a keyframe.
func (e *Encoder) ForceKeyframe() {
	e.mu.Lock()
	e.forceKey = true
	e.mu.Unlock()
}

// Keyframe size bounds, as a percentage of the average frame's share of the bitrate.
const (
	maxIntraPct      = 900 // libwebrtc's bound for camera video at 30 fps (a 600 ms buffer)
	smallKeyframePct = 300 // ForceSmallKeyframe's
)

// ForceSmallKeyframe makes the next encoded frame a keyframe of at most smallKeyframePct of a
// frame's share: coarser, but through a slow link three times sooner (after a congestion cut).
func (e *Encoder) ForceSmallKeyframe() {
	e.mu.Lock()
	e.forceKey, e.smallKey = true, true
	e.mu.Unlock()
}

// Encode compresses one frame captured at t. The returned slice is valid until the next call. A nil
// slice with no error means the encoder dropped the frame.
func (e *Encoder) Encode(im *Image, t time.Time) (frame []byte, keyframe bool, err error) {
	if err := im.check(); err != nil {
		return nil, false, fmt.Errorf("vp8 encode: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.out == nil {
		return nil, false, ErrClosed
	}
	if e.st == nil || im.Width != e.w || im.Height != e.h {
		if err := e.open(im.Width, im.Height); err != nil {
			return nil, false, err
		}
	}
	if e.start.IsZero() {
		e.start = t
	}
	pts := t.Sub(e.start).Milliseconds()
	if pts <= e.lastPTS {
		pts = e.lastPTS + 1
	}
	dur := pts - e.lastPTS
	e.lastPTS = pts
	if e.smallKey {
		C.sotto_enc_set_max_intra(e.st, smallKeyframePct)
		defer func() { C.sotto_enc_set_max_intra(e.st, maxIntraPct) }()
		e.smallKey = false
	}
	var n C.size_t
	var key C.int
	for {
		rc := C.sotto_enc_encode(e.st, (*C.uchar)(&im.Y[0]), (*C.uchar)(&im.U[0]), (*C.uchar)(&im.V[0]),
			C.int(im.Width), C.int((im.Width+1)/2), C.longlong(pts), C.ulong(dur), C.int(boolInt(e.forceKey)),
			(*C.uchar)(&e.out[0]), C.size_t(len(e.out)), &n, &key)
		if rc != C.VPX_CODEC_OK {
			return nil, false, fmt.Errorf("vp8 encode: %w", vpxError(&e.st.ctx, rc))
		}
		if int(n) <= len(e.out) {
			break
		}
		// The frame was larger than the buffer: grow it and encode a keyframe, since the lost
		// output already advanced the encoder's references.
		e.out = make([]byte, int(n)*2)
		e.forceKey = true
	}
	e.forceKey = false
	if n == 0 {
		return nil, false, nil
	}
	return e.out[:n], key == 1, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Close frees the encoder; later calls return ErrClosed.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.free()
	e.out = nil
	return nil
}

// Decoder decompresses VP8 frames. Not safe for concurrent use.
type Decoder struct {
	ctx *C.vpx_codec_ctx_t
}

// NewDecoder creates a decoder.
func NewDecoder() (*Decoder, error) {
	ctx := (*C.vpx_codec_ctx_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.vpx_codec_ctx_t{}))))
	if rc := C.sotto_dec_init(ctx); rc != C.VPX_CODEC_OK {
		C.free(unsafe.Pointer(ctx))
		return nil, fmt.Errorf("vp8 decoder init: %w", vpxError(nil, rc))
	}
	return &Decoder{ctx: ctx}, nil
}

// ErrNoPicture means the frame decoded but produced no picture (for example a frame that is not shown).
var ErrNoPicture = errors.New("vp8: no picture")

// Decode decompresses one frame into a new Image.
func (d *Decoder) Decode(frame []byte) (*Image, error) {
	if d.ctx == nil {
		return nil, ErrClosed
	}
	if len(frame) == 0 {
		return nil, errors.New("vp8 decode: empty frame")
	}
	var rc C.vpx_codec_err_t
	img := C.sotto_dec_decode(d.ctx, (*C.uchar)(&frame[0]), C.uint(len(frame)), &rc)
	if rc != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("vp8 decode: %w", vpxError(d.ctx, rc))
	}
	if img == nil {
		return nil, ErrNoPicture
	}
	w, h := int(img.d_w), int(img.d_h)
	cw, ch := (w+1)/2, (h+1)/2
	out := &Image{Width: w, Height: h, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	copyPlane(out.Y, w, h, img.planes[0], int(img.stride[0]))
	copyPlane(out.U, cw, ch, img.planes[1], int(img.stride[1]))
	copyPlane(out.V, cw, ch, img.planes[2], int(img.stride[2]))
	return out, nil
}

func copyPlane(dst []byte, w, h int, src *C.uchar, stride int) {
	s := unsafe.Slice((*byte)(unsafe.Pointer(src)), stride*(h-1)+w)
	for r := 0; r < h; r++ {
		copy(dst[r*w:(r+1)*w], s[r*stride:r*stride+w])
	}
}

// Close frees the decoder.
func (d *Decoder) Close() error {
	if d.ctx != nil {
		C.vpx_codec_destroy(d.ctx)
		C.free(unsafe.Pointer(d.ctx))
		d.ctx = nil
	}
	return nil
}
