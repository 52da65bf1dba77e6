package media

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/sotto-im/sotto/calls/media/internal/opus"
	"github.com/sotto-im/sotto/calls/media/internal/vp8"
)

// startSampleBuilderReceiver is the baseline: pion's samplebuilder (which releases a frame only when
// the next one starts) in front of the same decoder and sink.
func startSampleBuilderReceiver(t testing.TB, track *webrtc.TrackRemote, sink VideoSink) func() (ReceiverStats, error) {
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var decoded uint64
	go func() {
		defer wg.Done()
		sb := samplebuilder.New(256, &codecs.VP8Packet{}, 90000)
		for {
			p, _, err := track.ReadRTP()
			if err != nil {
				return
			}
			sb.Push(p)
			for s := sb.Pop(); s != nil; s = sb.Pop() {
				im, err := dec.Decode(s.Data)
				if err != nil {
					continue
				}
				decoded++
				_ = sink.WriteVideo(&VideoFrame{Width: im.Width, Height: im.Height, Y: im.Y, U: im.U, V: im.V})
			}
		}
	}()
	return func() (ReceiverStats, error) {
		_ = track.SetReadDeadline(time.Now())
		wg.Wait()
		dec.Close()
		return ReceiverStats{FramesDecoded: decoded}, nil
	}
}

// BenchmarkVideoCaptureToDecoded: 640×480 at 30 fps between two pion peers on loopback; one
// iteration is one captured frame. Reports capture → decoded p50/p95 for our jitter buffer and, in
// the same run, for pion's samplebuilder. Run with -benchtime=150x or more for stable figures.
func BenchmarkVideoCaptureToDecoded(b *testing.B) {
	for _, tc := range []struct {
		name     string
		baseline bool
	}{{"jitterbuffer", false}, {"samplebuilder", true}} {
		b.Run(tc.name, func(b *testing.B) {
			frames := max(b.N, 30)
			r := runVideoCallWith(b, 640, 480, 30, frames, nil, tc.baseline)
			b.ReportMetric(float64(r.counts.P50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(r.counts.P95.Microseconds())/1000, "p95-ms")
			b.ReportMetric(100*float64(r.counts.Distinct)/float64(r.sent), "decoded-%")
		})
	}
}

func BenchmarkOpusEncodeDecode(b *testing.B) {
	enc, err := opus.NewEncoder(opus.EncoderConfig{Bitrate: DefaultAudioBitrate, FEC: true, DTX: true, ExpectedLossPc: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	dec, err := opus.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	// A voiced, vibrato-modulated tone: the encoder does real work (silence would be DTX).
	frames := make([][]int16, 50)
	for f := range frames {
		frames[f] = make([]int16, FrameSamples)
		for i := range frames[f] {
			tt := float64(f*FrameSamples+i) / SampleRate
			frames[f][i] = int16(6000*math.Sin(2*math.Pi*(180+20*math.Sin(6*tt))*tt) + 2000*math.Sin(2*math.Pi*900*tt))
		}
	}
	pkt := make([]byte, opus.MaxPacket)
	out := make([]int16, FrameSamples)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		p, err := enc.Encode(frames[i%len(frames)], pkt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dec.Decode(p, out); err != nil {
			b.Fatal(err)
		}
	}
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1000, "cpu-µs/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(FrameDuration.Nanoseconds())*100, "cpu-%-of-realtime")
}

// BenchmarkVP8Encode720p: ns per 1280×720 frame at 1.5 Mbit/s. The CPU metrics come from getrusage,
// so they hold on a busy machine where ns/op (wall time) does not; cpu-%-at-30fps is the share of one
// core a 720p/30 send stream costs (the encoder uses 2 threads from 720p, so it may exceed the wall
// figure's share).
func BenchmarkVP8Encode720p(b *testing.B) {
	enc, err := vp8.NewEncoder(1_500_000)
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	frames := make([]*vp8.Image, 30)
	for i := range frames {
		f := DrawTestPattern(1280, 720, uint32(i))
		frames[i] = &vp8.Image{Width: f.Width, Height: f.Height, Y: f.Y, U: f.U, V: f.V}
	}
	t0 := time.Now()
	// The first frame is a keyframe and sets the encoder up: keep it out of the figure.
	if _, _, err := enc.Encode(frames[0], t0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if _, _, err := enc.Encode(frames[(i+1)%len(frames)], t0.Add(time.Duration(i+1)*time.Second/30)); err != nil {
			b.Fatal(err)
		}
	}
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)*30/1e9*100, "cpu-%-at-30fps")
}
