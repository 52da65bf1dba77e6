package media

// AudioConfig sets up an AudioSender. The zero value is a 32 kbit/s voice encoder with in-band FEC
// (tuned for 10% loss) and DTX.
type AudioConfig struct {
	Bitrate        int // bits per second; 0 means DefaultAudioBitrate
	DisableFEC     bool
	DisableDTX     bool
	ExpectedLossPc int // loss the FEC is sized for; 0 means 10
}

// DefaultAudioBitrate is the Opus target when AudioConfig.Bitrate is zero.
const DefaultAudioBitrate = 32000

// VideoConfig sets up a VideoSender. The zero value is 800 kbit/s with no resolution cap.
type VideoConfig struct {
	Bitrate int // bits per second; 0 means DefaultVideoBitrate
	// MaxWidth and MaxHeight, when set, scale larger frames down (keeping the aspect ratio).
	MaxWidth, MaxHeight int
}

// DefaultVideoBitrate is the VP8 target when VideoConfig.Bitrate is zero.
const DefaultVideoBitrate = 800_000
