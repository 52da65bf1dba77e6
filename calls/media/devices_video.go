//go:build !nodevices

package media

import (
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	_ "github.com/pion/mediadevices/pkg/driver/camera" // registers the system's cameras
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// ListDevices returns microphones, speakers and cameras.
func ListDevices() ([]Device, error) {
	out, err := listAudioDevices()
	if err != nil {
		return nil, err
	}
	for _, d := range driver.GetManager().Query(driver.FilterVideoRecorder()) {
		info := d.Info()
		out = append(out, Device{ID: d.ID(), Label: info.Label, Kind: DeviceVideoInput, Default: info.Priority == driver.PriorityHigh})
	}
	return out, nil
}

// DeviceVideoSource captures from a camera through mediadevices' driver (v4l2, AVFoundation or
// Media Foundation), converted to I420.
type DeviceVideoSource struct {
	d      driver.Driver
	r      video.Reader
	mu     sync.Mutex
	n      uint32
	closed bool
}

// NewDeviceVideoSource opens the camera with the given ID ("" for the first one) at the mode closest
// to width × height.
func NewDeviceVideoSource(id string, width, height int) (VideoSource, error) {
	cams := driver.GetManager().Query(driver.FilterVideoRecorder())
	var d driver.Driver
	for _, c := range cams {
		if id == "" || c.ID() == id {
			d = c
			break
		}
	}
	if d == nil {
		if id == "" {
			return nil, fmt.Errorf("%w: no camera", ErrNoDevice)
		}
		return nil, fmt.Errorf("%w: camera %q", ErrNoDevice, id)
	}
	if err := d.Open(); err != nil {
		return nil, fmt.Errorf("open camera %q: %w", d.Info().Label, err)
	}
	best, ok := closestMode(d.Properties(), width, height)
	if !ok {
		d.Close()
		return nil, fmt.Errorf("%w: camera %q reports no video modes", ErrNoDevice, d.Info().Label)
	}
	rec, ok := d.(driver.VideoRecorder)
	if !ok {
		d.Close()
		return nil, fmt.Errorf("%w: %q is not a camera", ErrNoDevice, d.Info().Label)
	}
	r, err := rec.VideoRecord(best)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("start camera %q at %dx%d: %w", d.Info().Label, best.Width, best.Height, err)
	}
	return &DeviceVideoSource{d: d, r: video.ToI420(r)}, nil
}

func closestMode(modes []prop.Media, w, h int) (prop.Media, bool) {
	best, bestScore := prop.Media{}, -1
	for _, m := range modes {
		score := abs(m.Width-w) + abs(m.Height-h)
		if bestScore < 0 || score < bestScore {
			best, bestScore = m, score
		}
	}
	return best, bestScore >= 0
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// ReadVideo returns the next camera frame (the driver bounds the wait).
func (s *DeviceVideoSource) ReadVideo() (*VideoFrame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrStopped
	}
	img, release, err := s.r.Read()
	if err != nil {
		return nil, fmt.Errorf("read camera: %w", err)
	}
	defer release()
	yuv, ok := img.(*image.YCbCr)
	if !ok {
		return nil, fmt.Errorf("%w: camera frame is %T", ErrFormat, img)
	}
	b := yuv.Bounds()
	f := NewVideoFrame(b.Dx()&^1, b.Dy()&^1)
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	for y := 0; y < f.Height; y++ {
		copy(f.Y[y*f.Width:(y+1)*f.Width], yuv.Y[y*yuv.YStride:])
	}
	for y := 0; y < ch; y++ {
		copy(f.U[y*cw:(y+1)*cw], yuv.Cb[y*yuv.CStride:])
		copy(f.V[y*cw:(y+1)*cw], yuv.Cr[y*yuv.CStride:])
	}
	f.Number, f.Captured = s.n, time.Now()
	s.n++
	return f, nil
}

// Close releases the camera.
func (s *DeviceVideoSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.d.Close()
}
