package app

import (
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sotto-im/sotto/calls"
	"github.com/sotto-im/sotto/calls/media"
)

// echoRoom is a fake speaker and microphone in one room: what the speaker
// plays comes back into the microphone 60 ms later at half the amplitude.
type echoRoom struct {
	played []int16
	read   int
}

type roomSpeaker struct{ r *echoRoom }

func (s roomSpeaker) WriteAudio(f []int16) error { s.r.played = append(s.r.played, f...); return nil }
func (s roomSpeaker) Close() error               { return nil }

type roomMic struct{ r *echoRoom }

const echoDelay = 48000 * 60 / 1000

func (m roomMic) ReadAudio(f []int16) error {
	for i := range f {
		if j := m.r.read + i - echoDelay; j >= 0 && j < len(m.r.played) {
			f[i] = m.r.played[j] / 2
		} else {
			f[i] = 0
		}
	}
	m.r.read += len(f)
	return nil
}
func (m roomMic) Close() error { return nil }

func energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e / float64(len(x)+1)
}

// TestDeviceMediaCancelsEcho: frames a call plays through DeviceMedia's
// speaker and reads back through its microphone pass the shared echo
// canceller, so the far end does not hear itself.
func TestDeviceMediaCancelsEcho(t *testing.T) {
	room := &echoRoom{}
	d := NewDeviceMedia(slog.New(slog.DiscardHandler))
	d.openMic = func(string) (media.AudioSource, error) { return roomMic{room}, nil }
	d.openSpeaker = func(string) (media.AudioSink, error) { return roomSpeaker{room}, nil }
	info := calls.CallInfo{ID: calls.NewCallID()}
	mic, err := d.AudioSource(info)
	if err != nil {
		t.Fatal(err)
	}
	spk, err := d.AudioSink(info)
	if err != nil {
		t.Fatal(err)
	}
	// Far-end "speech": noise bursts with pauses, 6 s.
	rng := rand.New(rand.NewPCG(1, 2))
	far, near := make([]int16, 960), make([]int16, 960)
	var in, out float64
	for n := 0; n < 300; n++ {
		loud := (n/25)%2 == 0
		for i := range far {
			far[i] = 0
			if loud {
				far[i] = int16(rng.NormFloat64() * 4000 * math.Sin(float64(n*960+i)/300))
			}
		}
		if err := spk.WriteAudio(far); err != nil {
			t.Fatal(err)
		}
		raw := roomMic{&echoRoom{played: room.played, read: room.read}}
		rawFrame := make([]int16, 960)
		_ = raw.ReadAudio(rawFrame)
		if err := mic.ReadAudio(near); err != nil {
			t.Fatal(err)
		}
		if n >= 150 { // from 3 s on
			in += energy(rawFrame)
			out += energy(near)
		}
	}
	erle := 10 * math.Log10(in/(out+1))
	t.Logf("ERLE through DeviceMedia = %.1f dB", erle)
	if erle < 15 {
		t.Fatalf("echo through DeviceMedia reduced by %.1f dB only: the processor is not in the path", erle)
	}
	mic.Close()
	if len(d.audio) != 1 {
		t.Fatal("the processor went away while the speaker still plays")
	}
	spk.Close()
	if len(d.audio) != 0 {
		t.Fatal("the processor outlived the call's audio")
	}
}

// TestDeviceMediaWithoutDevices: no microphone or camera is a silent
// direction, not a failed call; other errors still fail.
func TestDeviceMediaWithoutDevices(t *testing.T) {
	d := NewDeviceMedia(slog.New(slog.DiscardHandler))
	d.openMic = func(string) (media.AudioSource, error) { return nil, media.ErrNoDevice }
	d.openCamera = func(string, int, int) (media.VideoSource, error) { return nil, media.ErrDevicesUnavailable }
	d.openSpeaker = func(string) (media.AudioSink, error) { return nil, errors.New("device busy") }
	info := calls.CallInfo{ID: calls.NewCallID()}
	if src, err := d.AudioSource(info); src != nil || err != nil {
		t.Fatalf("no microphone: %v %v", src, err)
	}
	if src, err := d.VideoSource(info); src != nil || err != nil {
		t.Fatalf("no camera: %v %v", src, err)
	}
	if _, err := d.AudioSink(info); err == nil {
		t.Fatal("a busy speaker was ignored")
	}
	if err := d.Select(media.DeviceAudioInput, "hw:1"); err != nil || d.mic != "hw:1" {
		t.Fatalf("select: %v %q", err, d.mic)
	}
	if err := d.Select(media.DeviceUnknown, "x"); err == nil {
		t.Fatal("selected a device of no kind")
	}
}
