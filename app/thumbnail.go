package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoders for the formats thumbnails are made of
	"image/jpeg"
	_ "image/png"
	"io"
	"strings"

	"github.com/sotto-im/sotto/store"
)

// Thumbnails are made on this device from the decrypted image (never sent),
// kept encrypted in the profile's settings, and handed to the UI as a data
// URL. Images larger than maxPixels are refused before decoding.
const (
	thumbSide = 320
	maxPixels = 50_000_000
)

// ErrNotAnImage: the attachment is not an image this app can read.
var ErrNotAnImage = errors.New("not an image")

// Thumbnail returns a JPEG data URL of an image attachment, at most 320 px
// on its longer side.
func (c *Chats) Thumbnail(attachment int64) (string, error) {
	m, err := c.messenger()
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	name := fmt.Sprintf("thumb.%d", attachment)
	if b, err := m.Store().Setting(ctx, name); err == nil {
		return dataURL(b), nil
	}
	b, err := makeThumbnail(ctx, m.Store(), store.AttachmentID(attachment))
	if err != nil {
		return "", err
	}
	if err := m.Store().SetSetting(ctx, name, b); err != nil {
		return "", err
	}
	return dataURL(b), nil
}

func dataURL(jpg []byte) string {
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpg)
}

func makeThumbnail(ctx context.Context, st *store.Profile, id store.AttachmentID) ([]byte, error) {
	open := func() (io.ReadCloser, error) { return st.OpenAttachment(ctx, id) }
	rc, err := open()
	if err != nil {
		return nil, err
	}
	cfg, format, err := image.DecodeConfig(rc)
	rc.Close()
	if err != nil {
		return nil, ErrNotAnImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil, fmt.Errorf("%w: %s image of %d×%d is too large to preview", ErrNotAnImage, format, cfg.Width, cfg.Height)
	}
	rc, err = open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	img, _, err := image.Decode(rc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotAnImage, err)
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, shrink(img, thumbSide), &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// shrink scales img down (never up) so its longer side is at most side,
// averaging each block of source pixels (a box filter).
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := max(float64(w), float64(h)) / float64(side)
	if scale <= 1 {
		return img
	}
	tw, th := max(1, int(float64(w)/scale)), max(1, int(float64(h)/scale))
	out := image.NewRGBA(image.Rect(0, 0, tw, th))
	for y := range th {
		y0, y1 := b.Min.Y+y*h/th, b.Min.Y+(y+1)*h/th
		for x := range tw {
			x0, x1 := b.Min.X+x*w/tw, b.Min.X+(x+1)*w/tw
			var r, g, bl, a, n uint64
			for sy := y0; sy < max(y1, y0+1); sy++ {
				for sx := x0; sx < max(x1, x0+1); sx++ {
					cr, cg, cb, ca := img.At(sx, sy).RGBA()
					r, g, bl, a, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), a+uint64(ca), n+1
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(r / n >> 8), uint8(g / n >> 8), uint8(bl / n >> 8), uint8(a / n >> 8)})
		}
	}
	return out
}

// isImage reports whether a MIME type is one thumbnails are made for.
func isImage(mime string) bool {
	return strings.HasPrefix(mime, "image/jpeg") || strings.HasPrefix(mime, "image/png") || strings.HasPrefix(mime, "image/gif")
}
