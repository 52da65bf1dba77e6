package bridge

import "fmt"

// Format is how a frame's pixels travel to the page.
type Format uint8

const (
	// FormatUnknown is the zero value.
	FormatUnknown Format = iota
	// FormatI420 sends the decoded planes as they are; the page draws them
	// with WebGL (or converts them on a 2D canvas). The default: the fastest
	// path measured (docs/CALLS-VIDEO.md).
	FormatI420
	// FormatJPEG sends each frame JPEG-encoded (quality 80): 10–20× fewer
	// bytes, but Go spends milliseconds encoding every frame.
	FormatJPEG
)

func (f Format) String() string {
	switch f {
	case FormatI420:
		return "i420"
	case FormatJPEG:
		return "jpeg"
	}
	return "unknown"
}

// ParseFormat accepts "i420" or "jpeg".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "i420":
		return FormatI420, nil
	case "jpeg":
		return FormatJPEG, nil
	}
	return FormatUnknown, fmt.Errorf("unknown format %q: want i420 or jpeg", clip(s))
}
