package ratchet

import (
	"bytes"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/wire"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func testRand(seed uint64) *mathrand.ChaCha8 {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return mathrand.NewChaCha8(s)
}

func newPair(t testing.TB, seed uint64) (alice, bob *Session, r *mathrand.ChaCha8) {
	t.Helper()
	r = testRand(seed)
	var sk, hka, nhkb [32]byte
	r.Read(sk[:])
	r.Read(hka[:])
	r.Read(nhkb[:])
	bobKey, err := prim.GenerateX25519(r)
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("test associated data")
	alice, err = NewInitiator(r, &sk, &hka, &nhkb, bobKey.PublicKey(), ad)
	if err != nil {
		t.Fatal(err)
	}
	bob, err = NewResponder(&sk, &hka, &nhkb, bobKey, ad)
	if err != nil {
		t.Fatal(err)
	}
	return alice, bob, r
}

func mustEncrypt(t testing.TB, s *Session, r *mathrand.ChaCha8, pt string) []byte {
	t.Helper()
	ct, err := s.Encrypt(r, []byte(pt))
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return ct
}

func mustDecrypt(t testing.TB, s *Session, r *mathrand.ChaCha8, ct []byte, want string) {
	t.Helper()
	pt, err := s.Decrypt(r, ct, t0)
	if err != nil {
		t.Fatalf("Decrypt %q: %v", want, err)
	}
	if string(pt) != want {
		t.Fatalf("Decrypt = %q, want %q", pt, want)
	}
}

func snapshot(t testing.TB, s *Session) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	alice, bob, r := newPair(t, 1)
	if bob.CanSend() {
		t.Fatal("responder can send before receiving")
	}
	if _, err := bob.Encrypt(r, []byte("x")); !errors.Is(err, ErrCannotSend) {
		t.Fatalf("responder Encrypt: %v", err)
	}
	for round := 0; round < 5; round++ {
		for i := 0; i < 3; i++ {
			msg := fmt.Sprintf("a→b %d/%d", round, i)
			mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, msg), msg)
		}
		for i := 0; i < 2; i++ {
			msg := fmt.Sprintf("b→a %d/%d", round, i)
			mustDecrypt(t, alice, r, mustEncrypt(t, bob, r, msg), msg)
		}
	}
	big := bytes.Repeat([]byte{0xab}, MaxPlaintext)
	ct, err := alice.Encrypt(r, big)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) > wire.MaxMessageSize {
		t.Fatalf("max message is %d bytes, over wire.MaxMessageSize", len(ct))
	}
	pt, err := bob.Decrypt(r, ct, t0)
	if err != nil || !bytes.Equal(pt, big) {
		t.Fatalf("max-size message: %v", err)
	}
	if _, err := alice.Encrypt(r, make([]byte, MaxPlaintext+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize plaintext: %v", err)
	}
	// Every message starts with the version byte.
	if ct[0] != wire.Version || wire.Type(ct[1]) != wire.TypeRatchetMessage {
		t.Fatal("message does not start with version and type")
	}
}

func TestMessageSizesArePadded(t *testing.T) {
	alice, _, r := newPair(t, 2)
	sizes := map[int]bool{}
	for n := 0; n < 300; n += 7 {
		sizes[len(mustEncrypt(t, alice, r, string(make([]byte, n))))] = true
	}
	if len(sizes) != 2 {
		t.Fatalf("0..300-byte plaintexts gave %d distinct sizes, want 2 buckets", len(sizes))
	}
}

// TestConversationChaos runs a long conversation where messages are lost,
// duplicated and reordered, and sessions are saved and reloaded; every
// delivered message must decrypt exactly once and duplicates must be refused.
func TestConversationChaos(t *testing.T) {
	for seed := uint64(0); seed < 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { chaos(t, seed, 1500) })
	}
}

type inflight struct {
	ct   []byte
	text string
}

