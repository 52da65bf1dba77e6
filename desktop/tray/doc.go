// Package tray is Sotto's icon in the system tray: the app icon with the
// unread count drawn on it, and the menu Open, Start call…, Do not disturb
// (for an hour, until tomorrow, off) and Quit.
//
// It wraps fyne.io/systray, which on Linux is pure D-Bus
// (StatusNotifierItem + dbusmenu) and so runs beside Wails' GTK loop; on
// Windows it runs its own message loop on a goroutine; on macOS it must be
// started before wails.Run (see Start). The tray says what was clicked
// through callbacks and holds no state of the app beyond what it shows.
// systray is one per process: Start once.
package tray
