package media

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// sizeSink records the sizes of decoded frames and passes them to a FrameCounterSink.
type sizeSink struct {
	*FrameCounterSink
	mu    sync.Mutex
	sizes []string
}

func (s *sizeSink) WriteVideo(f *VideoFrame) error {
	size := fmt.Sprintf("%dx%d", f.Width, f.Height)
	s.mu.Lock()
	if len(s.sizes) == 0 || s.sizes[len(s.sizes)-1] != size {
		s.sizes = append(s.sizes, size)
	}
	s.mu.Unlock()
	return s.FrameCounterSink.WriteVideo(f)
}

// The controls bandwidth estimation and the call screen use, over real peers: resolution steps,
// bitrate changes, camera off and on, and a camera switch mid-call.
func TestVideoSenderControls(t *testing.T) {
	offerer, answerer := newPeer(t, nil), newPeer(t, nil)
	track := addSendTrack(t, offerer, VP8Capability, "video", nil)
	tracks := onRemoteTrack(answerer)
	connect(t, offerer, answerer)

	first, err := NewTestPatternSource(640, 360, 30, 0)
	if err != nil {
		t.Fatal(err)
	}
	sink := &sizeSink{FrameCounterSink: NewFrameCounterSink(first.Clock())}
	ctx := context.Background()
	sender, err := StartVideoSender(ctx, track, first, VideoConfig{Bitrate: 600_000})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Stop()
	remote := waitTrack(t, tracks)
	recv, err := StartVideoReceiver(ctx, remote, sink, func() { _ = SendPLI(answerer, remote) })
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Stop()

	waitFrames := func(what string, n int) {
		t.Helper()
		start := recv.Stats().FramesDecoded
		deadline := time.Now().Add(10 * time.Second)
		for recv.Stats().FramesDecoded < start+uint64(n) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no frames decoded", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFrames("640x360", 5)
	sender.SetMaxResolution(320, 180)
	if err := sender.SetBitrate(250_000); err != nil {
		t.Fatal(err)
	}
	waitFrames("320x180", 8)
	sender.SetMaxResolution(160, 90)
	waitFrames("160x90", 8)

	sender.SetEnabled(false)
	time.Sleep(100 * time.Millisecond)
	paused := recv.Stats().FramesDecoded
	time.Sleep(200 * time.Millisecond)
	if got := recv.Stats().FramesDecoded; got > paused+1 {
		t.Fatalf("%d frames decoded while the camera was off", got-paused)
	}
	sender.SetEnabled(true)
	waitFrames("camera back on", 5)

	// Switching cameras: the new source's numbers start again at 0 and must arrive.
	second, err := NewTestPatternSource(320, 240, 30, 0)
	if err != nil {
		t.Fatal(err)
	}
	sink2 := &sizeSink{FrameCounterSink: NewFrameCounterSink(second.Clock())}
	if err := recv.SetSink(sink2); err != nil {
		t.Fatal(err)
	}
	if err := sender.SetSource(second); err != nil {
		t.Fatal(err)
	}
	waitFrames("second camera", 8)
	sink.mu.Lock()
	sink2.mu.Lock()
	sizes := append(append([]string(nil), sink.sizes...), sink2.sizes...)
	sink2.mu.Unlock()
	sink.mu.Unlock()
	t.Logf("decoded sizes in order: %v; keyframes sent %d; receiver %+v", sizes, sender.Stats().Keyframes, recv.Stats())
	want := []string{"640x360", "320x180", "160x90", "120x90"} // the 4:3 camera under the 160x90 cap
	for _, w := range want {
		found := false
		for _, s := range sizes {
			found = found || s == w
		}
		if !found {
			t.Fatalf("never decoded %s; sizes %v", w, sizes)
		}
	}
	if c := sink2.Counts(); c.Distinct < 5 || c.Unreadable > 0 {
		t.Fatalf("second camera: %+v", c)
	}
}
