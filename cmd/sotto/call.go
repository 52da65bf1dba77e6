package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sotto-im/sotto/app"
)

// callFlags are the media and transport choices call and answer share.
type callFlags struct {
	video       bool
	audioIn     string
	videoIn     string
	recordAudio string
	recordVideo string
	dur         time.Duration
	relayOnly   bool
}

func (f *callFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.video, "video", false, "")
	fs.StringVar(&f.audioIn, "audio-in", "", "")
	fs.StringVar(&f.videoIn, "video-in", "", "")
	fs.StringVar(&f.recordAudio, "record-audio", "", "")
	fs.StringVar(&f.recordVideo, "record-video", "", "")
	fs.DurationVar(&f.dur, "for", 0, "")
	fs.BoolVar(&f.relayOnly, "relay-only", false, "")
}

func (f *callFlags) options() app.CallOptions {
	return app.CallOptions{
		Media:     app.FileMedia{AudioIn: f.audioIn, RecordAudio: f.recordAudio, VideoIn: f.videoIn, RecordVideo: f.recordVideo},
		RelayOnly: f.relayOnly,
		// Tests on one machine keep calls on 127.0.0.1.
		LoopbackCandidates: os.Getenv("SOTTO_TEST_LOOPBACK_CALLS") == "1",
	}
}

// callSummary is what call and answer print when the call is over.
type callSummary struct {
	Call  app.CallView      `json:"call"`
	Stats app.CallStatsView `json:"stats"`
	// Seconds is how long the call was connected.
	Seconds float64 `json:"seconds"`
}

// callSession follows one call's views until it ends, hanging up after
// --for or when ctx ends, and prints states and a summary.
type callSession struct {
	c     *cli
	calls *app.Calls
	views chan app.CallView
	flags callFlags
}

func (c *cli) newCallSession(f callFlags) *callSession {
	s := &callSession{c: c, views: make(chan app.CallView, 64), flags: f}
	s.calls = app.NewCalls(c.chats, c.log, func(v app.CallView) {
		select {
		case s.views <- v:
		default: // the printer is far behind; the final state is re-read
		}
	}, f.options())
	return s
}

func (c *cli) cmdCall(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f callFlags
	f.register(fs)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("%w: call needs @NAME first", errUsage)
	}
	who := args[0]
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return fmt.Errorf("%w: call @NAME [--video] [--audio-in WAV] [--video-in test|Y4M] [--record-audio WAV] [--record-video Y4M] [--for DURATION] [--relay-only]", errUsage)
	}
	s := c.newCallSession(f)
	conv, err := c.chats.StartConversation(who)
	if err != nil {
		return err
	}
	v, err := s.calls.Start(conv.ID, f.video)
	if err != nil {
		return err
	}
	return s.follow(ctx, v.ID)
}

func (c *cli) cmdAnswer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("answer", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f callFlags
	f.register(fs)
	auto := fs.Bool("auto", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return fmt.Errorf("%w: answer [--auto] [--video] [--audio-in WAV] [--video-in test|Y4M] [--record-audio WAV] [--record-video Y4M] [--for DURATION] [--relay-only]", errUsage)
	}
	s := c.newCallSession(f)
	fmt.Fprintln(c.stderr, "Waiting for a call; Ctrl+C stops.")
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-s.views:
			if v.State != "incoming" {
				continue
			}
			if err := s.print(v); err != nil {
				return err
			}
			if !*auto && !c.confirm(fmt.Sprintf("Answer @%s? [y/N] ", v.Handle)) {
				return s.calls.Decline(v.ID)
			}
			if err := s.calls.Accept(v.ID, f.video); err != nil {
				return err
			}
			return s.follow(ctx, v.ID)
		}
	}
}

// confirm asks a yes/no question on stdin.
func (c *cli) confirm(question string) bool {
	fmt.Fprint(c.stderr, question)
	line, _ := bufio.NewReader(c.stdin).ReadString('\n')
	line = strings.ToLower(strings.TrimSpace(line))
	return line == "y" || line == "yes"
}

// follow prints call id's states until it ends; after --for of connected
// time, or when ctx ends, it hangs up. Then it prints the summary.
func (s *callSession) follow(ctx context.Context, id string) error {
	var (
		limit     <-chan time.Time
		last      app.CallView
		stats     app.CallStatsView
		connected time.Time
		sample    = time.NewTicker(500 * time.Millisecond)
	)
	defer sample.Stop()
	hangup := func() {
		if st, err := s.calls.Stats(id); err == nil {
			stats = st
		}
		if err := s.calls.Hangup(id); err != nil {
			fmt.Fprintln(s.c.stderr, "sotto: hang up:", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			hangup()
			ctx = context.Background() // wait for the ended state
		case <-limit:
			limit = nil
			hangup()
		case <-sample.C:
			if st, err := s.calls.Stats(id); err == nil && st.Path != "" {
				stats = st
			}
		case v := <-s.views:
			if v.ID != id || (v.State == last.State && v.Quality == last.Quality && v.Note == last.Note) {
				continue
			}
			last = v
			if err := s.print(v); err != nil {
				return err
			}
			if v.State == "connected" && connected.IsZero() {
				connected = time.Now()
				if s.flags.dur > 0 {
					limit = time.After(s.flags.dur)
				}
			}
			if v.State == "ended" {
				sum := callSummary{Call: v, Stats: stats}
				if v.ConnectedAt > 0 {
					sum.Seconds = time.Since(connected).Seconds()
				}
				return s.c.print(sum, func(w io.Writer) { printSummary(w, sum) })
			}
		}
	}
}

// print writes one state change.
func (s *callSession) print(v app.CallView) error {
	return s.c.print(v, func(w io.Writer) {
		switch v.State {
		case "incoming":
			kind := "voice"
			if v.RemoteVideo {
				kind = "video"
			}
			fmt.Fprintf(w, "incoming %s call from @%s\n", kind, v.Handle)
		case "ended":
			fmt.Fprintf(w, "call with @%s ended: %s\n", v.Handle, v.EndReason)
		default:
			line := fmt.Sprintf("call with @%s: %s", v.Handle, v.State)
			if v.Quality != "" {
				line += " (" + v.Quality + ")"
			}
			if v.Note != "" {
				line += " — " + v.Note
			}
			fmt.Fprintln(w, line)
		}
	})
}

func printSummary(w io.Writer, s callSummary) {
	fmt.Fprintf(w, "connected %.1f s, path %s (%s↔%s), rtt %d ms, sent %d B, received %d B, audio packets %d, video packets %d\n",
		s.Seconds, orDash(s.Stats.Path), orDash(s.Stats.LocalType), orDash(s.Stats.RemoteType), s.Stats.RTTMillis,
		s.Stats.BytesSent, s.Stats.BytesReceived, s.Stats.AudioPackets, s.Stats.VideoPackets)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
