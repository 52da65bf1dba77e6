package desktop

import (
	"fmt"
	"time"

	"github.com/sotto-im/sotto/desktop/tray"
)

// DNDChoice is a Do not disturb choice: "hour", "tomorrow" or "off".
type DNDChoice string

const (
	DNDOff      DNDChoice = "off"
	DNDHour     DNDChoice = "hour"
	DNDTomorrow DNDChoice = "tomorrow"
)

// ErrUnknownDND: a Do not disturb choice other than off, hour, tomorrow.
var ErrUnknownDND = fmt.Errorf("do not disturb must be off, hour or tomorrow")

// morning is when "until tomorrow" ends, local time.
const morning = 8

// dndUntil is when a choice made at now ends (zero: off).
func dndUntil(c DNDChoice, now time.Time) (time.Time, error) {
	switch c {
	case DNDOff:
		return time.Time{}, nil
	case DNDHour:
		return now.Add(time.Hour), nil
	case DNDTomorrow:
		y, m, d := now.Date()
		return time.Date(y, m, d+1, morning, 0, 0, 0, now.Location()), nil
	}
	return time.Time{}, ErrUnknownDND
}

// DNDView is the Do not disturb state the UI shows.
type DNDView struct {
	Active bool   `json:"active"`
	Until  int64  `json:"until"` // unix ms, 0 when off
	Label  string `json:"label"` // "until 15:00", "until tomorrow, 8:00", ""
}

func dndView(until, now time.Time) DNDView {
	if until.IsZero() || !now.Before(until) {
		return DNDView{}
	}
	return DNDView{Active: true, Until: until.UnixMilli(), Label: untilLabel(until, now)}
}

func untilLabel(until, now time.Time) string {
	ty, tm, td := now.Date()
	uy, um, ud := until.Date()
	if ty == uy && tm == um && td == ud {
		return "until " + until.Format("15:04")
	}
	if tomorrow := now.AddDate(0, 0, 1); tomorrow.Year() == uy && tomorrow.Month() == um && tomorrow.Day() == ud {
		return "until tomorrow, " + until.Format("15:04")
	}
	return "until " + until.Format("2 Jan 15:04")
}

func trayChoice(c DNDChoice) tray.DND {
	switch c {
	case DNDHour:
		return tray.DNDHour
	case DNDTomorrow:
		return tray.DNDTomorrow
	}
	return tray.DNDOff
}

func fromTray(d tray.DND) DNDChoice {
	switch d {
	case tray.DNDHour:
		return DNDHour
	case tray.DNDTomorrow:
		return DNDTomorrow
	}
	return DNDOff
}