func chaos(t *testing.T, seed uint64, steps int) {
	alice, bob, r := newPair(t, 100+seed)
	rng := mathrand.New(mathrand.NewPCG(seed, 99))
	sessions := [2]*Session{alice, bob}
	queues := [2][]inflight{} // queues[i]: messages travelling to party i
	delivered := map[string]bool{}
	var sent, got, replays int
	for step := 0; step < steps; step++ {
		from := rng.IntN(2)
		to := 1 - from
		switch op := rng.IntN(10); {
		case op < 4 && sessions[from].CanSend():
			text := fmt.Sprintf("%d from %d at %d", sent, from, step)
			sent++
			ct := mustEncrypt(t, sessions[from], r, text)
			if rng.IntN(20) == 0 {
				continue // lost
			}
			queues[to] = append(queues[to], inflight{ct, text})
		case op < 8 && len(queues[to]) > 0:
			i := rng.IntN(len(queues[to]))
			m := queues[to][i]
			if rng.IntN(5) > 0 { // usually remove; otherwise it is delivered again later
				queues[to] = append(queues[to][:i], queues[to][i+1:]...)
			}
			pt, err := sessions[to].Decrypt(r, m.ct, t0)
			if delivered[m.text] {
				// Within a live chain a duplicate is recognised; from a chain
				// whose keys are gone it simply no longer decrypts.
				if !errors.Is(err, ErrReplay) && !errors.Is(err, ErrUndecryptable) {
					t.Fatalf("duplicate of %q: err = %v, want a rejection", m.text, err)
				}
				replays++
				continue
			}
			if err != nil {
				t.Fatalf("step %d: %q: %v", step, m.text, err)
			}
			if string(pt) != m.text {
				t.Fatalf("got %q, want %q", pt, m.text)
			}
			delivered[m.text] = true
			got++
		case op == 9:
			b := snapshot(t, sessions[from])
			s, err := Unmarshal(b)
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			if !bytes.Equal(snapshot(t, s), b) {
				t.Fatal("reload changed the state")
			}
			sessions[from] = s
		}
	}
	if got < steps/5 || replays == 0 {
		t.Fatalf("weak run: %d sent, %d decrypted, %d replays", sent, got, replays)
	}
}

func TestBitFlipsRejectedStateUntouched(t *testing.T) {
	alice, bob, r := newPair(t, 3)
	mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, "first"), "first")
	skippedMsg := mustEncrypt(t, alice, r, "skipped")
	ct := mustEncrypt(t, alice, r, "flip me")
	// A new chain from Bob's side too, so every decrypt path is exercised.
	mustDecrypt(t, bob, r, ct, "flip me")
	ct2 := mustEncrypt(t, bob, r, "back")
	for _, c := range []struct {
		s  *Session
		ct []byte
	}{{bob, skippedMsg}, {alice, ct2}} {
		before := snapshot(t, c.s)
		for bit := 0; bit < len(c.ct)*8; bit++ {
			bad := bytes.Clone(c.ct)
			bad[bit/8] ^= 1 << (bit % 8)
			if _, err := c.s.Decrypt(r, bad, t0); err == nil {
				t.Fatalf("bit %d flipped: accepted", bit)
			}
			if bit%61 == 0 && !bytes.Equal(snapshot(t, c.s), before) {
				t.Fatalf("bit %d flipped: state changed", bit)
			}
		}
		for _, bad := range [][]byte{c.ct[:len(c.ct)-1], append(bytes.Clone(c.ct), 0), nil} {
			if _, err := c.s.Decrypt(r, bad, t0); err == nil {
				t.Fatal("truncated or extended message accepted")
			}
		}
		if !bytes.Equal(snapshot(t, c.s), before) {
			t.Fatal("failed decrypts changed the state")
		}
	}
	mustDecrypt(t, bob, r, skippedMsg, "skipped")
	mustDecrypt(t, alice, r, ct2, "back")
}

func TestReplayRejected(t *testing.T) {
	alice, bob, r := newPair(t, 4)
	m1 := mustEncrypt(t, alice, r, "one")
	m2 := mustEncrypt(t, alice, r, "two")
	mustDecrypt(t, bob, r, m2, "two")
	mustDecrypt(t, bob, r, m1, "one")
	for _, m := range [][]byte{m1, m2} {
		before := snapshot(t, bob)
		if _, err := bob.Decrypt(r, m, t0); !errors.Is(err, ErrReplay) {
			t.Fatalf("replay: %v", err)
		}
		if !bytes.Equal(before, snapshot(t, bob)) {
			t.Fatal("replay changed the state")
		}
	}
	// After a DH step, old-chain replays are still refused.
	mustDecrypt(t, alice, r, mustEncrypt(t, bob, r, "reply"), "reply")
	mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, "three"), "three")
	if _, err := bob.Decrypt(r, m1, t0); err == nil {
		t.Fatal("old-chain replay accepted")
	}
}

// advance moves a session's sending chain n messages ahead without
// producing the messages, as if they were all lost.
func advance(s *Session, n uint32) {
	var mk [32]byte
	for i := uint32(0); i < n; i++ {
		kdfCK(&s.cks, &mk)
	}
	s.ns += n
}

