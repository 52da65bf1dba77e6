// Package vp8 wraps libvpx's VP8 encoder and decoder for real-time calls (cgo, pkg-config vpx; apt
// libvpx-dev). The encoder is tuned for one-way latency: no lookahead, CBR, error-resilient, keyframes
// only on request or resolution change, runtime bitrate changes.
//
// mediadevices' pkg/codec/vpx also wraps libvpx, but its encoder pulls frames from a reader while
// holding the lock that bitrate and keyframe requests need, and its decoder wants one frame per
// io.Reader call; a push API of ~200 lines is simpler for the call pipeline.
package vp8
