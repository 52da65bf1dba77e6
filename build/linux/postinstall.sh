#!/bin/sh
# Refresh the desktop and icon caches so sotto:// links and the icon work
# without logging out. Each tool is optional.
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
exit 0