func TestJumpBounds(t *testing.T) {
	alice, bob, r := newPair(t, 5)
	mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, "start"), "start")

	// Exactly MaxSkip skipped keys is allowed; only MaxSkippedKeys are kept.
	advance(alice, MaxSkip)
	mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, "far"), "far")
	if bob.SkippedKeys() != MaxSkippedKeys {
		t.Fatalf("stored %d skipped keys, want %d", bob.SkippedKeys(), MaxSkippedKeys)
	}

	// One more than MaxSkip is refused and leaves Bob untouched.
	advance(alice, MaxSkip+1)
	tooFar := mustEncrypt(t, alice, r, "too far")
	before := snapshot(t, bob)
	if _, err := bob.Decrypt(r, tooFar, t0); !errors.Is(err, ErrTooFarAhead) {
		t.Fatalf("jump past bound: %v", err)
	}
	if !bytes.Equal(before, snapshot(t, bob)) {
		t.Fatal("refused jump changed the state")
	}

	// A new chain whose previous-chain length lies too far ahead is refused too.
	alice2, bob2, r2 := newPair(t, 6)
	mustDecrypt(t, bob2, r2, mustEncrypt(t, alice2, r2, "hi"), "hi")
	mustDecrypt(t, alice2, r2, mustEncrypt(t, bob2, r2, "hello"), "hello")
	advance(alice2, MaxSkip+2) // these count into PN of Alice's next chain
	mustDecrypt(t, alice2, r2, mustEncrypt(t, bob2, r2, "again"), "again")
	next := mustEncrypt(t, alice2, r2, "new chain")
	before = snapshot(t, bob2)
	if _, err := bob2.Decrypt(r2, next, t0); !errors.Is(err, ErrTooFarAhead) {
		t.Fatalf("pn past bound: %v", err)
	}
	if !bytes.Equal(before, snapshot(t, bob2)) {
		t.Fatal("refused pn jump changed the state")
	}
}

func TestSkippedKeysEvictedAndExpire(t *testing.T) {
	alice, bob, r := newPair(t, 7)
	var msgs [][]byte
	for i := 0; i < MaxSkippedKeys+10; i++ {
		msgs = append(msgs, mustEncrypt(t, alice, r, fmt.Sprint(i)))
	}
	last := mustEncrypt(t, alice, r, "last")
	mustDecrypt(t, bob, r, last, "last")
	if bob.SkippedKeys() != MaxSkippedKeys {
		t.Fatalf("stored %d, want %d", bob.SkippedKeys(), MaxSkippedKeys)
	}
	// The oldest ten were evicted.
	if _, err := bob.Decrypt(r, msgs[0], t0); !errors.Is(err, ErrReplay) {
		t.Fatalf("evicted key: %v", err)
	}
	mustDecrypt(t, bob, r, msgs[10], "10")
	// After the lifetime, stored keys are unusable, and are dropped on the
	// next successful decrypt.
	late := t0.Add(SkippedKeyLifetime + time.Second)
	before := snapshot(t, bob)
	if _, err := bob.Decrypt(r, msgs[11], late); !errors.Is(err, ErrReplay) {
		t.Fatalf("expired key: %v", err)
	}
	if !bytes.Equal(before, snapshot(t, bob)) {
		t.Fatal("failed decrypt of expired key changed state")
	}
	if _, err := bob.Decrypt(r, mustEncrypt(t, alice, r, "later"), late); err != nil {
		t.Fatal(err)
	}
	if bob.SkippedKeys() != 0 {
		t.Fatalf("%d expired keys kept", bob.SkippedKeys())
	}
}

// TestForwardSecrecy: a state captured now cannot decrypt messages the
// session already received.
func TestForwardSecrecy(t *testing.T) {
	alice, bob, r := newPair(t, 8)
	var old [][]byte
	for i := 0; i < 3; i++ {
		m := mustEncrypt(t, alice, r, fmt.Sprint("a", i))
		mustDecrypt(t, bob, r, m, fmt.Sprint("a", i))
		old = append(old, m)
	}
	reply := mustEncrypt(t, bob, r, "b")
	mustDecrypt(t, alice, r, reply, "b")
	m := mustEncrypt(t, alice, r, "a3")
	mustDecrypt(t, bob, r, m, "a3")
	old = append(old, m)

	for name, s := range map[string]*Session{"bob": bob, "alice": alice} {
		captured, err := Unmarshal(snapshot(t, s))
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range append(old, reply) {
			if pt, err := captured.Decrypt(r, m, t0); err == nil {
				t.Fatalf("%s's captured state decrypted earlier message %d (%q)", name, i, pt)
			}
		}
	}
}

