// Package desktop makes Sotto a desktop citizen: it turns messenger events
// into notifications (at the privacy level the person chose) and the tray's
// unread badge, routes deep links and notification clicks to the window,
// keeps Do not disturb, applies the window and login settings, and rings
// for incoming calls with Accept and Decline.
//
// It does not import Wails: main.go hands it a Window (show, hide, emit,
// quit) and calls it from Wails' hooks, so everything here runs in tests on
// a private D-Bus. Subpackages do one system job each: deeplink (parsing
// untrusted links), notify (notifications with actions), tray (the icon and
// its menu), autostart (start at login). The UI reaches it through Service.
//
// It never logs message text or handles.
package desktop
