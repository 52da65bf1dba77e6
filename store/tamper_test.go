package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestTamperedCiphertextIsRefused(t *testing.T) {
	ctx := context.Background()
	p, _ := newProfile(t, Options{})
	c1, conv := newConversation(t, p, "@alice")
	c2, _ := newConversation(t, p, "@bob")
	a := mustInsert(t, p, Message{Conversation: conv, Body: "message A"})
	b := mustInsert(t, p, Message{Conversation: conv, Body: "message B"})

	swap := func(table, col string, x, y int64) {
		t.Helper()
		var cx, cy []byte
		if err := p.db.QueryRow(`SELECT `+col+` FROM `+table+` WHERE id = ?`, x).Scan(&cx); err != nil {
			t.Fatal(err)
		}
		if err := p.db.QueryRow(`SELECT `+col+` FROM `+table+` WHERE id = ?`, y).Scan(&cy); err != nil {
			t.Fatal(err)
		}
		if _, err := p.db.Exec(`UPDATE `+table+` SET `+col+` = ? WHERE id = ?`, cy, x); err != nil {
			t.Fatal(err)
		}
		if _, err := p.db.Exec(`UPDATE `+table+` SET `+col+` = ? WHERE id = ?`, cx, y); err != nil {
			t.Fatal(err)
		}
	}

	// A body moved to another row.
	swap("messages", "body", int64(a), int64(b))
	if _, err := p.Message(ctx, a); !errors.Is(err, ErrTampered) {
		t.Fatalf("body moved to another row: %v, want ErrTampered", err)
	}
	if _, err := p.Messages(ctx, conv, 0, 10); !errors.Is(err, ErrTampered) {
		t.Fatalf("listing with a moved body: %v, want ErrTampered", err)
	}
	swap("messages", "body", int64(a), int64(b))
	if m, err := p.Message(ctx, a); err != nil || m.Body != "message A" {
		t.Fatalf("restored: %v %q", err, m.Body)
	}

	// A ciphertext moved to another column of the same row.
	if _, err := p.db.Exec(`UPDATE messages SET meta = body WHERE id = ?`, int64(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Message(ctx, a); !errors.Is(err, ErrTampered) {
		t.Fatalf("body moved to meta: %v, want ErrTampered", err)
	}

	// A contact's handle moved to another contact.
	swap("contacts", "handle", int64(c1), int64(c2))
	if _, err := p.Contact(ctx, c1); !errors.Is(err, ErrTampered) {
		t.Fatalf("handle moved: %v, want ErrTampered", err)
	}

	// One flipped bit.
	var ct []byte
	if err := p.db.QueryRow(`SELECT body FROM messages WHERE id = ?`, int64(b)).Scan(&ct); err != nil {
		t.Fatal(err)
	}
	ct[len(ct)-1] ^= 1
	if _, err := p.db.Exec(`UPDATE messages SET body = ? WHERE id = ?`, ct, int64(b)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Message(ctx, b); !errors.Is(err, ErrTampered) {
		t.Fatalf("flipped bit: %v, want ErrTampered", err)
	}
	// Truncated to nothing.
	if _, err := p.db.Exec(`UPDATE messages SET body = x'01' WHERE id = ?`, int64(b)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Message(ctx, b); !errors.Is(err, ErrTampered) {
		t.Fatalf("truncated: %v, want ErrTampered", err)
	}
	// Deleting a message whose body is unreadable still clears its tokens.
	if err := p.DeleteMessage(ctx, b); err != nil {
		t.Fatal(err)
	}
	var n int
	p.db.QueryRow(`SELECT count(*) FROM search_index WHERE message_id = ?`, int64(b)).Scan(&n)
	if n != 0 {
		t.Fatalf("%d tokens left", n)
	}
}

func TestColumnAD(t *testing.T) {
	k := newColumnKeys(make([]byte, 32))
	ct := k.seal("messages", "body", 7, []byte("x"))
	if _, err := k.open("messages", "body", 7, ct); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		table, col string
		row        int64
	}{{"messages", "body", 8}, {"messages", "meta", 7}, {"calls", "info", 7}} {
		if _, err := k.open(tc.table, tc.col, tc.row, ct); !errors.Is(err, ErrTampered) {
			t.Errorf("open at %+v: %v, want ErrTampered", tc, err)
		}
	}
	other := newColumnKeys(append(make([]byte, 31), 1))
	if _, err := other.open("messages", "body", 7, ct); !errors.Is(err, ErrTampered) {
		t.Errorf("other master key: %v", err)
	}
}

func TestColumnPaddingAndVersions(t *testing.T) {
	k := newColumnKeys(make([]byte, 32))
	a := k.aead("messages", "body")
	for _, n := range []int{0, 1, 27, 28, 29, 100} {
		pt := bytes.Repeat([]byte("x"), n)
		ct := k.seal("messages", "body", 1, pt)
		if body := len(ct) - sealHeader - a.Overhead(); body%padBlock != 0 || body < n+4 {
			t.Fatalf("%d-byte value sealed into %d bytes", n, body)
		}
		got, err := k.open("messages", "body", 1, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("round trip of %d bytes: %v", n, err)
		}
		// Relabelled as version 1: must fail, not return the padded form.
		v1 := bytes.Clone(ct)
		v1[0] = sealV1
		if _, err := k.open("messages", "body", 1, v1); !errors.Is(err, ErrTampered) {
			t.Fatalf("v2 relabelled v1: %v", err)
		}
	}
	if len(k.seal("messages", "body", 1, make([]byte, 20))) != len(k.seal("messages", "body", 1, make([]byte, 3))) {
		t.Fatal("lengths within one pad block give different sizes")
	}
	// Version 1 values (written before padding) still read, and cannot be
	// relabelled as version 2.
	nonce := make([]byte, 24)
	v1 := append([]byte{sealV1}, nonce...)
	v1 = a.Seal(v1, nonce, []byte("old value"), columnAD("messages", "body", 1))
	if got, err := k.open("messages", "body", 1, v1); err != nil || string(got) != "old value" {
		t.Fatalf("v1 value: %q %v", got, err)
	}
	v1[0] = sealV2
	if _, err := k.open("messages", "body", 1, v1); !errors.Is(err, ErrTampered) {
		t.Fatalf("v1 relabelled v2: %v", err)
	}
}
