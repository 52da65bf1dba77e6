package store

import (
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
