package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultProfile is the profile used when none is named.
const DefaultProfile = "default"

// ErrInvalidProfile reports a profile name outside the allowed alphabet.
var ErrInvalidProfile = errors.New("invalid profile name")

// Profile names one independent Sotto identity on this machine: its own data
// directory, keyring entries and single-instance lock. Two profiles can run side
// by side (make demo runs two).
type Profile string

// ParseProfile validates a profile name: 1–32 characters of a–z, 0–9 and _.
// The empty string means DefaultProfile.
func ParseProfile(s string) (Profile, error) {
	if s == "" {
		return DefaultProfile, nil
	}
	if len(s) > 32 {
		return "", fmt.Errorf("%w: longer than 32 characters", ErrInvalidProfile)
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return "", fmt.Errorf("%w: only a-z, 0-9 and _ are allowed", ErrInvalidProfile)
		}
	}
	return Profile(s), nil
}

// String returns the profile name.
func (p Profile) String() string { return string(p) }

// InstanceID is the single-instance lock id for this profile: a second launch
// of the same profile hands its arguments to the first, while other profiles
// run their own windows.
func (p Profile) InstanceID() string { return "im.sotto.desktop." + string(p) }

// DataDir returns the directory that holds the profile's files. SOTTO_DATA_DIR,
// when set, replaces the per-user configuration directory as the root (tests
// and portable installs use it).
func (p Profile) DataDir() (string, error) {
	root := os.Getenv("SOTTO_DATA_DIR")
	if root == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find the user config directory: %w", err)
		}
		root = filepath.Join(base, "sotto")
	}
	return filepath.Join(root, "profiles", string(p)), nil
}

// ResolveProfile reads a --profile value: a name (a-z, 0-9, _) whose files
// live in the per-user data directory, or a directory path (anything with a
// path separator, as the CLI allows) used as it is.
func ResolveProfile(s string) (Profile, string, error) {
	if strings.ContainsRune(s, os.PathSeparator) || strings.ContainsRune(s, '/') {
		dir, err := filepath.Abs(s)
		if err != nil {
			return "", "", fmt.Errorf("profile directory: %w", err)
		}
		return Profile("dir_" + hashName(dir)), dir, nil
	}
	p, err := ParseProfile(s)
	if err != nil {
		return "", "", err
	}
	dir, err := p.DataDir()
	return p, dir, err
}

// hashName is a short stable name for a directory, for single-instance ids.
func hashName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
