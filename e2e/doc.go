// Package e2e holds the end-to-end tests: the real desktop binary in a real
// window under Xvfb, and (later) real relays with real clients.
//
// Rules: e2e is imported by nothing; it drives built binaries and public
// APIs only, never package internals.
package e2e
