//go:build !windows

package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeFile writes data to path atomically (a temporary file renamed over it).
func writeFile(path, data string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sotto-autostart-*")
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		return fmt.Errorf("autostart: write: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("autostart: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("autostart: write: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return true, nil
}

// Enable writes the entry's file (Path): the desktop session or launchd reads
// it at the next login.
func Enable(e Entry) error {
	if err := e.check(); err != nil {
		return err
	}
	p, err := Path(e.Name)
	if err != nil {
		return err
	}
	return writeFile(p, entryFile(e))
}

// Disable removes the entry's file (nothing to do when it is not there).
func Disable(name string) error {
	p, err := Path(name)
	if err != nil {
		return err
	}
	return removeFile(p)
}

// Enabled reports whether the entry's file exists.
func Enabled(name string) (bool, error) {
	p, err := Path(name)
	if err != nil {
		return false, err
	}
	return fileExists(p)
}
