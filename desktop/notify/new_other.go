//go:build !linux && !freebsd && !openbsd && !netbsd && !windows && !darwin

package notify

// New reports that this system has no notifier Sotto knows.
func New(DBusOptions) (Notifier, error) { return nil, ErrUnsupported }
