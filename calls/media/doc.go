// Package media moves call audio and video between sources, codecs, pion tracks and sinks: Opus
// (48 kHz mono, in-band FEC, DTX) and VP8 encoders feeding webrtc.TrackLocalStaticSample, and
// receivers that read RTP from a webrtc.TrackRemote through a jitter buffer that completes frames on
// arrival (the RTP marker bit for video, every packet for audio), conceal lost audio (FEC from the
// next packet, else PLC) so the sink gets a frame every 20 ms without gaps, and ask for a keyframe
// when video cannot be repaired.
//
// Every source and sink has a file or synthetic variant (WAV, Y4M, a frame-numbered test pattern
// and a frame counter that reads the numbers back) so calls run and are measured headless. Real
// devices: microphone and speaker through miniaudio (malgo), cameras through pion/mediadevices'
// drivers; neither needs a system library, and the `nodevices` build tag leaves them out.
//
// The package never does signaling or owns a PeerConnection; package calls does.
package media
