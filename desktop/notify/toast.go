package notify

import (
	"bytes"
	"encoding/xml"
)

// toastXML is the Windows toast for n: title and body as text, and, when n
// has a Link, a click that launches it (protocol activation), which reaches
// the running app through the single-instance hand-off. Buttons need a COM
// activator registered by the installer; Sotto does not have one yet, so
// Actions are left out (the window shows Accept and Decline).
func toastXML(n Notification) string {
	var b bytes.Buffer
	b.WriteString(`<toast`)
	if n.Link != "" {
		b.WriteString(` activationType="protocol" launch="`)
		xmlEscape(&b, n.Link)
		b.WriteString(`"`)
	}
	if n.Urgency == UrgencyCritical {
		b.WriteString(` scenario="incomingCall"`)
	}
	b.WriteString(`><visual><binding template="ToastGeneric"><text>`)
	xmlEscape(&b, clip(n.Title, maxBody))
	b.WriteString(`</text><text>`)
	xmlEscape(&b, clip(n.Body, maxBody))
	b.WriteString(`</text></binding></visual></toast>`)
	return b.String()
}

func xmlEscape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
