package media

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

type videoCallResult struct {
	counts  FrameCounts
	sent    int
	stats   ReceiverStats
	sender  SenderStats
	dropped uint64
}

// runVideoCall sends frames of a w × h test pattern at fps from one pion peer to another, decodes
// them into a FrameCounterSink and reports what arrived.
func runVideoCall(t testing.TB, w, h, fps, frames int, loss *lossyFactory) videoCallResult {
	return runVideoCallWith(t, w, h, fps, frames, loss, false)
}

// runVideoCallWith can receive through pion's samplebuilder instead of our jitter buffer (the
// baseline the benchmark compares against).
func runVideoCallWith(t testing.TB, w, h, fps, frames int, loss *lossyFactory, samplebuilder bool) videoCallResult {
	t.Helper()
	offerer, answerer := newPeer(t, loss), newPeer(t, nil)
	var vs atomic.Pointer[VideoSender]
	onKey := func() {
		if s := vs.Load(); s != nil {
			s.RequestKeyframe()
		}
	}
	track := addSendTrack(t, offerer, VP8Capability, "video", &onKey)
	tracks := onRemoteTrack(answerer)
	connect(t, offerer, answerer)

	src, err := NewTestPatternSource(w, h, fps, frames)
	if err != nil {
		t.Fatal(err)
	}
	sink := NewFrameCounterSink(src.Clock())
	ctx := context.Background()
	sender, err := StartVideoSender(ctx, track, src, VideoConfig{Bitrate: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	vs.Store(sender)
	remote := waitTrack(t, tracks)
	var stopRecv func() (ReceiverStats, error)
	if samplebuilder {
		stopRecv = startSampleBuilderReceiver(t, remote, sink)
	} else {
		recv, err := StartVideoReceiver(ctx, remote, sink, func() { _ = SendPLI(answerer, remote) })
		if err != nil {
			t.Fatal(err)
		}
		stopRecv = func() (ReceiverStats, error) { err := recv.Stop(); return recv.Stats(), err }
	}
	select {
	case <-sender.SourceEnded():
	case <-time.After(time.Duration(frames)*time.Second/time.Duration(fps) + 20*time.Second):
		t.Fatal("pattern source did not end")
	}
	time.Sleep(300 * time.Millisecond)
	if err := sender.Stop(); err != nil {
		t.Fatal(err)
	}
	stats, err := stopRecv()
	if err != nil {
		t.Fatal(err)
	}
	res := videoCallResult{counts: sink.Counts(), sent: src.Clock().Count(), stats: stats, sender: sender.Stats()}
	if loss != nil {
		res.dropped = loss.dropped.Load()
	}
	return res
}

func TestVideoCallFramesArriveNumbered(t *testing.T) {
	r := runVideoCall(t, 640, 480, 30, 90, nil)
	pc := 100 * float64(r.counts.Distinct) / float64(r.sent)
	t.Logf("video 640x480@30 over pion loopback: %d/%d frames decoded with correct numbers (%.1f%%), unreadable %d; "+
		"capture→decoded p50=%v p95=%v max=%v; keyframes sent %d, bytes %d; receiver %+v",
		r.counts.Distinct, r.sent, pc, r.counts.Unreadable, r.counts.P50, r.counts.P95, r.counts.Max,
		r.sender.Keyframes, r.sender.Bytes, r.stats)
	if pc < 95 {
		t.Fatalf("only %.1f%% of frames decoded with the right number", pc)
	}
	if r.counts.Unreadable > 0 {
		t.Fatalf("%d decoded frames carried a wrong number", r.counts.Unreadable)
	}
}

func TestVideoCallUnderLossRecovers(t *testing.T) {
	loss := &lossyFactory{mime: "video/", rate: 0.10}
	r := runVideoCall(t, 320, 240, 30, 60, loss)
	pc := 100 * float64(r.counts.Distinct) / float64(r.sent)
	t.Logf("video 320x240@30, 10%% of packets dropped (%d): %d/%d frames decoded (%.1f%%), p50=%v p95=%v; "+
		"keyframe requests %d, keyframes sent %d; receiver %+v",
		r.dropped, r.counts.Distinct, r.sent, pc, r.counts.P50, r.counts.P95, r.stats.KeyframeRequests, r.sender.Keyframes, r.stats)
	if r.dropped == 0 {
		t.Fatal("nothing was dropped")
	}
	if r.counts.Unreadable > 0 {
		t.Fatalf("%d frames decoded with a wrong number (corruption shown instead of dropped)", r.counts.Unreadable)
	}
	if pc < 70 {
		t.Fatalf("only %.1f%% of frames survived 10%% loss with NACK", pc)
	}
}
