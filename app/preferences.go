package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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
