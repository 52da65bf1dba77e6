package content

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sotto-im/sotto/crypto/wire"
)

// Limits on what one message may carry.
const (
	MaxText      = 64 << 10 // bytes of UTF-8
	MaxHandle    = 32
	MaxEmoji     = 32 // bytes: one emoji, possibly with modifiers
	TokenSize    = 32 // a relay delivery token
	IDSize       = 16
	maxTimerSecs = 4 * 7 * 24 * 3600 // four weeks

	MaxFileName       = 255
	MaxMIME           = 100
	MaxAttachmentSize = 100 << 20 // plaintext bytes
	MaxBlobs          = 64
	MaxBlobID         = 64

	// MaxCall caps a call signaling blob (an SDP offer is a few KiB).
	MaxCall = 32 << 10
	// MaxTreeHead caps the sender's latest key-transparency tree head.
	MaxTreeHead = 1 << 10
)

// Attachment points at an encrypted file the sender uploaded to the relay in
// one or more blobs. Key decrypts it (crypto/attachment); Digest is the
// SHA-256 of the whole ciphertext, checked before anything is decrypted.
type Attachment struct {
	Name   string
	MIME   string
	Size   int64 // plaintext bytes
	Key    [32]byte
	Digest [32]byte
	Blobs  []string
}

func (a *Attachment) validate() error {
	if a.Name == "" || len(a.Name) > MaxFileName || !utf8.ValidString(a.Name) || strings.ContainsAny(a.Name, "/\\\x00") {
		return fmt.Errorf("file name")
	}
	if len(a.MIME) > MaxMIME || !utf8.ValidString(a.MIME) {
		return fmt.Errorf("MIME type")
	}
	if a.Size < 0 || a.Size > MaxAttachmentSize {
		return fmt.Errorf("size %d", a.Size)
	}
	if len(a.Blobs) == 0 || len(a.Blobs) > MaxBlobs {
		return fmt.Errorf("%d blobs", len(a.Blobs))
	}
	for _, b := range a.Blobs {
		if b == "" || len(b) > MaxBlobID {
			return fmt.Errorf("blob id")
		}
	}
	return nil
}

// Kind says what a message is.
type Kind uint8

const (
	KindUnknown    Kind = iota
	KindText            // Text, optionally ReplyTo
	KindReceipt         // Receipt about Target
	KindTyping          // Typing started (true) or stopped
	KindReaction        // Emoji on Target ("" removes)
	KindEdit            // Text replaces Target's text
	KindDelete          // Target is deleted for everyone
	KindTimer           // the conversation's disappearing timer becomes Timer
	KindAttachment      // a file (Attachment), with Text as an optional caption
	KindCall            // call signaling (Call, opaque here; package calls decodes it)
)

func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindReceipt:
		return "receipt"
	case KindTyping:
		return "typing"
	case KindReaction:
		return "reaction"
	case KindEdit:
		return "edit"
	case KindDelete:
		return "delete"
	case KindTimer:
		return "timer"
	case KindAttachment:
		return "attachment"
	case KindCall:
		return "call"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Receipt is the kind of a receipt.
type Receipt uint8

const (
	ReceiptNone      Receipt = iota
	ReceiptDelivered         // the recipient's device stored the message
	ReceiptRead              // the recipient saw it
)

// ID names a message across devices; the sender picks it at random.
type ID [IDSize]byte

// IsZero reports whether id is unset.
func (id ID) IsZero() bool { return id == ID{} }

// Errors Decode and Validate return (test with errors.Is).
var (
	ErrInvalid = errors.New("content: invalid message")
)

// Message is one content message. Which fields matter depends on Kind; the
// others must be zero.
type Message struct {
	Kind   Kind
	ID     ID
	SentAt time.Time // millisecond precision on the wire
	// Sender is the sender's normalised handle, as they claim it. The
	// receiver checks the claim against the relay's key directory before it
	// believes it.
	Sender string
	// Token is the sender's delivery token: with it the receiver can send
	// sealed envelopes back without telling the relay who sends them.
	Token []byte

	Text    string
	ReplyTo ID
	Target  ID
	Receipt Receipt
	Typing  bool
	Emoji   string
	Timer   time.Duration // whole seconds

	Attachment *Attachment

	// Call is a call signaling message (KindCall only), opaque to this
	// package.
	Call []byte
	// TreeHead is the sender's latest signed key-transparency tree head,
	// opaque here; allowed on every kind so contacts can compare views.
	TreeHead []byte
}

