//go:build windows

package tray

import (
	"bytes"
	"encoding/binary"
	"image"

	"fyne.io/systray"
)

// run starts systray's Windows message loop on a goroutine of its own.
func run(onReady, onExit func()) func() {
	go systray.Run(onReady, onExit)
	return systray.Quit
}

// encodeIcon wraps the PNG in an ICO container (Windows Vista and later
// read PNG entries), which is what systray wants on Windows.
func encodeIcon(img image.Image) ([]byte, error) {
	p, err := encodePNG(img)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	size := img.Bounds().Dx()
	dim := byte(size)
	if size >= 256 {
		dim = 0
	}
	// ICONDIR, then one ICONDIRENTRY pointing at the PNG after the 22-byte header.
	_ = binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, 1})
	b.Write([]byte{dim, dim, 0, 0})
	_ = binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
	_ = binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(len(p)), 22})
	b.Write(p)
	return b.Bytes(), nil
}
