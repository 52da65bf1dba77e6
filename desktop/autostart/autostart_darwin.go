//go:build darwin

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

// Path is where the entry called name lives:
// ~/Library/LaunchAgents/im.sotto.<name>.plist.
func Path(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", launchAgentLabel(name)+".plist"), nil
}

// entryFile is the LaunchAgent property list; launchd reads it at the next login.
func entryFile(e Entry) string { return launchAgent(e) }
