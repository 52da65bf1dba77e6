package media

import (
	"fmt"

	"github.com/pion/rtp/codecs"
)

// depayVP8 strips the VP8 payload descriptor (RFC 7741). start is true for the first packet of a
// frame (start of partition 0).
func depayVP8(payload []byte) (body []byte, start bool, err error) {
	var p codecs.VP8Packet
	body, err = p.Unmarshal(payload)
	if err != nil {
		return nil, false, fmt.Errorf("vp8 payload: %w", err)
	}
	return body, p.S == 1 && p.PID == 0, nil
}

// isVP8Keyframe reads the frame tag's P bit (0 = keyframe, RFC 6386 §9.1).
func isVP8Keyframe(frame []byte) bool { return len(frame) >= 3 && frame[0]&1 == 0 }
