package calls

import (
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/calls/media"
)

// registerMedia registers the codecs and the interceptors calls/media
// needs (NACK, RTCP reports, TWCC sequence numbers and feedback).
func registerMedia(me *webrtc.MediaEngine, ir *interceptor.Registry) error {
	if err := media.RegisterCodecs(me); err != nil {
		return err
	}
	return media.RegisterInterceptors(ir)
}
