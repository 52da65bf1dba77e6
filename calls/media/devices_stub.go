//go:build nodevices

package media

// Builds with the nodevices tag have no capture or playback (no miniaudio, no camera drivers): file
// and synthetic sources only.

// ListDevices reports ErrDevicesUnavailable in builds with the nodevices tag.
func ListDevices() ([]Device, error) { return nil, ErrDevicesUnavailable }

// NewDeviceAudioSource reports ErrDevicesUnavailable in builds with the nodevices tag.
func NewDeviceAudioSource(id string) (AudioSource, error) { return nil, ErrDevicesUnavailable }

// NewDeviceAudioSink reports ErrDevicesUnavailable in builds with the nodevices tag.
func NewDeviceAudioSink(id string) (AudioSink, error) { return nil, ErrDevicesUnavailable }

// NewDeviceVideoSource reports ErrDevicesUnavailable in builds with the nodevices tag.
func NewDeviceVideoSource(id string, width, height int) (VideoSource, error) {
	return nil, ErrDevicesUnavailable
}
