package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/api"
)

func tokenServer() *Server {
	s := &Server{tokenKey: []byte("0123456789abcdef0123456789abcdef")}
	s.cfg.Now = time.Now
	return s
}

func TestToken(t *testing.T) {
	s := tokenServer()
	a := api.Addr{1, 2, 3}
	tok := s.issueToken(a, time.Now().Add(time.Minute))
	got, e := s.checkToken(tok)
	if e != nil || got != a {
		t.Fatalf("valid token: %v", e)
	}
	other := &Server{tokenKey: []byte("another key another key another!")}
	other.cfg.Now = time.Now
	if _, e := other.checkToken(tok); e == nil || e.Code != api.CodeUnauthorized {
		t.Fatalf("token accepted under another key: %v", e)
	}
	if _, e := s.checkToken(s.issueToken(a, time.Now().Add(-time.Second))); e == nil || e.Code != api.CodeTokenExpired {
		t.Fatalf("expired token: %v", e)
	}
	// Flip each character of the body: never valid for another device.
	for i := len(tokenPrefix); i < len(tok); i++ {
		b := []byte(tok)
		b[i] ^= 1
		if got, e := s.checkToken(string(b)); e == nil && got != a {
			t.Fatalf("tampered token names another device")
		}
	}
}

func FuzzCheckToken(f *testing.F) {
	s := tokenServer()
	f.Add(s.issueToken(api.Addr{9}, time.Now().Add(time.Hour)))
	f.Add("v1.")
	f.Add("v1." + strings.Repeat("A", 54))
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, tok string) {
		a, e := s.checkToken(tok)
		if e == nil && s.issueToken(a, time.Unix(0, 0)) == "" {
			t.Fatal("unreachable")
		}
		if e != nil && len(tok) >= 8 && strings.Contains(e.Message, tok) {
			t.Fatalf("error echoes the token: %q", e.Message)
		}
	})
}

func FuzzParseAddr(f *testing.F) {
	f.Add(api.Addr{1}.String())
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := api.ParseAddr(s)
		if err == nil && !strings.EqualFold(a.String(), s) {
			t.Fatalf("round trip %q → %q", s, a)
		}
	})
}
