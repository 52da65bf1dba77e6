//go:build darwin

package notify

import (
	"fmt"
	"os/exec"
)

// AppleScript shows macOS notifications through osascript: title and body
// only, no click and no buttons (the documented fallback until Sotto ships a
// signed bundle with UserNotifications).
type AppleScript struct{}

// New returns the macOS fallback notifier.
func New(DBusOptions) (Notifier, error) { return AppleScript{}, nil }

// Show displays n's title and body.
func (AppleScript) Show(n Notification) (ID, error) {
	cmd := exec.Command("osascript", "-e", appleScript, clip(n.Title, maxBody), clip(n.Body, maxBody))
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("notify: osascript: %w", err)
	}
	return 0, nil
}

// Close does nothing: the system expires these notifications.
func (AppleScript) Close(ID) error { return nil }

// Stop does nothing.
func (AppleScript) Stop() error { return nil }

// appleScript shows a notification with its title and body passed as
// arguments (never spliced into the script).
const appleScript = `on run argv
display notification (item 2 of argv) with title (item 1 of argv)
end run`
