package media

import (
	"errors"
	"testing"
	"time"
)

// No sound card or camera exists on the test machines: opening a device must fail quickly with
// ErrNoDevice (or ErrDevicesUnavailable without the devices tag), never hang.
func TestDevicesMissingFailFast(t *testing.T) {
	start := time.Now()
	devs, err := ListDevices()
	if err != nil && !errors.Is(err, ErrDevicesUnavailable) {
		t.Fatalf("ListDevices: %v", err)
	}
	t.Logf("devices: %v (err %v)", devs, err)
	want := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Skipf("%s exists on this machine", what)
		}
		if !errors.Is(err, ErrNoDevice) && !errors.Is(err, ErrDevicesUnavailable) {
			t.Fatalf("%s: %v, want ErrNoDevice or ErrDevicesUnavailable", what, err)
		}
	}
	_, err = NewDeviceVideoSource("", 640, 480)
	want("camera", err)
	_, err = NewDeviceVideoSource("no-such-camera", 640, 480)
	want("named camera", err)
	for _, id := range []string{"", "no-such-mic"} {
		src, err := NewDeviceAudioSource(id)
		if err == nil {
			src.Close()
		}
		want("microphone "+id, err)
		sink, err := NewDeviceAudioSink(id)
		if err == nil {
			sink.Close()
		}
		want("speaker "+id, err)
	}
	src, err := NewDeviceAudioSource("no-such-mic")
	if err == nil {
		src.Close()
	}
	want("named microphone", err)
	sink, err := NewDeviceAudioSink("no-such-speaker")
	if err == nil {
		sink.Close()
	}
	want("named speaker", err)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("device probing took %v", d)
	}
}
