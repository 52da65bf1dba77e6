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

// Enable writes the LaunchAgent; launchd reads it at the next login.
func Enable(e Entry) error {
	if err := e.check(); err != nil {
		return err
	}
	p, err := Path(e.Name)
	if err != nil {
		return err
	}
	return writeFile(p, launchAgent(e))
}

// Disable removes the LaunchAgent.
func Disable(name string) error {
	p, err := Path(name)
	if err != nil {
		return err
	}
	return removeFile(p)
}

// Enabled reports whether the LaunchAgent exists.
func Enabled(name string) (bool, error) {
	p, err := Path(name)
	if err != nil {
		return false, err
	}
	return fileExists(p)
}
