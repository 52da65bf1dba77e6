package desktop

import (
	"fmt"

	"github.com/sotto-im/sotto/app"
)

// What notifications say at each privacy level. When content is hidden the
// notification says so, and why, so nobody thinks Sotto lost a message.
const (
	hiddenText   = "Open Sotto to read it. The text is hidden by your notification setting (Settings → Privacy)."
	hiddenAll    = "Who sent it and what it says are hidden by your notification setting (Settings → Privacy)."
	requestHint  = "Open Sotto to read it and accept or block."
	callHidden   = "Who is calling is hidden by your notification setting (Settings → Privacy)."
	previewBytes = 240
)

// messageWords are the title and body of a new-message notification.
func messageWords(n app.Notice) (title, body string) {
	switch {
	case n.Level == "none" && n.Request:
		return "Sotto", "New message request. " + hiddenAll
	case n.Level == "none":
		return "Sotto", "New message. " + hiddenAll
	case n.Level == "name" && n.Request:
		return "Message request from @" + n.Handle, requestHint + " The text is hidden by your notification setting (Settings → Privacy)."
	case n.Level == "name":
		return "@" + n.Handle, hiddenText
	case n.Request:
		return "Message request from @" + n.Handle, preview(n.Text)
	}
	return "@" + n.Handle, preview(n.Text)
}

// callWords are the title and body of an incoming-call notification.
func callWords(level, handle string, video bool) (title, body string) {
	kind := "Voice call"
	if video {
		kind = "Video call"
	}
	if level == "none" {
		return "Incoming call", kind + ". " + callHidden
	}
	return fmt.Sprintf("@%s is calling", handle), kind
}

// missedWords are the title and body of a missed-call notification.
func missedWords(level, handle string, video bool) (title, body string) {
	kind := "voice call"
	if video {
		kind = "video call"
	}
	if level == "none" {
		return "Missed call", "A " + kind + ". " + callHidden
	}
	return "Missed call from @" + handle, "A " + kind + " you did not answer."
}

// preview is the start of a message on one line.
func preview(s string) string {
	out := make([]rune, 0, len(s))
	space := false
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			r = ' '
		}
		if r == ' ' && space {
			continue
		}
		space = r == ' '
		out = append(out, r)
	}
	t := string(out)
	if len(t) > previewBytes {
		cut := previewBytes
		for cut > 0 && t[cut]&0xC0 == 0x80 {
			cut--
		}
		t = t[:cut] + "…"
	}
	return t
}
