package bridge

import (
	"fmt"
	"strings"
)

// Stream names one of a call's two video streams.
type Stream string

const (
	// StreamLocal is the self-view: our own camera.
	StreamLocal Stream = "local"
	// StreamRemote is the peer's video.
	StreamRemote Stream = "remote"
)

// ParseStream accepts "local" or "remote".
func ParseStream(s string) (Stream, error) {
	switch Stream(s) {
	case StreamLocal, StreamRemote:
		return Stream(s), nil
	}
	return "", fmt.Errorf("unknown stream %q: want local or remote", clip(s))
}

// maxCallIDLen bounds a call id (hex; the calls package uses 16 bytes).
const maxCallIDLen = 64

// validCallID: 1–64 lowercase hex digits.
func validCallID(s string) bool {
	if s == "" || len(s) > maxCallIDLen {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// key names one stream of one call.
type key struct {
	call   string
	stream Stream
}

// clip shortens client-supplied text before it goes into an error.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
