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

// Enable writes the XDG autostart file.
func Enable(e Entry) error {
	if err := e.check(); err != nil {
		return err
	}
	p, err := Path(e.Name)
	if err != nil {
		return err
	}
	return writeFile(p, desktopEntry(e))
}

// Disable removes it (nothing to do when it is not there).
func Disable(name string) error {
	p, err := Path(name)
	if err != nil {
		return err
	}
	return removeFile(p)
}

// Enabled reports whether the file exists.
func Enabled(name string) (bool, error) {
	p, err := Path(name)
	if err != nil {
		return false, err
	}
	return fileExists(p)
}
