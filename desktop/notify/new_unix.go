//go:build linux || freebsd || openbsd || netbsd

package notify

// New returns the system's notifier: org.freedesktop.Notifications on the
// session bus.
func New(o DBusOptions) (Notifier, error) {
	return NewDBus("", o)
}
