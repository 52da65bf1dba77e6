//go:build !darwin && !windows

package tray

import (
	"image"

	"fyne.io/systray"
)

// run starts systray's D-Bus loop on a goroutine beside Wails' GTK loop.
func run(onReady, onExit func()) func() {
	go systray.Run(onReady, onExit)
	return systray.Quit
}

func encodeIcon(img image.Image) ([]byte, error) { return encodePNG(img) }
