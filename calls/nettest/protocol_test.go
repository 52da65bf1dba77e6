package nettest

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sotto-im/sotto/calls/media"
)

// A call side talks to the test over its stdin and stdout, one JSON message per line after
// lineTag (anything else it prints, like the testing framework's PASS, is ignored).
const lineTag = "NETTEST "

// childEnv carries a call side's childConfig (JSON) into the re-executed test binary.
const childEnv = "SOTTO_NETTEST_CHILD"

// Message kinds.
const (
	msgSignal = "signal" // both ways: a signaling blob for the other side
	msgEvent  = "event"  // child → test: a call state change
	msgReport = "report" // child → test: the measurements, once the measured time is over
	msgSample = "sample" // child → test: the latest counters, as they are taken
	msgExit   = "exit"   // test → child: hang up and exit
	msgFinish = "finish" // test → child: stop measuring now and report
)

// childConfig is one call side.
type childConfig struct {
	Caller bool   // calls the other side; the other side answers
	WAV    string // 48 kHz mono speech played (looped) as the microphone
	// Camera: a frame-numbered test pattern of this size; zero for none.
	VideoW, VideoH, FPS int
	// Measure is how long to measure after the call connects, unless the test says finish first.
	Measure time.Duration
}

type message struct {
	Kind   string    `json:"kind"`
	Blob   []byte    `json:"blob,omitempty"`
	State  string    `json:"state,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Err    string    `json:"err,omitempty"`
	At     time.Time `json:"at"`
	Report *report   `json:"report,omitempty"`
	Sample *sample   `json:"sample,omitempty"`
}

// report is what a call side measured. Times are wall clock: both sides and the test run on
// the same machine, so they compare directly.
type report struct {
	Caller      bool
	ConnectedAt time.Time
	States      []stateAt
	Samples     []sample  // every sampleEvery from connected on
	Frames      []frameAt // every decoded video frame
	// Final counters when the measured time ended.
	Audio, Video        media.ReceiverStats
	AudioFramesSent     uint64
	TargetBitrate       int
	RTT                 time.Duration
	BytesSent, BytesRcv uint64
}

type stateAt struct {
	At     time.Time
	State  string
	Reason string `json:",omitempty"`
	Err    string `json:",omitempty"`
}

// sample is a snapshot of the call's counters.
type sample struct {
	At             time.Time
	State          string
	TargetBitrate  int
	QueueCuts      int
	AudioPlayed    uint64 // decoded + FEC-recovered frames
	AudioConcealed uint64
	AudioLongest   uint64 // ReceiverStats.LongestConcealRun
	VideoFrames    uint64
	VideoBytes     uint64
	VideoPackets   uint64
	VideoLost      uint64 // holes given up after the NACK wait
	VideoDropped   uint64 // frames dropped waiting for a keyframe
	VideoKFAsked   uint64
}

// frameAt is one decoded video frame: when, its test-pattern number (if readable) and size.
type frameAt struct {
	At   time.Time
	N    uint32
	OK   bool
	W, H int
}

// lineWriter writes tagged messages, one at a time.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) send(m message) error {
	if m.At.IsZero() {
		m.At = time.Now()
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Kind, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := fmt.Fprintf(l.w, "%s%s\n", lineTag, b); err != nil {
		return fmt.Errorf("write %s message: %w", m.Kind, err)
	}
	return nil
}
