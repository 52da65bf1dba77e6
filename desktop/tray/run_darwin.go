//go:build darwin

package tray

import (
	"image"

	"fyne.io/systray"
)

// run registers the status item with the external loop (Wails' Cocoa
// loop): call Start before wails.Run, as fyne.io/systray asks on macOS.
func run(onReady, onExit func()) func() {
	start, end := systray.RunWithExternalLoop(onReady, onExit)
	start()
	return end
}

func encodeIcon(img image.Image) ([]byte, error) { return encodePNG(img) }
