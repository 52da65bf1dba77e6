package content

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/wire"
)

func id(b byte) ID { var x ID; x[0] = b; x[15] = b; return x }

func valid() []*Message {
	tok := bytes.Repeat([]byte{7}, TokenSize)
	at := time.UnixMilli(1_764_000_000_123)
	return []*Message{
		{Kind: KindText, ID: id(1), SentAt: at, Sender: "alice", Token: tok, Text: "hello, *bob* — ça va?"},
		{Kind: KindText, ID: id(2), SentAt: at, Sender: "alice", Text: "a reply", ReplyTo: id(1)},
		{Kind: KindReceipt, ID: id(3), SentAt: at, Sender: "bob", Target: id(1), Receipt: ReceiptRead},
		{Kind: KindTyping, ID: id(4), SentAt: at, Sender: "bob", Typing: true},
		{Kind: KindReaction, ID: id(5), SentAt: at, Sender: "bob", Target: id(1), Emoji: "👍🏽"},
		{Kind: KindReaction, ID: id(6), SentAt: at, Sender: "bob", Target: id(1)},
		{Kind: KindEdit, ID: id(7), SentAt: at, Sender: "alice", Target: id(1), Text: "hello again"},
		{Kind: KindDelete, ID: id(8), SentAt: at, Sender: "alice", Target: id(1)},
		{Kind: KindTimer, ID: id(9), SentAt: at, Sender: "alice", Timer: time.Hour},
		{Kind: KindAttachment, ID: id(10), SentAt: at, Sender: "alice", Text: "the plans",
			Attachment: &Attachment{Name: "plans.pdf", MIME: "application/pdf", Size: 12345,
				Key: [32]byte{1, 2, 3}, Digest: [32]byte{4, 5, 6}, Blobs: []string{"00112233445566778899aabbccddeeff", "ff"}}},
		{Kind: KindCall, ID: id(11), SentAt: at, Sender: "bob", Call: []byte("offer v=0 ..."), TreeHead: []byte{9, 9, 9}},
		{Kind: KindText, ID: id(12), SentAt: at, Sender: "bob", Text: "with a tree head", TreeHead: bytes.Repeat([]byte{1}, MaxTreeHead)},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range valid() {
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("%s: encode: %v", m.Kind, err)
		}
		if typ, err := wire.Peek(b); err != nil || typ != wire.TypeContent {
			t.Fatalf("%s: Peek = %v, %v", m.Kind, typ, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: decode: %v", m.Kind, err)
		}
		if !got.SentAt.Equal(m.SentAt) || got.Kind != m.Kind || got.ID != m.ID || got.Sender != m.Sender ||
			!bytes.Equal(got.Token, m.Token) || got.Text != m.Text || got.ReplyTo != m.ReplyTo ||
			got.Target != m.Target || got.Receipt != m.Receipt || got.Typing != m.Typing ||
			got.Emoji != m.Emoji || got.Timer != m.Timer || !sameAttachment(got.Attachment, m.Attachment) ||
			!bytes.Equal(got.Call, m.Call) || !bytes.Equal(got.TreeHead, m.TreeHead) {
			t.Fatalf("%s: round trip\n got %+v\nwant %+v", m.Kind, got, m)
		}
	}
}

func TestInvalid(t *testing.T) {
	at := time.UnixMilli(1)
	for name, m := range map[string]*Message{
		"no id":            {Kind: KindText, SentAt: at, Sender: "a", Text: "x"},
		"no sender":        {Kind: KindText, ID: id(1), Text: "x"},
		"long sender":      {Kind: KindText, ID: id(1), Sender: strings.Repeat("a", 33), Text: "x"},
		"empty text":       {Kind: KindText, ID: id(1), Sender: "a"},
		"huge text":        {Kind: KindText, ID: id(1), Sender: "a", Text: strings.Repeat("a", MaxText+1)},
		"bad utf8":         {Kind: KindText, ID: id(1), Sender: "a", Text: "\xff"},
		"short token":      {Kind: KindText, ID: id(1), Sender: "a", Text: "x", Token: []byte{1}},
		"receipt no type":  {Kind: KindReceipt, ID: id(1), Sender: "a", Target: id(2)},
		"receipt no tgt":   {Kind: KindReceipt, ID: id(1), Sender: "a", Receipt: ReceiptRead},
		"text with target": {Kind: KindText, ID: id(1), Sender: "a", Text: "x", Target: id(2)},
		"typing with text": {Kind: KindTyping, ID: id(1), Sender: "a", Text: "x"},
		"negative timer":   {Kind: KindTimer, ID: id(1), Sender: "a", Timer: -time.Second},
		"fraction timer":   {Kind: KindTimer, ID: id(1), Sender: "a", Timer: 1500 * time.Millisecond},
		"unknown kind":     {Kind: 99, ID: id(1), Sender: "a"},
		"emoji on text":    {Kind: KindText, ID: id(1), Sender: "a", Text: "x", Emoji: "👍"},
		"file on text":     {Kind: KindText, ID: id(1), Sender: "a", Text: "x", Attachment: &Attachment{Name: "f", Size: 1, Blobs: []string{"b"}}},
		"no file":          {Kind: KindAttachment, ID: id(1), Sender: "a"},
		"path in name":     {Kind: KindAttachment, ID: id(1), Sender: "a", Attachment: &Attachment{Name: "../x", Size: 1, Blobs: []string{"b"}}},
		"no blobs":         {Kind: KindAttachment, ID: id(1), Sender: "a", Attachment: &Attachment{Name: "f", Size: 1}},
		"empty call":       {Kind: KindCall, ID: id(1), Sender: "a"},
		"huge call":        {Kind: KindCall, ID: id(1), Sender: "a", Call: make([]byte, MaxCall+1)},
		"call on text":     {Kind: KindText, ID: id(1), Sender: "a", Text: "x", Call: []byte{1}},
		"huge tree head":   {Kind: KindText, ID: id(1), Sender: "a", Text: "x", TreeHead: make([]byte, MaxTreeHead+1)},
		"too big":          {Kind: KindAttachment, ID: id(1), Sender: "a", Attachment: &Attachment{Name: "f", Size: MaxAttachmentSize + 1, Blobs: []string{"b"}}},
	} {
		if _, err := Encode(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Encode error = %v, want ErrInvalid", name, err)
		}
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	b, err := Encode(valid()[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(append(append([]byte(nil), b...), 0)); !errors.Is(err, wire.ErrTrailingBytes) {
		t.Fatalf("trailing byte: %v", err)
	}
	for i := range len(b) {
		if _, err := Decode(b[:i]); err == nil {
			t.Fatalf("truncated at %d decoded", i)
		}
	}
	bad := append([]byte(nil), b...)
	bad[0] = 99
	if _, err := Decode(bad); !errors.Is(err, wire.ErrUnknownVersion) {
		t.Fatalf("unknown version: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range valid() {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decode/encode is not canonical")
		}
	})
}

func sameAttachment(a, b *Attachment) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Name != b.Name || a.MIME != b.MIME || a.Size != b.Size || a.Key != b.Key || a.Digest != b.Digest || len(a.Blobs) != len(b.Blobs) {
		return false
	}
	for i := range a.Blobs {
		if a.Blobs[i] != b.Blobs[i] {
			return false
		}
	}
	return true
}
