package media

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// runAudioCall sends the WAV at path from one pion peer to another and returns what the receiving
// side wrote to its WAVSink plus the receiver's stats.
func runAudioCall(t *testing.T, path string, loss *lossyFactory) ([]int16, ReceiverStats) {
	t.Helper()
	offerer, answerer := newPeer(t, loss), newPeer(t, nil)
	track := addSendTrack(t, offerer, OpusCapability, "audio", nil)
	tracks := onRemoteTrack(answerer)
	connect(t, offerer, answerer)

	out := filepath.Join(t.TempDir(), "out.wav")
	sink, err := NewWAVSink(out)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := NewWAVSource(path)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := StartAudioSender(ctx, track, src, AudioConfig{})
	if err != nil {
		t.Fatal(err)
	}
	remote := waitTrack(t, tracks)
	if remote.Kind() != webrtc.RTPCodecTypeAudio {
		t.Fatalf("remote track kind %v", remote.Kind())
	}
	recv, err := StartAudioReceiver(ctx, remote, sink)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-sender.SourceEnded():
	case <-time.After(30 * time.Second):
		t.Fatal("source did not end")
	}
	time.Sleep(300 * time.Millisecond) // the tail in flight and in the jitter buffer
	if err := sender.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := recv.Stop(); err != nil {
		t.Fatal(err)
	}
	stats := recv.Stats()
	got, err := ReadWAV(out)
	if err != nil {
		t.Fatal(err)
	}
	return got, stats
}

func TestAudioCallMatchesLocalCodec(t *testing.T) {
	in := speechWAV(t, "Hello Bob, this is a short Sotto call test.")
	pcm, err := ReadWAV(in)
	if err != nil {
		t.Fatal(err)
	}
	want := localCodec(t, pcm)
	got, st := runAudioCall(t, in, nil)
	aligned, same, total := alignFrames(want, got)
	corr := correlation(want[:len(aligned)], aligned)
	t.Logf("audio over pion loopback: correlation=%.4f, bit-identical frames %d/%d; "+
		"decoded=%d fec=%d concealed=%d underruns=%d dropped=%d jitter=%v",
		corr, same, total, st.FramesDecoded, st.FramesFEC, st.FramesConcealed, st.Underruns, st.FramesDropped, st.Jitter)
	if corr < 0.9 {
		t.Fatalf("correlation with local encode→decode %.3f < 0.9", corr)
	}
	if st.PacketsLost != 0 {
		t.Fatalf("%d packets lost on loopback without loss", st.PacketsLost)
	}
}

func TestAudioCallUnderLossHasNoGaps(t *testing.T) {
	in := speechWAV(t, "Ten percent of these packets never arrive, and the listener should not notice much.")
	pcm, err := ReadWAV(in)
	if err != nil {
		t.Fatal(err)
	}
	loss := &lossyFactory{mime: "audio/", rate: 0.10}
	got, st := runAudioCall(t, in, loss)
	slots := st.FramesDecoded + st.FramesFEC + st.FramesConcealed
	t.Logf("10%% loss: dropped %d of %d packets; slots=%d decoded=%d fec-recovered=%d concealed=%d (lost %d, underruns %d)",
		loss.dropped.Load(), loss.dropped.Load()+loss.passed.Load(), slots, st.FramesDecoded, st.FramesFEC,
		st.FramesConcealed, st.PacketsLost, st.Underruns)
	if loss.dropped.Load() == 0 {
		t.Fatal("the lossy interceptor dropped nothing")
	}
	if int64(len(got)) != int64(slots)*FrameSamples {
		t.Fatalf("sink got %d samples for %d slots: a slot was not written", len(got), slots)
	}
	// Never a gap: the sink received at least as much audio as was sent.
	if len(got) < len(pcm) {
		t.Fatalf("sink got %d samples, source had %d", len(got), len(pcm))
	}
	if st.FramesFEC == 0 {
		t.Fatal("no frame was recovered by FEC at 10% loss")
	}
}
