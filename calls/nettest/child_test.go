package nettest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/calls"
	"github.com/sotto-im/sotto/calls/media"
)

// sampleEvery is how often a call side snapshots its counters.
const sampleEvery = 100 * time.Millisecond

// TestHelperProcess is one side of a call when the other tests re-execute this binary inside a
// network namespace; run directly, it skips.
func TestHelperProcess(t *testing.T) {
	text := os.Getenv(childEnv)
	if text == "" {
		t.Skip("runs only as a call side started by the network tests")
	}
	var cfg childConfig
	if err := json.Unmarshal([]byte(text), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bad %s: %v\n", childEnv, err)
		os.Exit(2)
	}
	if err := runChild(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "call side: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// The two sides' names for each other (the Manager treats them as opaque).
const (
	callerName = "caller"
	calleeName = "callee"
)

func runChild(cfg childConfig) error {
	out := &lineWriter{w: os.Stdout}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan calls.Event, 256)
	screen := &timelineSink{}
	m, err := calls.NewManager(calls.Config{
		Signaler: calls.SignalerFunc(func(_ context.Context, _ string, blob []byte) error {
			return out.send(message{Kind: msgSignal, Blob: blob})
		}),
		Media:  &childMedia{cfg: cfg, screen: screen},
		Events: func(e calls.Event) { events <- e },
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	defer m.Close()

	other := calleeName
	if !cfg.Caller {
		other = callerName
	}
	exit, finish := make(chan struct{}), make(chan struct{}, 1)
	go readParent(ctx, m, other, exit, finish)

	if cfg.Caller {
		if _, err := m.Call(ctx, calleeName, cfg.VideoW > 0); err != nil {
			return fmt.Errorf("call: %w", err)
		}
	}
	rep := &report{Caller: cfg.Caller}
	var id calls.CallID
	var measured <-chan time.Time
	var samples *sampler
	for done := false; !done; {
		select {
		case e := <-events:
			id = e.Call
			st := stateAt{At: time.Now(), State: e.State.String()}
			if e.State == calls.StateEnded {
				st.Reason = e.Reason.String()
				if e.Err != nil {
					st.Err = e.Err.Error()
				}
			}
			rep.States = append(rep.States, st)
			_ = out.send(message{Kind: msgEvent, State: st.State, Reason: st.Reason, Err: st.Err})
			switch {
			case e.State == calls.StateRinging && e.Incoming:
				if err := m.Accept(ctx, e.Call, cfg.VideoW > 0); err != nil {
					return fmt.Errorf("accept: %w", err)
				}
			case e.State == calls.StateConnected && rep.ConnectedAt.IsZero():
				rep.ConnectedAt = time.Now()
				measured = time.After(cfg.Measure)
				samples = startSampler(m, id, out)
			case e.State == calls.StateEnded:
				done = true // report what there is
			}
		case <-measured:
			done = true
		case <-finish:
			done = true
		case <-exit:
			return nil
		}
	}
	if samples != nil {
		rep.Samples = samples.stop()
	}
	if st, err := m.Stats(id); err == nil {
		rep.Audio, rep.Video = st.Audio, st.Video
		rep.AudioFramesSent, rep.TargetBitrate, rep.RTT = st.AudioFramesSent, st.TargetBitrate, st.RTT
		rep.BytesSent, rep.BytesRcv = st.BytesSent, st.BytesReceived
	}
	rep.Frames = screen.frames()
	if err := out.send(message{Kind: msgReport, Report: rep}); err != nil {
		return err
	}
	<-exit
	return nil
}

// readParent hands signals from the test to the Manager, passes finish on, and closes exit on an
// exit message or when stdin closes.
func readParent(ctx context.Context, m *calls.Manager, from string, exit, finish chan<- struct{}) {
	defer close(exit)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), lineTag)
		if !ok {
			continue
		}
		var msg message
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			fmt.Fprintf(os.Stderr, "bad message from the test: %v\n", err)
			continue
		}
		switch msg.Kind {
		case msgSignal:
			if err := m.HandleSignal(ctx, from, msg.Blob); err != nil {
				fmt.Fprintf(os.Stderr, "handle signal: %v\n", err)
			}
		case msgFinish:
			select {
			case finish <- struct{}{}:
			default:
			}
		case msgExit:
			return
		}
	}
}

// sampler snapshots the call's counters every sampleEvery.
type sampler struct {
	stopc chan struct{}
	done  chan []sample
}

func startSampler(m *calls.Manager, id calls.CallID, out *lineWriter) *sampler {
	s := &sampler{stopc: make(chan struct{}), done: make(chan []sample, 1)}
	go func() {
		var all []sample
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			select {
			case <-s.stopc:
				s.done <- all
				return
			case <-t.C:
			}
			st, err := m.Stats(id)
			if err != nil {
				continue
			}
			smp := sample{At: time.Now(), State: st.State.String(), TargetBitrate: st.TargetBitrate, QueueCuts: st.QueueCuts,
				AudioPlayed: st.Audio.FramesDecoded + st.Audio.FramesFEC, AudioConcealed: st.Audio.FramesConcealed, AudioLongest: st.Audio.LongestConcealRun,
				VideoFrames: st.Video.FramesDecoded, VideoBytes: st.Video.BytesReceived, VideoPackets: st.Video.PacketsReceived,
				VideoLost: st.Video.PacketsLost, VideoDropped: st.Video.FramesDropped, VideoKFAsked: st.Video.KeyframeRequests}
			all = append(all, smp)
			_ = out.send(message{Kind: msgSample, Sample: &smp})
		}
	}()
	return s
}

func (s *sampler) stop() []sample {
	close(s.stopc)
	return <-s.done
}

// childMedia is a call side's devices: speech from a WAV, a test-pattern camera, a speaker that
// discards, and a screen that records every frame.
type childMedia struct {
	cfg    childConfig
	screen *timelineSink
}

func (f *childMedia) AudioSource(calls.CallInfo) (media.AudioSource, error) {
	return media.NewWAVSource(f.cfg.WAV, media.WAVLoop())
}

func (f *childMedia) AudioSink(calls.CallInfo) (media.AudioSink, error) { return discardAudio{}, nil }

func (f *childMedia) VideoSource(calls.CallInfo) (media.VideoSource, error) {
	if f.cfg.VideoW == 0 {
		return nil, nil
	}
	return media.NewTestPatternSource(f.cfg.VideoW, f.cfg.VideoH, f.cfg.FPS, 0)
}

func (f *childMedia) VideoSink(calls.CallInfo) (media.VideoSink, error) { return f.screen, nil }

type discardAudio struct{}

func (discardAudio) WriteAudio([]int16) error { return nil }
func (discardAudio) Close() error             { return nil }

// timelineSink records when each decoded frame arrived, its pattern number and size.
type timelineSink struct {
	mu sync.Mutex
	fs []frameAt
}

func (s *timelineSink) WriteVideo(f *media.VideoFrame) error {
	n, err := media.ReadTestPattern(f)
	s.mu.Lock()
	s.fs = append(s.fs, frameAt{At: time.Now(), N: n, OK: err == nil, W: f.Width, H: f.Height})
	s.mu.Unlock()
	return nil
}

// Close keeps the record: a receiver restarted mid-call writes on.
func (s *timelineSink) Close() error { return nil }

func (s *timelineSink) frames() []frameAt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]frameAt(nil), s.fs...)
}
