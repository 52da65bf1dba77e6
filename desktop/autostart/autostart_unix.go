//go:build !windows && !darwin

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

// Path is where the entry called name lives:
// $XDG_CONFIG_HOME/autostart/<name>.desktop (~/.config by default).
func Path(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("autostart: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", name+".desktop"), nil
}

// entryFile is the XDG autostart desktop entry.
func entryFile(e Entry) string { return desktopEntry(e) }
