package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sotto-im/sotto/store"
)

// Preferences are the privacy and notification choices in Settings.
type Preferences struct {
	ReadReceipts     bool `json:"readReceipts"`
	TypingIndicators bool `json:"typingIndicators"`
	// NotificationContent is "full" (name and message), "name" or "none".
	NotificationContent string `json:"notificationContent"`
	// RelayCalls: "Always relay calls (hide my IP)" — calls use only the
	// relay's TURN, so a peer never learns this device's addresses.
	RelayCalls bool `json:"relayCalls"`
}

// DefaultPreferences are what a new profile starts with.
func DefaultPreferences() Preferences {
	return Preferences{ReadReceipts: true, TypingIndicators: true, NotificationContent: "full"}
}

const preferencesSetting = "app.preferences"

func (p Preferences) validate() error {
	switch p.NotificationContent {
	case "full", "name", "none":
		return nil
	}
	return fmt.Errorf("notification content must be full, name or none")
}

func loadPreferences(ctx context.Context, st *store.Profile) (Preferences, error) {
	b, err := st.Setting(ctx, preferencesSetting)
	if errors.Is(err, store.ErrNotFound) {
		return DefaultPreferences(), nil
	}
	if err != nil {
		return Preferences{}, err
	}
	p := DefaultPreferences()
	if err := json.Unmarshal(b, &p); err != nil {
		return Preferences{}, fmt.Errorf("preferences: %w", err)
	}
	if err := p.validate(); err != nil {
		return Preferences{}, err
	}
	return p, nil
}

func (c *Chats) preferences() Preferences {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prefs
}

// Preferences returns the current privacy and notification choices.
func (c *Chats) Preferences() Preferences { return c.preferences() }

// SetPreferences saves new choices.
func (c *Chats) SetPreferences(p Preferences) (Preferences, error) {
	if err := p.validate(); err != nil {
		return Preferences{}, err
	}
	m, err := c.messenger()
	if err != nil {
		return Preferences{}, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return Preferences{}, err
	}
	if err := m.Store().SetSetting(context.Background(), preferencesSetting, b); err != nil {
		return Preferences{}, err
	}
	c.mu.Lock()
	c.prefs = p
	c.mu.Unlock()
	return p, nil
}

// DesktopPreferences are the window and system choices in Settings →
// Desktop. They are needed before the profile is unlocked (to start hidden,
// to close to the tray), so they live beside the encrypted profile, in
// <profile folder>.desktop.json, not inside it; they say nothing about
// conversations.
type DesktopPreferences struct {
	// CloseToTray: the window's close button hides Sotto in the tray
	// instead of quitting (messages and calls keep arriving).
	CloseToTray bool `json:"closeToTray"`
	// StartAtLogin: the system starts Sotto when the person logs in.
	StartAtLogin bool `json:"startAtLogin"`
	// StartMinimised: started at login, Sotto stays in the tray.
	StartMinimised bool `json:"startMinimised"`
	// DoNotDisturbUntil (unix ms) silences notifications until then; 0: off.
	DoNotDisturbUntil int64 `json:"doNotDisturbUntil"`
}

// DesktopPreferencesPath is where the desktop choices of the profile whose
// files live in dataDir are kept.
func DesktopPreferencesPath(dataDir string) string {
	return filepath.Clean(dataDir) + ".desktop.json"
}

// LoadDesktopPreferences reads the desktop choices (the defaults when none
// were saved: everything off).
func LoadDesktopPreferences(dataDir string) (DesktopPreferences, error) {
	b, err := os.ReadFile(DesktopPreferencesPath(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return DesktopPreferences{}, nil
	}
	if err != nil {
		return DesktopPreferences{}, fmt.Errorf("desktop preferences: %w", err)
	}
	var p DesktopPreferences
	if err := json.Unmarshal(b, &p); err != nil {
		return DesktopPreferences{}, fmt.Errorf("desktop preferences: %w", err)
	}
	return p, nil
}

// SaveDesktopPreferences writes the desktop choices (atomically).
func SaveDesktopPreferences(dataDir string, p DesktopPreferences) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	path := DesktopPreferencesPath(dataDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("desktop preferences: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("desktop preferences: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("desktop preferences: %w", err)
	}
	return nil
}
