package app

import (
	"fmt"

	"github.com/sotto-im/sotto/calls"
	"github.com/sotto-im/sotto/calls/media"
)

// FileMedia feeds calls from files instead of devices (the CLI, tests):
// audio from a 48 kHz mono WAV, recorded to WAV; video from a test pattern
// or Y4M, recorded to Y4M. An empty path leaves that
// direction silent or discarded. Each call opens the files afresh.
type FileMedia struct {
	AudioIn     string
	RecordAudio string
	// VideoIn is "test" (a frame-numbered pattern) or a Y4M file.
	VideoIn     string
	RecordVideo string
}

var _ calls.MediaFactory = FileMedia{}

// AudioSource opens AudioIn.
func (f FileMedia) AudioSource(calls.CallInfo) (media.AudioSource, error) {
	if f.AudioIn == "" {
		return nil, nil
	}
	src, err := media.NewWAVSource(f.AudioIn)
	if err != nil {
		return nil, fmt.Errorf("audio input: %w", err)
	}
	return src, nil
}

// AudioSink creates RecordAudio.
func (f FileMedia) AudioSink(calls.CallInfo) (media.AudioSink, error) {
	if f.RecordAudio == "" {
		return nil, nil
	}
	sink, err := media.NewWAVSink(f.RecordAudio)
	if err != nil {
		return nil, fmt.Errorf("audio recording: %w", err)
	}
	return sink, nil
}

// VideoSource opens VideoIn: "test" is a 640×480, 30 fps frame-numbered
// pattern; anything else is a Y4M file, played in a loop.
func (f FileMedia) VideoSource(calls.CallInfo) (media.VideoSource, error) {
	switch f.VideoIn {
	case "":
		return nil, nil
	case "test":
		src, err := media.NewTestPatternSource(640, 480, 30, 0)
		if err != nil {
			return nil, fmt.Errorf("video input: %w", err)
		}
		return src, nil
	}
	src, err := media.NewY4MSource(f.VideoIn, true)
	if err != nil {
		return nil, fmt.Errorf("video input: %w", err)
	}
	return src, nil
}

// VideoSink creates RecordVideo.
func (f FileMedia) VideoSink(calls.CallInfo) (media.VideoSink, error) {
	if f.RecordVideo == "" {
		return nil, nil
	}
	sink, err := media.NewY4MSink(f.RecordVideo, 30)
	if err != nil {
		return nil, fmt.Errorf("video recording: %w", err)
	}
	return sink, nil
}
