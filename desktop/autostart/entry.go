package autostart

import (
	"errors"
	"fmt"
	"strings"
)

// Entry is what to start at login.
type Entry struct {
	// Name identifies the entry (file or value name): a-z, 0-9, '-', '_'
	// and '.', e.g. "sotto" or "sotto-work".
	Name string
	// DisplayName is what the system's startup settings show.
	DisplayName string
	// Exec is the absolute path of the program.
	Exec string
	Args []string
}

// ErrInvalidName: an entry name outside a-z, 0-9, '-', '_', '.'.
var ErrInvalidName = errors.New("autostart: invalid entry name")

func checkName(name string) error {
	if name == "" || len(name) > 64 || strings.HasPrefix(name, ".") {
		return ErrInvalidName
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' && r != '.' {
			return ErrInvalidName
		}
	}
	return nil
}

func (e Entry) check() error {
	if err := checkName(e.Name); err != nil {
		return err
	}
	if e.Exec == "" {
		return fmt.Errorf("autostart: no program to start")
	}
	return nil
}

// desktopEntry is the XDG autostart file for e. Exec follows the Desktop
// Entry spec: arguments with reserved characters in double quotes, with
// `"`, '`', '$' and '\' escaped inside, then the string escape of '\' and
// a literal '%' doubled.
func desktopEntry(e Entry) string {
	var exec []string
	for _, a := range append([]string{e.Exec}, e.Args...) {
		exec = append(exec, desktopQuote(a))
	}
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=" + oneLine(e.DisplayName) + "\n" +
		"Exec=" + strings.Join(exec, " ") + "\n" +
		"Icon=sotto\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
}

func desktopQuote(a string) string {
	a = strings.ReplaceAll(a, "%", "%%")
	if a != "" && !strings.ContainsAny(a, " \t\n\"'\\><~|&;$*?#()`=") {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range a {
		switch r {
		case '"', '`', '$':
			b.WriteString(`\\`) // the quoting backslash, itself string-escaped
			b.WriteRune(r)
		case '\\':
			b.WriteString(`\\\\`)
		case '\n':
			b.WriteString(" ")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// windowsCommandLine quotes the program and its arguments the way
// CommandLineToArgvW splits them.
func windowsCommandLine(e Entry) string {
	parts := make([]string, 0, 1+len(e.Args))
	for _, a := range append([]string{e.Exec}, e.Args...) {
		parts = append(parts, windowsQuote(a))
	}
	return strings.Join(parts, " ")
}

func windowsQuote(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\"") {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for _, r := range a {
		switch r {
		case '\\':
			slashes++
			continue
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
		default:
			b.WriteString(strings.Repeat(`\`, slashes))
		}
		slashes = 0
		b.WriteRune(r)
	}
	b.WriteString(strings.Repeat(`\`, 2*slashes))
	b.WriteByte('"')
	return b.String()
}

// launchAgentLabel is the LaunchAgent's label (and file name) for a name.
func launchAgentLabel(name string) string { return "im.sotto." + name }

// launchAgent is the macOS LaunchAgent plist for e.
func launchAgent(e Entry) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>`)
	b.WriteString(xmlText(launchAgentLabel(e.Name)))
	b.WriteString("</string>\n\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{e.Exec}, e.Args...) {
		b.WriteString("\t\t<string>" + xmlText(a) + "</string>\n")
	}
	b.WriteString("\t</array>\n\t<key>RunAtLoad</key>\n\t<true/>\n\t<key>ProcessType</key>\n\t<string>Interactive</string>\n</dict>\n</plist>\n")
	return b.String()
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
