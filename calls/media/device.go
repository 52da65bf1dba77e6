package media

// DeviceKind says what a device does.
type DeviceKind int

// Device kinds.
const (
	DeviceUnknown DeviceKind = iota
	DeviceAudioInput
	DeviceAudioOutput
	DeviceVideoInput
)

func (k DeviceKind) String() string {
	switch k {
	case DeviceAudioInput:
		return "audioinput"
	case DeviceAudioOutput:
		return "audiooutput"
	case DeviceVideoInput:
		return "videoinput"
	}
	return "unknown"
}

// Device is one capture or playback device. ID is stable for the life of the process and is what
// the Device* constructors take; an empty ID means the system default.
type Device struct {
	ID      string
	Label   string
	Kind    DeviceKind
	Default bool
}
