package main

import (
	"context"
	"errors"

	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// Dialogs are the native file choosers the UI needs for attachments and
// backups. They are Wails glue, so they live beside main.go, not in app/.
type Dialogs struct {
	ctx func() context.Context
}

var errNoWindow = errors.New("the window is not ready")

// ChooseFile asks for a file to open; "" means the person cancelled.
func (d *Dialogs) ChooseFile(title string) (string, error) {
	c := d.ctx()
	if c == nil {
		return "", errNoWindow
	}
	return wailsruntime.OpenFileDialog(c, wailsruntime.OpenDialogOptions{Title: title})
}

// ChooseSavePath asks where to save a file, suggesting name; "" means the
// person cancelled.
func (d *Dialogs) ChooseSavePath(title, name string) (string, error) {
	c := d.ctx()
	if c == nil {
		return "", errNoWindow
	}
	return wailsruntime.SaveFileDialog(c, wailsruntime.SaveDialogOptions{Title: title, DefaultFilename: name})
}
