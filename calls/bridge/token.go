package bridge

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
)

// Token is the per-launch secret a page presents in its first message. It is
// made fresh by every Start and lives only in memory.
type Token struct{ text string }

func newToken() Token {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return Token{text: hex.EncodeToString(b[:])}
}

// Reveal is the token's text, for handing to the UI through the bindings only.
func (t Token) Reveal() string { return t.text }

// String hides the token so a stray %v never logs it.
func (t Token) String() string { return "bridge-token(redacted)" }

// Matches reports whether s is the token, in time independent of where they differ.
func (t Token) Matches(s string) bool {
	if t.text == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(t.text), []byte(s)) == 1
}
