package desktoptest

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// MenuEntry is one item of a tray menu as a panel sees it.
type MenuEntry struct {
	ID        int32
	Label     string // mnemonic underscores removed
	Separator bool
	Enabled   bool
	Toggled   bool // a checked check/radio item
	Children  []MenuEntry
}

// Labels lists the entries' labels, separators as "-".
func Labels(entries []MenuEntry) []string {
	var out []string
	for _, e := range entries {
		if e.Separator {
			out = append(out, "-")
			continue
		}
		out = append(out, e.Label)
	}
	return out
}

// Find returns the entry reached by a path of labels.
func Find(entries []MenuEntry, path ...string) (MenuEntry, bool) {
	for _, e := range entries {
		if e.Label != path[0] {
			continue
		}
		if len(path) == 1 {
			return e, true
		}
		return Find(e.Children, path[1:]...)
	}
	return MenuEntry{}, false
}

func (d *Desktop) itemObject(it Item) dbus.BusObject {
	return d.conn.Object(it.Sender, dbus.ObjectPath(it.Path))
}

func (d *Desktop) menuObject(it Item) (dbus.BusObject, error) {
	v, err := d.itemObject(it).GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		return nil, fmt.Errorf("tray menu path: %w", err)
	}
	p, ok := v.Value().(dbus.ObjectPath)
	if !ok {
		return nil, fmt.Errorf("tray menu path is %T", v.Value())
	}
	return d.conn.Object(it.Sender, p), nil
}

// Menu reads the item's whole menu (com.canonical.dbusmenu GetLayout).
func (d *Desktop) Menu(it Item) ([]MenuEntry, error) {
	obj, err := d.menuObject(it)
	if err != nil {
		return nil, err
	}
	var (
		revision uint32
		root     []any
	)
	call := obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &root); err != nil {
		return nil, fmt.Errorf("tray menu layout: %w", err)
	}
	e, err := menuEntry(root)
	if err != nil {
		return nil, err
	}
	return e.Children, nil
}

func menuEntry(fields []any) (MenuEntry, error) {
	var (
		id       int32
		props    map[string]dbus.Variant
		children []dbus.Variant
	)
	if err := dbus.Store(fields, &id, &props, &children); err != nil {
		return MenuEntry{}, fmt.Errorf("tray menu entry: %w", err)
	}
	e := MenuEntry{ID: id, Enabled: true}
	if v, ok := props["label"]; ok {
		s, _ := v.Value().(string)
		e.Label = strings.ReplaceAll(s, "_", "")
	}
	if v, ok := props["type"]; ok {
		e.Separator = v.Value() == "separator"
	}
	if v, ok := props["enabled"]; ok {
		e.Enabled, _ = v.Value().(bool)
	}
	if v, ok := props["toggle-state"]; ok {
		n, _ := v.Value().(int32)
		e.Toggled = n == 1
	}
	for _, c := range children {
		f, ok := c.Value().([]any)
		if !ok {
			return MenuEntry{}, fmt.Errorf("tray menu child is %T", c.Value())
		}
		ce, err := menuEntry(f)
		if err != nil {
			return MenuEntry{}, err
		}
		e.Children = append(e.Children, ce)
	}
	return e, nil
}

// Click clicks the menu entry reached by a path of labels.
func (d *Desktop) Click(it Item, path ...string) error {
	menu, err := d.Menu(it)
	if err != nil {
		return err
	}
	e, ok := Find(menu, path...)
	if !ok {
		return fmt.Errorf("no menu entry %q in %v", path, Labels(menu))
	}
	obj, err := d.menuObject(it)
	if err != nil {
		return err
	}
	d.record(Record{Call: "click " + strings.Join(path, " → ")})
	return obj.Call("com.canonical.dbusmenu.Event", 0, e.ID, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
}

// Icon reads the item's largest icon (IconPixmap, ARGB32 big-endian).
func (d *Desktop) Icon(it Item) (image.Image, error) {
	v, err := d.itemObject(it).GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		return nil, fmt.Errorf("tray icon: %w", err)
	}
	var pixmaps []struct {
		W, H int32
		Pix  []byte
	}
	if err := dbus.Store([]any{v.Value()}, &pixmaps); err != nil {
		return nil, fmt.Errorf("tray icon: %w", err)
	}
	best := -1
	for i, p := range pixmaps {
		if best < 0 || p.W*p.H > pixmaps[best].W*pixmaps[best].H {
			best = i
		}
	}
	if best < 0 {
		return nil, fmt.Errorf("tray icon: no pixmap")
	}
	p := pixmaps[best]
	if int(p.W)*int(p.H)*4 != len(p.Pix) {
		return nil, fmt.Errorf("tray icon: %dx%d with %d bytes", p.W, p.H, len(p.Pix))
	}
	img := image.NewNRGBA(image.Rect(0, 0, int(p.W), int(p.H)))
	for i := 0; i < int(p.W*p.H); i++ {
		a, r, g, b := p.Pix[4*i], p.Pix[4*i+1], p.Pix[4*i+2], p.Pix[4*i+3]
		img.SetNRGBA(i%int(p.W), i/int(p.W), color.NRGBA{r, g, b, a})
	}
	return img, nil
}

// Tooltip reads the item's tooltip title.
func (d *Desktop) Tooltip(it Item) (string, error) {
	v, err := d.itemObject(it).GetProperty("org.kde.StatusNotifierItem.ToolTip")
	if err != nil {
		return "", err
	}
	var tip struct {
		Icon   string
		Pixmap []struct {
			W, H int32
			Pix  []byte
		}
		Title, Text string
	}
	if err := dbus.Store([]any{v.Value()}, &tip); err != nil {
		return "", err
	}
	return tip.Title, nil
}
