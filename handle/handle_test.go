package handle

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"alice", "alice", nil},
		{"@alice", "alice", nil},
		{"Alice", "alice", nil},
		{"ALICE_99", "alice_99", nil},
		{"ａｌｉｃｅ", "alice", nil}, // fullwidth → NFKC
		{"ＡＢＣ", "abc", nil},
		{"abc", "abc", nil},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), nil},
		{"", "", ErrEmpty},
		{"@", "", ErrEmpty},
		{"ab", "", ErrTooShort},
		{strings.Repeat("a", 33), "", ErrTooLong},
		{strings.Repeat("a", 1000), "", ErrTooLong},
		{"al ice", "", ErrInvalid},
		{"alice-b", "", ErrInvalid},
		{"аlice", "", ErrInvalid}, // Cyrillic а
		{"alicé", "", ErrInvalid},
		{"@@alice", "", ErrInvalid},
		{"ali\x00ce", "", ErrInvalid},
		{"\xff\xfeabc", "", ErrInvalid},
		{"ﬁle", "file", nil}, // ligature → NFKC
	}
	for _, tt := range tests {
		h, err := Parse(tt.in)
		if !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if h.String() != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, h.String(), tt.want)
		}
		if err == nil && h.Display() != "@"+tt.want {
			t.Errorf("Display = %q", h.Display())
		}
	}
}

func TestErrorsDoNotLeakInput(t *testing.T) {
	for _, in := range []string{"secret-name", "xy", strings.Repeat("q", 40)} {
		_, err := Parse(in)
		if err == nil {
			t.Fatalf("Parse(%q) accepted", in)
		}
		if strings.Contains(err.Error(), in) {
			t.Errorf("error %q contains the input", err)
		}
	}
}

func TestHashVector(t *testing.T) {
	h := MustParse("@Alice")
	want := sha256.Sum256([]byte("sotto-handle-v1alice"))
	if h.Hash() != Hash(want) {
		t.Fatalf("Hash = %x, want %x", h.Hash(), want)
	}
	// Fixed vector so an accidental change of the scheme fails loudly.
	if got := h.Hash().String(); got != "67d6717d32a66a91fe8231d60948889350e0753273eabba59211ee5556437b70" {
		t.Fatalf("unexpected hash %s", got)
	}
	p, err := ParseHash(h.Hash().String())
	if err != nil || p != h.Hash() {
		t.Fatalf("ParseHash round trip: %v", err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("g", 64), strings.Repeat("a", 63)} {
		if _, err := ParseHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("ParseHash(%q) = %v", bad, err)
		}
	}
}

func TestTextRoundTrip(t *testing.T) {
	type doc struct {
		H Handle `json:"h"`
		X Hash   `json:"x"`
	}
	in := doc{H: MustParse("bob_1"), X: MustParse("bob_1").Hash()}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"h":"bob_1","x":"`+in.X.String()+`"}` {
		t.Fatalf("json = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip %+v != %+v", out, in)
	}
	if err := json.Unmarshal([]byte(`{"h":"no"}`), &out); !errors.Is(err, ErrTooShort) {
		t.Fatalf("bad handle accepted: %v", err)
	}
	if _, err := (Handle{}).MarshalText(); err == nil {
		t.Fatal("zero handle marshalled")
	}
}

func TestSkeleton(t *testing.T) {
	same := [][2]string{
		{"robin", "r0bin"},
		{"modern", "rnodern"},
		{"paypal", "paypa1"},
		{"william", "wi11iam"},
		{"vvalter", "walter"},
		{"alice", "a_lice"},
		{"alice", "al1ce"},
		{"uuu", "vvv"},
		{"clean", "dean"},
	}
	for _, p := range same {
		a, b := MustParse(p[0]), MustParse(p[1])
		if a.Skeleton() != b.Skeleton() {
			t.Errorf("skeleton(%s)=%q != skeleton(%s)=%q", p[0], a.Skeleton(), p[1], b.Skeleton())
		}
		if a.SkeletonHash() != b.SkeletonHash() {
			t.Errorf("skeleton hashes differ for %s/%s", p[0], p[1])
		}
	}
	differ := [][2]string{{"alice", "bob"}, {"alice", "alicia"}, {"abc", "abd"}}
	for _, p := range differ {
		if MustParse(p[0]).Skeleton() == MustParse(p[1]).Skeleton() {
			t.Errorf("%s and %s should not be confusable", p[0], p[1])
		}
	}
}

func TestZeroPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Hash of zero handle did not panic")
		}
	}()
	_ = Handle{}.Hash()
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"alice", "@Bob_1", "ａｌｉｃｅ", "ﬁle", "аlice", "\xff", "", "rnrnrn", strings.Repeat("_", 32)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			if !h.IsZero() {
				t.Fatal("error with non-zero handle")
			}
			return
		}
		n := h.String()
		if len(n) < MinLen || len(n) > MaxLen {
			t.Fatalf("length %d accepted", len(n))
		}
		for i := 0; i < len(n); i++ {
			if !allowed(n[i]) {
				t.Fatalf("byte %q accepted", n[i])
			}
		}
		// Parse is idempotent and the text form round-trips.
		again, err := Parse(n)
		if err != nil || again != h {
			t.Fatalf("Parse(%q) not idempotent: %v", n, err)
		}
		b, err := h.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Handle
		if err := back.UnmarshalText(b); err != nil || back != h {
			t.Fatalf("text round trip: %v", err)
		}
		sk := h.Skeleton()
		if skeleton(sk) != sk {
			t.Fatalf("skeleton not a fixed point: %q", sk)
		}
		_ = h.Hash()
	})
}

func FuzzParseHash(f *testing.F) {
	f.Add(MustParse("alice").Hash().String())
	f.Add("xyz")
	f.Fuzz(func(t *testing.T, s string) {
		x, err := ParseHash(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(x.String(), s) {
			t.Fatalf("round trip %q -> %q", s, x.String())
		}
	})
}
