package audioproc

import "errors"

var (
	// ErrSampleRate is returned by New for a rate other than 16, 32 or 48 kHz.
	ErrSampleRate = errors.New("audioproc: unsupported sample rate")
	// ErrConfig is returned by New for a negative or out-of-range setting.
	ErrConfig = errors.New("audioproc: invalid config")
)
