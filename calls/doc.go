// Package calls owns voice and video calls: call signalling carried inside the
// end-to-end channel, one pion/webrtc PeerConnection per call, and the media
// pipeline (capture, encode, jitter buffer, decode, playout) in Go.
//
// Rules: calls never sends SDP or ICE candidates anywhere but through the
// encrypted channel that app/ hands it, and never disables pion's check of the
// DTLS fingerprint. It does not import app/, store/ or relay/ (server).
package calls
