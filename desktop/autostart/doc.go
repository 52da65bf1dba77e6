// Package autostart turns "Start at login" on and off: an XDG autostart
// .desktop file on Linux, a value under the current user's Run key on
// Windows, a LaunchAgent plist on macOS. It writes only the current user's
// own locations, never system ones, and knows nothing of Sotto's settings:
// the caller says what to start and with which arguments.
package autostart
