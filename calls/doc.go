// Package calls owns voice and video calls: call signalling carried inside the
// end-to-end channel, one pion/webrtc PeerConnection per call, and wiring the
// media pipeline (calls/media) to it.
//
// The app drives it through a Manager: Call, Accept, Decline, Hangup,
// SetMuted, SetCamera, RestartICE; it hands every decrypted call signal to
// HandleSignal and delivers the blobs the Manager produces (Config.Signaler)
// inside ratchet messages. States, the signal format and the security checks
// are described in docs/CALLS.md.
//
// Rules: calls never sends SDP or ICE candidates anywhere but through the
// encrypted channel that app/ hands it, and never disables pion's check of the
// DTLS fingerprint. It does not import app/, store/ or relay/ (server).
package calls
