package app

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/sotto-im/sotto/calls"
	"github.com/sotto-im/sotto/calls/audioproc"
	"github.com/sotto-im/sotto/calls/media"
)

// DeviceMedia is what calls capture and play on a real computer: the
// microphone, speaker and camera chosen in the call screen (the system
// default until then), with echo cancellation, noise suppression and gain
// control between the speaker and the microphone (calls/audioproc). A
// missing device leaves that direction silent instead of failing the call.
type DeviceMedia struct {
	log *slog.Logger

	mu                    sync.Mutex
	mic, speaker, camera  string // device ids; "" is the system default
	audio                 map[calls.CallID]*callAudio
	list                  func() ([]media.Device, error)
	openMic               func(id string) (media.AudioSource, error)
	openSpeaker           func(id string) (media.AudioSink, error)
	openCamera            func(id string, w, h int) (media.VideoSource, error)
	cameraWidth, cameraHt int
}

var _ calls.MediaFactory = (*DeviceMedia)(nil)

// NewDeviceMedia uses the system's devices through calls/media.
func NewDeviceMedia(log *slog.Logger) *DeviceMedia {
	return &DeviceMedia{log: log, audio: map[calls.CallID]*callAudio{},
		list: media.ListDevices, openMic: media.NewDeviceAudioSource, openSpeaker: media.NewDeviceAudioSink,
		openCamera: media.NewDeviceVideoSource, cameraWidth: 1280, cameraHt: 720}
}

// callAudio is one call's audio processor, shared by its microphone (which
// it cleans) and its speaker (whose sound is the echo reference). It lives
// while either is open.
type callAudio struct {
	proc *audioproc.Processor
	refs int
}

// processor returns call's processor, making it on first use.
func (d *DeviceMedia) processor(call calls.CallID) (*audioproc.Processor, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a := d.audio[call]; a != nil {
		a.refs++
		return a.proc, nil
	}
	p, err := audioproc.New(audioproc.Config{})
	if err != nil {
		return nil, fmt.Errorf("audio processing: %w", err)
	}
	d.audio[call] = &callAudio{proc: p, refs: 1}
	return p, nil
}

func (d *DeviceMedia) release(call calls.CallID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.audio[call]
	if a == nil {
		return
	}
	if a.refs--; a.refs == 0 {
		a.proc.Close()
		delete(d.audio, call)
	}
}

// missing turns "no such device" into a silent direction (with a log line).
func (d *DeviceMedia) missing(what string, err error) error {
	if errors.Is(err, media.ErrNoDevice) || errors.Is(err, media.ErrDevicesUnavailable) {
		d.log.Warn("call without a "+what, "err", err.Error())
		return nil
	}
	return fmt.Errorf("open the %s: %w", what, err)
}

// AudioSource opens the chosen microphone behind the call's processor.
func (d *DeviceMedia) AudioSource(c calls.CallInfo) (media.AudioSource, error) {
	d.mu.Lock()
	id := d.mic
	d.mu.Unlock()
	src, err := d.openMic(id)
	if err != nil {
		return nil, d.missing("microphone", err)
	}
	p, err := d.processor(c.ID)
	if err != nil {
		src.Close()
		return nil, err
	}
	return &processedMic{src: src, proc: p, done: func() { d.release(c.ID) }}, nil
}

// AudioSink opens the chosen speaker; what it plays feeds the echo
// canceller.
func (d *DeviceMedia) AudioSink(c calls.CallInfo) (media.AudioSink, error) {
	d.mu.Lock()
	id := d.speaker
	d.mu.Unlock()
	sink, err := d.openSpeaker(id)
	if err != nil {
		return nil, d.missing("speaker", err)
	}
	p, err := d.processor(c.ID)
	if err != nil {
		sink.Close()
		return nil, err
	}
	return &processedSpeaker{sink: sink, proc: p, done: func() { d.release(c.ID) }}, nil
}

// VideoSource opens the chosen camera.
func (d *DeviceMedia) VideoSource(calls.CallInfo) (media.VideoSource, error) {
	d.mu.Lock()
	id, w, h := d.camera, d.cameraWidth, d.cameraHt
	d.mu.Unlock()
	src, err := d.openCamera(id, w, h)
	if err != nil {
		return nil, d.missing("camera", err)
	}
	return src, nil
}

// VideoSink: the window shows video (WindowMedia); devices add nothing.
func (d *DeviceMedia) VideoSink(calls.CallInfo) (media.VideoSink, error) { return nil, nil }

// Devices lists the microphones, speakers and cameras.
func (d *DeviceMedia) Devices() ([]media.Device, error) {
	list, err := d.list()
	if errors.Is(err, media.ErrDevicesUnavailable) {
		return nil, nil
	}
	return list, err
}

// Select makes id the device of its kind for the next calls (and for the
// current one once it reopens its media).
func (d *DeviceMedia) Select(kind media.DeviceKind, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch kind {
	case media.DeviceAudioInput:
		d.mic = id
	case media.DeviceAudioOutput:
		d.speaker = id
	case media.DeviceVideoInput:
		d.camera = id
	default:
		return fmt.Errorf("unknown device kind %v", kind)
	}
	return nil
}

// processedMic cleans every microphone frame (echo, noise, level).
type processedMic struct {
	src  media.AudioSource
	proc *audioproc.Processor
	once sync.Once
	done func()
}

func (m *processedMic) ReadAudio(frame []int16) error {
	if err := m.src.ReadAudio(frame); err != nil {
		return err
	}
	m.proc.Capture(frame)
	return nil
}

func (m *processedMic) Close() error {
	err := m.src.Close()
	m.once.Do(m.done)
	return err
}

// processedSpeaker tells the processor what goes to the speaker.
type processedSpeaker struct {
	sink media.AudioSink
	proc *audioproc.Processor
	once sync.Once
	done func()
}

func (s *processedSpeaker) WriteAudio(frame []int16) error {
	s.proc.Playout(frame)
	return s.sink.WriteAudio(frame)
}

func (s *processedSpeaker) Close() error {
	err := s.sink.Close()
	s.once.Do(s.done)
	return err
}
