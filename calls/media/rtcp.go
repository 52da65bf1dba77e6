package media

import (
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// ForwardKeyframeRequests reads RTCP from a video sender until it closes and calls onRequest for
// every PLI or FIR (pass (*VideoSender).RequestKeyframe). Reading RTCP is also what lets pion's
// interceptors act on NACKs, so run it for every RTPSender.
func ForwardKeyframeRequests(s *webrtc.RTPSender, onRequest func()) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if onRequest != nil {
					onRequest()
				}
			}
		}
	}
}

// SendPLI asks the remote sender of track for a keyframe (use as a VideoReceiver's requestKeyframe).
func SendPLI(pc *webrtc.PeerConnection, track *webrtc.TrackRemote) error {
	return pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}})
}
