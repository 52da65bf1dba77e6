package app

import (
	"errors"
	"fmt"

	"github.com/sotto-im/sotto/calls"
	"github.com/sotto-im/sotto/calls/bridge"
	"github.com/sotto-im/sotto/calls/media"
)

// WindowMedia is the media of calls in the desktop window: audio and
// capture come from Base (devices, or files for demos and tests), and video
// is shown in the window through the loopback media bridge — the peer's
// frames as the "remote" stream, our own camera's as the "local" self-view.
type WindowMedia struct {
	Base   calls.MediaFactory
	Bridge *bridge.Bridge
}

var _ calls.MediaFactory = WindowMedia{}

// AudioSource opens Base's microphone.
func (w WindowMedia) AudioSource(c calls.CallInfo) (media.AudioSource, error) {
	return w.Base.AudioSource(c)
}

// AudioSink opens Base's speaker.
func (w WindowMedia) AudioSink(c calls.CallInfo) (media.AudioSink, error) {
	return w.Base.AudioSink(c)
}

// VideoSource opens Base's camera and shows what it captures as the
// self-view.
func (w WindowMedia) VideoSource(c calls.CallInfo) (media.VideoSource, error) {
	src, err := w.Base.VideoSource(c)
	if err != nil || src == nil {
		return src, err
	}
	return &selfView{VideoSource: src, view: w.Bridge.Sink(c.ID.String(), bridge.StreamLocal)}, nil
}

// VideoSink shows the peer's video in the window (and hands it to Base's
// sink too, if it has one).
func (w WindowMedia) VideoSink(c calls.CallInfo) (media.VideoSink, error) {
	view := w.Bridge.Sink(c.ID.String(), bridge.StreamRemote)
	base, err := w.Base.VideoSink(c)
	if err != nil {
		view.Close()
		return nil, err
	}
	if base == nil {
		return view, nil
	}
	return teeSink{view, base}, nil
}

// selfView passes a camera's frames on and copies each to the self-view.
type selfView struct {
	media.VideoSource
	view *bridge.Sink
}

func (s *selfView) ReadVideo() (*media.VideoFrame, error) {
	f, err := s.VideoSource.ReadVideo()
	if err == nil {
		// The self-view is best effort: a closed page never stops the camera.
		_ = s.view.WriteVideo(f)
	}
	return f, err
}

func (s *selfView) Close() error {
	return errors.Join(s.VideoSource.Close(), s.view.Close())
}

// teeSink writes every frame to two sinks.
type teeSink [2]media.VideoSink

func (t teeSink) WriteVideo(f *media.VideoFrame) error {
	err0, err1 := t[0].WriteVideo(f), t[1].WriteVideo(f)
	if err1 != nil {
		return fmt.Errorf("video sink: %w", err1)
	}
	_ = err0 // the window's view is best effort
	return nil
}

func (t teeSink) Close() error { return errors.Join(t[0].Close(), t[1].Close()) }
