package tray

import (
	"image"
	"image/color"
	"image/draw"
	"strconv"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// IconSize is the edge of the tray icon, in pixels.
const IconSize = 64

// BadgeColor is the unread badge's fill.
var BadgeColor = color.NRGBA{R: 0xd9, G: 0x1e, B: 0x2a, A: 0xff}

// Scale resizes the app icon to the tray's size (once, at start).
func Scale(src image.Image) *image.NRGBA {
	dst := image.NewNRGBA(image.Rect(0, 0, IconSize, IconSize))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// BadgeText is what the badge says for n unread: "" for none, the number up
// to 9, then "9+" (a tray icon has no room for more).
func BadgeText(n int) string {
	switch {
	case n <= 0:
		return ""
	case n > 9:
		return "9+"
	}
	return strconv.Itoa(n)
}

// Badge draws the unread count on a copy of icon (an IconSize square): a
// red disc in the top-right corner with the count in white. n ≤ 0 returns
// the icon unchanged.
func Badge(icon *image.NRGBA, n int) *image.NRGBA {
	out := image.NewNRGBA(icon.Bounds())
	draw.Draw(out, out.Bounds(), icon, icon.Bounds().Min, draw.Src)
	text := BadgeText(n)
	if text == "" {
		return out
	}
	const r = 17
	cx, cy := IconSize-r-1, r+1
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy <= r*r {
				out.SetNRGBA(x, y, BadgeColor)
			}
		}
	}
	// basicfont is 7×13; draw it at twice its size so the count reads at
	// 16–24 px tray sizes.
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil()
	small := image.NewNRGBA(image.Rect(0, 0, w, 13))
	d := font.Drawer{Dst: small, Src: image.NewUniform(color.White), Face: face, Dot: fixed.P(0, 10)}
	d.DrawString(text)
	big := image.Rect(0, 0, 2*w, 26).Add(image.Pt(cx-w, cy-13))
	xdraw.NearestNeighbor.Scale(out, big, small, small.Bounds(), draw.Over, nil)
	return out
}
