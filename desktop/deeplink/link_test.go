package deeplink

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	ok := []struct {
		in     string
		action Action
		handle string
		video  bool
	}{
		{"sotto://chat/@bob", ActionChat, "bob", false},
		{"sotto://chat/bob", ActionChat, "bob", false},
		{"SOTTO://chat/@Bob_2", ActionChat, "bob_2", false},
		{"sotto://call/@bob", ActionCall, "bob", false},
		{"sotto://call/@bob?video=1", ActionCall, "bob", true},
		{"sotto://call/@bob?video=0", ActionCall, "bob", false},
		{"https://sotto.im/@alice", ActionChat, "alice", false},
		{"HTTPS://Sotto.IM/@alice", ActionChat, "alice", false},
		{"sotto://call/@" + strings.Repeat("a", 32) + "?video=1", ActionCall, strings.Repeat("a", 32), true},
	}
	for _, tc := range ok {
		l, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if l.Action != tc.action || l.Handle.String() != tc.handle || l.Video != tc.video {
			t.Errorf("Parse(%q) = %+v (%s), want %v @%s video=%v", tc.in, l, l.Handle, tc.action, tc.handle, tc.video)
		}
	}

	bad := []struct {
		in  string
		err error
	}{
		{"", ErrNotLink},
		{"bob", ErrNotLink},
		{"http://sotto.im/@bob", ErrNotLink},
		{"https://evil.example/@bob", ErrNotLink},
		{"https://sotto.im.evil.example/@bob", ErrNotLink},
		{"https://sotto.im/bob", ErrNotLink},
		{"https://sotto.im/@bob?x=1", ErrBadHandle},
		{"https://sotto.im/@bob/", ErrBadHandle},
		{"sotto:chat/@bob", ErrNotLink},
		{"sotto://", ErrUnknownAction},
		{"sotto://chat", ErrUnknownAction},
		{"sotto://ring/@bob", ErrUnknownAction},
		{"sotto://accept/@bob", ErrUnknownAction},
		{"sotto://Chat/@bob", ErrUnknownAction},
		{"sotto://user@chat/@bob", ErrUnknownAction},
		{"sotto://chat:80/@bob", ErrUnknownAction},
		{"sotto://chat/@", ErrBadHandle},
		{"sotto://chat/@bo", ErrBadHandle},
		{"sotto://chat/@@bob", ErrBadHandle},
		{"sotto://chat/@bob/", ErrBadHandle},
		{"sotto://chat/@bob/extra", ErrBadHandle},
		{"sotto://chat/@bob#frag", ErrBadHandle},
		{"sotto://chat/%40bob", ErrBadHandle},
		{"sotto://chat/@b%6Fb", ErrBadHandle},
		{"sotto://chat/@ｂｏｂ", ErrBadHandle}, // full-width letters NFKC-fold to bob: refused in links
		{"sotto://chat/@bob\x00", ErrBadHandle},
		{"sotto://chat/@bob\n", ErrBadHandle},
		{"sotto://chat/@bob?video=1", ErrBadQuery},
		{"sotto://call/@bob?video=2", ErrBadQuery},
		{"sotto://call/@bob?video=1&video=1", ErrBadQuery},
		{"sotto://call/@bob?autoanswer=1", ErrBadQuery},
		{"sotto://call/@bob?", ErrBadQuery},
		{"sotto://call/@" + strings.Repeat("a", 33), ErrBadHandle},
		{"sotto://call/@bob?video=1" + strings.Repeat(" ", MaxLen), ErrTooLong},
	}
	for _, tc := range bad {
		if l, err := Parse(tc.in); !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q) = %+v, %v; want %v", tc.in, l, err, tc.err)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, in := range []string{"sotto://chat/@bob", "sotto://call/@bob", "sotto://call/@bob?video=1"} {
		l, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if l.String() != in {
			t.Errorf("%q → %q", in, l.String())
		}
	}
}

func TestFromArgs(t *testing.T) {
	l, ok, errs := FromArgs([]string{"--profile", "alice", "sotto://ring/@x", "notes.txt", "sotto://call/@bob?video=1", "sotto://chat/@carol"})
	if !ok || l.Action != ActionCall || l.Handle.String() != "bob" || !l.Video {
		t.Fatalf("FromArgs = %+v, %v", l, ok)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrUnknownAction) {
		t.Fatalf("errors %v", errs)
	}
	if _, ok, errs := FromArgs([]string{"--hidden"}); ok || len(errs) != 0 {
		t.Fatalf("no link: ok=%v errs=%v", ok, errs)
	}
}

func TestDescribe(t *testing.T) {
	long := "sotto://chat/@bob?" + strings.Repeat("\x1b[31m", 40)
	d := Describe(long)
	if strings.ContainsAny(d, "\x1b\n") || len(d) > 3*describeMax+40 {
		t.Fatalf("Describe leaks raw bytes or is long: %q", d)
	}
	if !strings.Contains(d, "bytes)") {
		t.Fatalf("Describe of a long link does not say it was cut: %q", d)
	}
	if got := Describe("sotto://x\u202e"); !utf8.ValidString(got) || strings.ContainsRune(got, '\u202e') {
		t.Fatalf("Describe keeps a bidi override: %q", got)
	}
}

// FuzzParse: no input panics; whatever parses is a valid link whose
// canonical form parses back to the same link and stays short.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"sotto://chat/@bob", "sotto://call/@bob?video=1", "https://sotto.im/@alice", "sotto://call/bob?video=0",
		"sotto://chat/%40bob", "sotto://", "SOTTO://CALL/@X", "https://sotto.im/@", "sotto://chat/@ｂｏｂ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if err != nil {
			if l != (Link{}) {
				t.Fatalf("error with a non-zero link: %+v", l)
			}
			_ = Describe(s)
			return
		}
		if l.Action == ActionUnknown || l.Handle.IsZero() {
			t.Fatalf("accepted %q as %+v", s, l)
		}
		if l.Video && l.Action != ActionCall {
			t.Fatalf("video on a %v link", l.Action)
		}
		again, err := Parse(l.String())
		if err != nil || again != l {
			t.Fatalf("%q → %q → %+v, %v", s, l.String(), again, err)
		}
		if len(s) > MaxLen {
			t.Fatalf("accepted %d bytes", len(s))
		}
	})
}
