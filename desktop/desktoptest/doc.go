// Package desktoptest has what tests of the desktop integration need on a
// private session D-Bus: a bus of their own, and a fake desktop that owns
// org.freedesktop.Notifications and org.kde.StatusNotifierWatcher, records
// every call (in memory and as JSON lines in a file, kept with a failed
// test's artifacts), and can press buttons: invoke a notification's action,
// click a tray menu item. It reads the tray's menu and icon over
// com.canonical.dbusmenu and the StatusNotifierItem properties, as a real
// panel does.
//
// Only tests import it (desktop/... and e2e/).
package desktoptest
