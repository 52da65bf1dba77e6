package media

import "time"

// ReceiverStats counts what a receiver saw and did. Audio receivers fill the Frames* fields per
// 20 ms slot; video receivers per picture.
type ReceiverStats struct {
	PacketsReceived  uint64
	BytesReceived    uint64
	PacketsLost      uint64 // gaps given up on (audio: at playout; video: after the NACK wait)
	PacketsLate      uint64 // arrived after their slot or frame was gone
	PacketsDuplicate uint64
	Resyncs          uint64 // the stream jumped and the buffer started over

	FramesDecoded   uint64
	FramesFEC       uint64 // audio frames rebuilt from the next packet's in-band FEC
	FramesConcealed uint64 // audio frames made up by PLC (loss, DTX, underrun)
	// LongestConcealRun is the most audio slots in a row made up by PLC before decoded (or FEC)
	// audio came back: the longest audible gap, in 20 ms frames. A run still going is not counted.
	LongestConcealRun uint64
	FramesDropped     uint64 // audio: dropped to cut delay; video: undecodable frames skipped
	Underruns         uint64 // audio slots with nothing buffered
	DecodeErrors      uint64
	KeyframeRequests  uint64

	// StartDelay (audio) is from the first packet's arrival to the first slot played: the
	// headroom the buffer started with (see readyToStart).
	StartDelay  time.Duration
	Jitter      time.Duration // RFC 3550 interarrival jitter
	TargetDelay time.Duration // audio: the buffer's current target; video: the NACK wait bound
	LastPacket  time.Time
}
