package calls

import "github.com/sotto-im/sotto/calls/media"

// MediaFactory opens the sources and sinks of one call: devices in the app,
// files and synthetic patterns in the CLI and tests. A method may return a
// nil source or sink: that direction is then silent or discarded. The call
// owns what is returned and closes it when the call ends or the device is
// switched.
type MediaFactory interface {
	AudioSource(call CallInfo) (media.AudioSource, error)
	AudioSink(call CallInfo) (media.AudioSink, error)
	VideoSource(call CallInfo) (media.VideoSource, error)
	VideoSink(call CallInfo) (media.VideoSink, error)
}
