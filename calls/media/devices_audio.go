//go:build !nodevices

package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/gen2brain/malgo"
)

// Audio devices go through miniaudio (malgo) directly rather than mediadevices' microphone driver:
// that driver panics in its init when no audio backend answers and has no playback side.

// deviceTimeout bounds every wait on a device, so a missing or stuck device is an error, not a hang.
const deviceTimeout = 2 * time.Second

// audioBackends lists the real backends per system; miniaudio's null backend is left out so that "no
// sound card" is ErrNoDevice instead of a silent fake device.
func audioBackends() []malgo.Backend {
	switch runtime.GOOS {
	case "windows":
		return []malgo.Backend{malgo.BackendWasapi, malgo.BackendDsound, malgo.BackendWinmm}
	case "darwin":
		return []malgo.Backend{malgo.BackendCoreaudio}
	default:
		return []malgo.Backend{malgo.BackendPulseaudio, malgo.BackendAlsa, malgo.BackendJack}
	}
}

func newAudioContext() (*malgo.AllocatedContext, error) {
	ctx, err := malgo.InitContext(audioBackends(), malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: no audio backend: %v", ErrNoDevice, err)
	}
	return ctx, nil
}

func freeAudioContext(ctx *malgo.AllocatedContext) {
	_ = ctx.Uninit()
	ctx.Free()
}

// listAudio lists real devices: ALSA's "null" PCM (which swallows playback and captures zeros, and
// is all a machine without a sound card offers) is left out.
func listAudio(ctx *malgo.AllocatedContext, kind malgo.DeviceType) ([]malgo.DeviceInfo, error) {
	infos, err := ctx.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("list audio devices: %w", err)
	}
	found := infos[:0]
	for _, info := range infos {
		if info.ID.String() != alsaNullID {
			found = append(found, info)
		}
	}
	return found, nil
}

// alsaNullID is miniaudio's device ID for ALSA's "null" PCM, hex encoded.
const alsaNullID = "6e756c6c"

func listAudioDevices() ([]Device, error) {
	ctx, err := newAudioContext()
	if err != nil {
		return nil, nil // no backend: no audio devices
	}
	defer freeAudioContext(ctx)
	var out []Device
	for _, k := range []struct {
		mk   malgo.DeviceType
		kind DeviceKind
	}{{malgo.Capture, DeviceAudioInput}, {malgo.Playback, DeviceAudioOutput}} {
		infos, err := listAudio(ctx, k.mk)
		if err != nil {
			return nil, err
		}
		for _, info := range infos {
			out = append(out, Device{ID: info.ID.String(), Label: info.Name(), Kind: k.kind, Default: info.IsDefault != 0})
		}
	}
	return out, nil
}

// pcmDevice is an open miniaudio device plus the sample queue between its callback and us.
type pcmDevice struct {
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []int16
	limit  int
	closed bool
}

func openPCMDevice(id string, kind malgo.DeviceType) (*pcmDevice, error) {
	ctx, err := newAudioContext()
	if err != nil {
		return nil, err
	}
	infos, err := listAudio(ctx, kind)
	if err != nil {
		freeAudioContext(ctx)
		return nil, err
	}
	var chosen *malgo.DeviceInfo
	for i := range infos {
		if (id == "" && (infos[i].IsDefault != 0 || chosen == nil)) || infos[i].ID.String() == id {
			chosen = &infos[i]
		}
	}
	if chosen == nil {
		freeAudioContext(ctx)
		if id == "" {
			return nil, fmt.Errorf("%w: no audio device", ErrNoDevice)
		}
		return nil, fmt.Errorf("%w: audio device %q", ErrNoDevice, id)
	}
	p := &pcmDevice{ctx: ctx, limit: SampleRate / 2}
	p.cond = sync.NewCond(&p.mu)
	cfg := malgo.DefaultDeviceConfig(kind)
	cfg.SampleRate = SampleRate
	cfg.PeriodSizeInMilliseconds = 10
	sub := malgo.SubConfig{Format: malgo.FormatS16, Channels: 1, DeviceID: chosen.ID.Pointer()}
	if kind == malgo.Capture {
		cfg.Capture = sub
	} else {
		cfg.Playback = sub
	}
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: p.data})
	if err != nil {
		freeAudioContext(ctx)
		return nil, fmt.Errorf("open audio device %q: %w", chosen.Name(), err)
	}
	p.dev = dev
	if err := dev.Start(); err != nil {
		p.close()
		return nil, fmt.Errorf("start audio device %q: %w", chosen.Name(), err)
	}
	return p, nil
}

// data is miniaudio's callback: capture appends to the queue, playback drains it (silence when empty).
func (p *pcmDevice) data(out, in []byte, frames uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i+1 < len(in); i += 2 {
		p.queue = append(p.queue, int16(binary.LittleEndian.Uint16(in[i:])))
	}
	if over := len(p.queue) - p.limit; over > 0 {
		p.queue = p.queue[over:]
	}
	n := 0
	for ; n < len(out)/2 && n < len(p.queue); n++ {
		binary.LittleEndian.PutUint16(out[2*n:], uint16(p.queue[n]))
	}
	clear(out[2*n:])
	p.queue = p.queue[n:]
	p.cond.Broadcast()
}

func (p *pcmDevice) close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	if p.dev != nil {
		p.dev.Uninit()
	}
	freeAudioContext(p.ctx)
	return nil
}

// DeviceAudioSource captures 48 kHz mono from a microphone.
type DeviceAudioSource struct{ p *pcmDevice }

// NewDeviceAudioSource opens the microphone with the given ID ("" for the default).
func NewDeviceAudioSource(id string) (AudioSource, error) {
	p, err := openPCMDevice(id, malgo.Capture)
	if err != nil {
		return nil, err
	}
	return &DeviceAudioSource{p: p}, nil
}

var errDeviceSilent = errors.New("audio device delivered no samples")

// ReadAudio waits (at most deviceTimeout) for len(frame) captured samples.
func (s *DeviceAudioSource) ReadAudio(frame []int16) error {
	p := s.p
	deadline := time.Now().Add(deviceTimeout)
	timer := time.AfterFunc(deviceTimeout, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	defer timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) < len(frame) && !p.closed {
		if time.Now().After(deadline) {
			return fmt.Errorf("microphone: %w within %v", errDeviceSilent, deviceTimeout)
		}
		p.cond.Wait()
	}
	if p.closed {
		return ErrStopped
	}
	copy(frame, p.queue)
	p.queue = p.queue[len(frame):]
	return nil
}

// Close stops capturing.
func (s *DeviceAudioSource) Close() error { return s.p.close() }

// DeviceAudioSink plays 48 kHz mono on a speaker, keeping at most half a second queued.
type DeviceAudioSink struct{ p *pcmDevice }

// NewDeviceAudioSink opens the speaker with the given ID ("" for the default).
func NewDeviceAudioSink(id string) (AudioSink, error) {
	p, err := openPCMDevice(id, malgo.Playback)
	if err != nil {
		return nil, err
	}
	return &DeviceAudioSink{p: p}, nil
}

// WriteAudio queues one frame for playback.
func (s *DeviceAudioSink) WriteAudio(frame []int16) error {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrStopped
	}
	p.queue = append(p.queue, frame...)
	if over := len(p.queue) - p.limit; over > 0 {
		p.queue = p.queue[over:]
	}
	return nil
}

// Close stops playback.
func (s *DeviceAudioSink) Close() error { return s.p.close() }