// TestPostCompromiseRecovery: after a DH round trip, a captured old state
// can no longer decrypt new messages.
func TestPostCompromiseRecovery(t *testing.T) {
	alice, bob, r := newPair(t, 9)
	mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, "hello"), "hello")
	mustDecrypt(t, alice, r, mustEncrypt(t, bob, r, "hi"), "hi")

	stolen := snapshot(t, bob)
	attacker, _ := Unmarshal(stolen)
	attackerRand := testRand(666)

	// Right after the theft the attacker can follow the conversation ...
	m1 := mustEncrypt(t, alice, r, "still readable")
	mustDecrypt(t, bob, r, m1, "still readable")
	if pt, err := attacker.Decrypt(attackerRand, m1, t0); err != nil || string(pt) != "still readable" {
		t.Fatalf("test premise: attacker should read the next message: %v", err)
	}
	// ... until Bob's fresh ratchet key reaches Alice.
	mustDecrypt(t, alice, r, mustEncrypt(t, bob, r, "new key"), "new key")
	m2 := mustEncrypt(t, alice, r, "secret again")
	mustDecrypt(t, bob, r, m2, "secret again")
	if pt, err := attacker.Decrypt(attackerRand, m2, t0); err == nil {
		t.Fatalf("attacker decrypted %q after recovery", pt)
	}
	fresh, _ := Unmarshal(stolen)
	if _, err := fresh.Decrypt(attackerRand, m2, t0); err == nil {
		t.Fatal("stolen state decrypted a post-recovery message")
	}
}

func TestUnmarshalValidation(t *testing.T) {
	alice, bob, r := newPair(t, 10)
	mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, "x"), "x")
	_ = mustEncrypt(t, alice, r, "skipped")
	mustDecrypt(t, bob, r, mustEncrypt(t, alice, r, "y"), "y")
	good := snapshot(t, bob)
	s, err := Unmarshal(good)
	if err != nil || !bytes.Equal(snapshot(t, s), good) || s.SkippedKeys() != 1 {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := Unmarshal(append(bytes.Clone(good), 0)); !errors.Is(err, wire.ErrTrailingBytes) {
		t.Fatalf("trailing: %v", err)
	}
	bad := bytes.Clone(good)
	bad[0] = 9
	if _, err := Unmarshal(bad); !errors.Is(err, wire.ErrUnknownVersion) {
		t.Fatalf("version: %v", err)
	}
	bad = bytes.Clone(good)
	bad[2] = 2
	if _, err := Unmarshal(bad); !errors.Is(err, wire.ErrUnknownVersion) {
		t.Fatalf("state version: %v", err)
	}
	for n := 0; n < len(good); n += 13 {
		if _, err := Unmarshal(good[:n]); err == nil {
			t.Fatalf("truncated at %d accepted", n)
		}
	}
	// A sending chain without a header key is not a reachable state.
	inconsistent := *bob
	inconsistent.hasHKs = false
	b, _ := inconsistent.MarshalBinary()
	if _, err := Unmarshal(b); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("inconsistent state: %v", err)
	}
	noAD := *bob
	noAD.ad = nil
	b, _ = noAD.MarshalBinary()
	if _, err := Unmarshal(b); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("empty AD: %v", err)
	}
}

func TestPad(t *testing.T) {
	for _, n := range []int{0, 1, 254, 255, 256, 383, 384, 1023, 1024, 5000, MaxPlaintext} {
		p := Pad(nil, make([]byte, n))
		if len(p) != PaddedSize(n) || len(p) <= n {
			t.Fatalf("Pad(%d) = %d bytes", n, len(p))
		}
		u, err := Unpad(p)
		if err != nil || len(u) != n {
			t.Fatalf("Unpad(Pad(%d)): %d, %v", n, len(u), err)
		}
	}
	if PaddedSize(1024) != 1536 || PaddedSize(0) != 256 || PaddedSize(300) != 384 {
		t.Fatal("bucket sizes changed")
	}
	for _, bad := range [][]byte{nil, make([]byte, 256), append(make([]byte, 255), 1), append([]byte{0x80}, make([]byte, 300)...)} {
		if _, err := Unpad(bad); !errors.Is(err, ErrBadPadding) {
			t.Fatalf("Unpad accepted bad padding of %d bytes", len(bad))
		}
	}
}

