package bridge

import "strings"

// AppOrigins are the origins of Sotto's own pages: Wails serves the UI from
// wails://wails on Linux and macOS and http://wails.localhost on Windows.
var AppOrigins = []string{"wails://wails", "http://wails.localhost"}

// origins is the set of Origin header values a connection may carry. A page on
// any other origin (a website in the user's browser probing 127.0.0.1, or one
// reached through DNS rebinding) is refused before the upgrade.
type origins map[string]struct{}

func newOrigins(extra []string) origins {
	o := origins{}
	for _, s := range append(append([]string{}, AppOrigins...), extra...) {
		if s = normaliseOrigin(s); s != "" {
			o[s] = struct{}{}
		}
	}
	return o
}

// allows is an exact match after normalising case and a trailing slash; a
// missing Origin is refused (browsers always send one on WebSocket upgrades).
func (o origins) allows(origin string) bool {
	origin = normaliseOrigin(origin)
	if origin == "" {
		return false
	}
	_, ok := o[origin]
	return ok
}

func normaliseOrigin(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "/")
}
