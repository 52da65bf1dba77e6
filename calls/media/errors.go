package media

import (
	"errors"
	"io"
)

var (
	// ErrFormat means a file or stream is not in the one format this package accepts (for WAV:
	// 16-bit PCM, 48 kHz, mono — resample with `sox in.wav -r 48000 -c 1 -b 16 out.wav`).
	ErrFormat = errors.New("media: unsupported format")
	// ErrNoDevice means no capture or playback device matches the request.
	ErrNoDevice = errors.New("media: no such device")
	// ErrDevicesUnavailable means this build has no device support (built with the nodevices tag).
	ErrDevicesUnavailable = errors.New("media: built without device support (nodevices tag)")
	// ErrStopped is returned by senders and receivers used after Stop.
	ErrStopped = errors.New("media: stopped")
	// ErrCodec means the remote track does not carry the codec a receiver expects.
	ErrCodec = errors.New("media: unexpected codec")
)

// errEOF aliases io.EOF for sources that end.
var errEOF = io.EOF