func TestAppendVariants(t *testing.T) {
	alice, bob, r := newPair(t, 11)
	prefix := []byte("prefix")
	buf := append(make([]byte, 0, 4096), prefix...)
	var pt []byte
	for i := 0; i < 3; i++ {
		ct, err := alice.EncryptAppend(buf, r, []byte(fmt.Sprint("msg ", i)))
		if err != nil || !bytes.HasPrefix(ct, prefix) {
			t.Fatalf("EncryptAppend: %v", err)
		}
		// The same bytes without the prefix are an ordinary message.
		pt, err = bob.DecryptAppend(pt[:0], r, ct[len(prefix):], t0)
		if err != nil || string(pt) != fmt.Sprint("msg ", i) {
			t.Fatalf("DecryptAppend: %q, %v", pt, err)
		}
	}
	ct, _ := alice.Encrypt(r, []byte("tail"))
	out, err := bob.DecryptAppend([]byte("head:"), r, ct, t0)
	if err != nil || string(out) != "head:tail" {
		t.Fatalf("DecryptAppend with prefix: %q, %v", out, err)
	}
	if _, err := bob.EncryptAppend(nil, r, make([]byte, MaxPlaintext+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
}

func TestMessageDecodeErrors(t *testing.T) {
	alice, bob, r := newPair(t, 12)
	ct := mustEncrypt(t, alice, r, "framing")
	before := snapshot(t, bob)
	cases := []struct {
		name string
		msg  []byte
		want error
	}{
		{"trailing byte", append(bytes.Clone(ct), 0), wire.ErrTrailingBytes},
		{"unknown version", append([]byte{9}, ct[1:]...), wire.ErrUnknownVersion},
		{"wrong type", append([]byte{1, byte(wire.TypeBundle)}, ct[2:]...), wire.ErrWrongType},
		{"header too long", append([]byte{1, 7, 0, 0, 0, 81}, ct[6:]...), wire.ErrOversize},
		{"body over maximum", append(bytes.Clone(ct[:6+encHeaderSize]), 0x7f, 0, 0, 0), wire.ErrOversize},
		{"truncated", ct[:len(ct)-1], wire.ErrTruncated},
	}
	for _, c := range cases {
		if _, err := bob.Decrypt(r, c.msg, t0); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if err := ParseMessage(c.msg); !errors.Is(err, c.want) {
			t.Errorf("ParseMessage %s: %v, want %v", c.name, err, c.want)
		}
	}
	if !bytes.Equal(before, snapshot(t, bob)) {
		t.Fatal("decode failures changed the state")
	}
	mustDecrypt(t, bob, r, ct, "framing")
}

func TestStates(t *testing.T) {
	alice, bob, r := newPair(t, 13)
	if alice.State() != StateAwaitingReply || bob.State() != StateAwaitingFirst {
		t.Fatalf("new sessions: %v, %v", alice.State(), bob.State())
	}
	// A failed decrypt is no transition.
	if _, err := bob.Decrypt(r, []byte{1, 7}, t0); err == nil || bob.State() != StateAwaitingFirst {
		t.Fatal("failed decrypt moved the responder")
	}
	m := mustEncrypt(t, alice, r, "1")
	if alice.State() != StateAwaitingReply {
		t.Fatal("Encrypt changed the state")
	}
	mustDecrypt(t, bob, r, m, "1")
	if bob.State() != StateEstablished {
		t.Fatalf("responder after first message: %v", bob.State())
	}
	mustDecrypt(t, alice, r, mustEncrypt(t, bob, r, "2"), "2")
	if alice.State() != StateEstablished {
		t.Fatalf("initiator after reply: %v", alice.State())
	}
	loaded, _ := Unmarshal(snapshot(t, alice))
	if loaded.State() != StateEstablished || (&Session{}).State() != StateUnknown {
		t.Fatal("state after load / zero session")
	}
	if StateEstablished.String() != "established" || State(9).String() != "state(9)" {
		t.Fatal("State.String")
	}
	alice.Destroy()
	if alice.State() != StateUnknown {
		t.Fatal("destroyed session")
	}
	if _, err := alice.Decrypt(r, m, t0); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("decrypt on destroyed session: %v", err)
	}
	if _, err := alice.Encrypt(r, []byte("x")); !errors.Is(err, ErrCannotSend) {
		t.Fatalf("encrypt on destroyed session: %v", err)
	}
}
