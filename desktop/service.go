package desktop

import (
	"github.com/sotto-im/sotto/app"
)

// Service is what the UI asks of the desktop shell (bound in main.go as
// desktop.Service).
type Service struct {
	c *Controller
}

// TakeOpen returns what a link opened before the UI was up (Kind "" when
// nothing), and from then on such requests arrive as sotto:open events.
func (s *Service) TakeOpen() OpenRequest { return s.c.takeOpen() }

// Settings returns the desktop choices: close to tray, start at login,
// start minimised.
func (s *Service) Settings() app.DesktopPreferences { return s.c.settings() }

// SetSettings saves the desktop choices and applies them (the login entry
// is written or removed at once).
func (s *Service) SetSettings(p app.DesktopPreferences) (app.DesktopPreferences, error) {
	return s.c.setSettings(p)
}

// DoNotDisturb returns the Do not disturb state.
func (s *Service) DoNotDisturb() DNDView { return s.c.dnd() }

// SetDoNotDisturb silences notifications: "hour", "tomorrow" (8:00) or "off".
func (s *Service) SetDoNotDisturb(choice string) (DNDView, error) {
	return s.c.setDND(DNDChoice(choice))
}

// WindowState tells the shell whether the window has focus and which
// conversation is open (0: none), so it does not notify about what the
// person is reading.
func (s *Service) WindowState(focused bool, conversation int64) {
	s.c.windowState(focused, conversation)
}

// Shown is the UI saying it now shows a screen ("chat", "precall") for a
// handle. It is logged (screen and whether it is the last link's handle;
// never the handle itself) so the window tests can follow a link.
func (s *Service) Shown(screen, handle string) {
	s.c.mu.Lock()
	match := handle != "" && handle == s.c.lastLink
	s.c.mu.Unlock()
	switch screen {
	case "chat", "precall":
	default:
		screen = "other"
	}
	s.c.log.Info("screen shown", "screen", screen, "linkHandle", match)
}
