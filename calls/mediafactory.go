package calls

// MediaFactory opens the sources and sinks of one call: devices in the app,
// files and synthetic patterns in the CLI and tests. A method may return a
// nil source or sink: that direction is then silent or discarded.
type MediaFactory interface {
	AudioSource(call CallInfo) (AudioSource, error)
	AudioSink(call CallInfo) (AudioSink, error)
	VideoSource(call CallInfo) (VideoSource, error)
	VideoSink(call CallInfo) (VideoSink, error)
}

// The source and sink interfaces are those of calls/media (48 kHz mono
// int16 20 ms frames; I420 video frames).
type (
	AudioSource interface {
		ReadAudio(frame []int16) error
		Close() error
	}
	AudioSink interface {
		WriteAudio(frame []int16) error
		Close() error
	}
)

// Placeholders until calls/media lands.
type (
	VideoSource interface{ Close() error }
	VideoSink   interface{ Close() error }
)
