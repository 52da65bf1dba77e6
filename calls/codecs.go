package calls

import "github.com/pion/webrtc/v4"

func registerCodecs(me *webrtc.MediaEngine) error { return me.RegisterDefaultCodecs() }
