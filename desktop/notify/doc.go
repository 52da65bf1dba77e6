// Package notify shows desktop notifications with actions: a click (the
// default action) and buttons such as Accept and Decline, each with its own
// callback.
//
// On Linux (and other freedesktop systems) it talks to
// org.freedesktop.Notifications over the session D-Bus on a connection of its
// own and runs the callback of the action the notification server reports
// (ActionInvoked). Windows shows toasts through PowerShell, whose click opens
// the notification's deep link (so it reaches the running app through the
// single-instance hand-off); buttons are not offered there. macOS shows a
// plain notification through osascript, without click or buttons (see
// docs/DESKTOP.md). The package knows nothing about messages or calls: the
// caller decides titles, bodies and what each action does, and what may be
// said at all (the privacy level).
package notify
