// Package audioproc cleans the microphone signal of a call before it is
// encoded: it cancels the echo of what the speaker plays (the far end), then
// suppresses stationary noise and residual echo and evens out the talker's
// level (automatic gain control).
//
// The far end is handed to Playout frame by frame as it goes to the speaker,
// the microphone to Capture as it is read. The delay between the two (output
// buffers, the air, input buffers) is unknown and may drift, so a delay
// estimator correlates the energy envelopes of both signals continuously and
// delays the reference by that much; SpeexDSP's adaptive filter (vendored in
// internal/speexdsp) then only has to model the room's response over a short
// tail. See docs/AUDIO.md for the measurements behind these choices.
//
// audioproc does no I/O and keeps no audio beyond the echo tail and the
// estimator's window; it never logs samples.
package audioproc