// Validate checks that m is well formed for its kind.
func (m *Message) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, m.Kind, fmt.Sprintf(format, args...))
	}
	if m.ID.IsZero() {
		return fail("no id")
	}
	if len(m.Sender) == 0 || len(m.Sender) > MaxHandle {
		return fail("sender handle length %d", len(m.Sender))
	}
	if m.Token != nil && len(m.Token) != TokenSize {
		return fail("token length %d", len(m.Token))
	}
	if len(m.Text) > MaxText || !utf8.ValidString(m.Text) {
		return fail("text is too long or not UTF-8")
	}
	if len(m.Emoji) > MaxEmoji || !utf8.ValidString(m.Emoji) {
		return fail("emoji is too long or not UTF-8")
	}
	if m.Timer < 0 || m.Timer > maxTimerSecs*time.Second || m.Timer%time.Second != 0 {
		return fail("timer %v", m.Timer)
	}
	needTarget := m.Kind == KindReceipt || m.Kind == KindReaction || m.Kind == KindEdit || m.Kind == KindDelete
	if needTarget == m.Target.IsZero() {
		return fail("target must be set exactly for receipts, reactions, edits and deletes")
	}
	if (m.Kind == KindAttachment) != (m.Attachment != nil) {
		return fail("an attachment goes exactly with the attachment kind")
	}
	switch m.Kind {
	case KindAttachment:
		if err := m.Attachment.validate(); err != nil {
			return fail("attachment: %v", err)
		}
	case KindText:
		if m.Text == "" {
			return fail("empty text")
		}
	case KindEdit:
		if m.Text == "" {
			return fail("empty edit")
		}
	case KindReceipt:
		if m.Receipt != ReceiptDelivered && m.Receipt != ReceiptRead {
			return fail("receipt type %d", m.Receipt)
		}
	case KindReaction:
		// An empty emoji removes the sender's reaction.
	case KindCall:
		if len(m.Call) == 0 || len(m.Call) > MaxCall {
			return fail("call signal of %d bytes", len(m.Call))
		}
	case KindTyping, KindDelete, KindTimer:
	default:
		return fail("unknown kind")
	}
	if m.Kind != KindText && m.Kind != KindEdit && m.Kind != KindAttachment && m.Text != "" {
		return fail("text on a %s", m.Kind)
	}
	if m.Kind != KindText && !m.ReplyTo.IsZero() {
		return fail("reply on a %s", m.Kind)
	}
	if m.Kind != KindReceipt && m.Receipt != ReceiptNone {
		return fail("receipt type on a %s", m.Kind)
	}
	if m.Kind != KindReaction && m.Emoji != "" {
		return fail("emoji on a %s", m.Kind)
	}
	if m.Kind != KindTyping && m.Typing {
		return fail("typing flag on a %s", m.Kind)
	}
	if m.Kind != KindTimer && m.Timer != 0 {
		return fail("timer on a %s", m.Kind)
	}
	if m.Kind != KindCall && len(m.Call) != 0 {
		return fail("call signal on a %s", m.Kind)
	}
	if len(m.TreeHead) > MaxTreeHead {
		return fail("tree head of %d bytes", len(m.TreeHead))
	}
	return nil
}

// Encode validates m and returns its wire encoding.
func Encode(m *Message) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	e := wire.NewEncoder(wire.TypeContent, 96+len(m.Text))
	e.Uint8(uint8(m.Kind))
	e.Bytes(m.ID[:])
	e.Int64(m.SentAt.UnixMilli())
	e.Bytes([]byte(m.Sender))
	e.Bytes(m.Token)
	e.Bytes([]byte(m.Text))
	e.Bytes(m.ReplyTo[:])
	e.Bytes(m.Target[:])
	e.Uint8(uint8(m.Receipt))
	e.Bool(m.Typing)
	e.Bytes([]byte(m.Emoji))
	e.Uint32(uint32(m.Timer / time.Second))
	e.Bool(m.Attachment != nil)
	if a := m.Attachment; a != nil {
		e.Bytes([]byte(a.Name))
		e.Bytes([]byte(a.MIME))
		e.Int64(a.Size)
		e.Bytes(a.Key[:])
		e.Bytes(a.Digest[:])
		e.Uint32(uint32(len(a.Blobs)))
		for _, b := range a.Blobs {
			e.Bytes([]byte(b))
		}
	}
	e.Bytes(m.Call)
	e.Bytes(m.TreeHead)
	return e.Finish(), nil
}

// Decode parses and validates a content message from the network.
func Decode(b []byte) (*Message, error) {
	d := wire.NewDecoder(b, wire.TypeContent)
	m := &Message{Kind: Kind(d.Uint8("kind"))}
	copy(m.ID[:], d.Fixed("id", IDSize))
	m.SentAt = time.UnixMilli(d.Int64("sent_at"))
	m.Sender = string(d.Bytes("sender", MaxHandle))
	if tok := d.Bytes("token", TokenSize); len(tok) > 0 {
		m.Token = append([]byte(nil), tok...)
	}
	m.Text = string(d.Bytes("text", MaxText))
	copy(m.ReplyTo[:], d.Fixed("reply_to", IDSize))
	copy(m.Target[:], d.Fixed("target", IDSize))
	m.Receipt = Receipt(d.Uint8("receipt"))
	m.Typing = d.Bool("typing")
	m.Emoji = string(d.Bytes("emoji", MaxEmoji))
	secs := d.Uint32("timer")
	if d.Bool("has_attachment") {
		a := &Attachment{Name: string(d.Bytes("file_name", MaxFileName)), MIME: string(d.Bytes("mime", MaxMIME)),
			Size: d.Int64("size")}
		copy(a.Key[:], d.Fixed("file_key", 32))
		copy(a.Digest[:], d.Fixed("digest", 32))
		n := d.Uint32("blob_count")
		if n > MaxBlobs {
			d.Fail("blob_count", ErrInvalid)
		}
		for i := uint32(0); i < n && d.Err() == nil; i++ {
			a.Blobs = append(a.Blobs, string(d.Bytes("blob", MaxBlobID)))
		}
		m.Attachment = a
	}
	if c := d.Bytes("call", MaxCall); len(c) > 0 {
		m.Call = append([]byte(nil), c...)
	}
	if th := d.Bytes("tree_head", MaxTreeHead); len(th) > 0 {
		m.TreeHead = append([]byte(nil), th...)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("decode content: %w", err)
	}
	if secs > maxTimerSecs {
		return nil, fmt.Errorf("%w: timer of %d s", ErrInvalid, secs)
	}
	m.Timer = time.Duration(secs) * time.Second
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}
