package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse runs writers, session steps, readers, searches and the
// expiry timer at once (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	p, _ := newProfile(t, Options{})
	alice, conv := newConversation(t, p, "@alice")
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	const per = 30
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				exp := time.Time{}
				if i%5 == 0 {
					exp = time.Now().Add(50 * time.Millisecond)
				}
				if _, err := p.InsertMessage(ctx, Message{Conversation: conv, Body: fmt.Sprintf("writer %d message %d", w, i), ExpiresAt: exp}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < per; i++ {
			_, err := p.UpdateSession(ctx, alice, "d", func(st []byte) (SessionUpdate, error) {
				n, _ := strconv.Atoi(string(st))
				return SessionUpdate{State: []byte(strconv.Itoa(n + 1)), Message: &Message{Conversation: conv, Body: "session message"}}, nil
			})
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := p.Search(ctx, SearchQuery{Text: "message"}); err != nil {
					errs <- err
					return
				}
				if _, err := p.Messages(ctx, conv, 0, 20); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := p.Session(ctx, alice, "d")
	if err != nil || string(st) != strconv.Itoa(per) {
		t.Fatalf("session state %q %v, want %d", st, err, per)
	}
}

// TestTwoHandlesOneProfile: two opens of one profile (as two processes would)
// write at the same time without SQLITE_BUSY errors.
func TestTwoHandlesOneProfile(t *testing.T) {
	ctx := context.Background()
	p, dir := newProfile(t, Options{})
	_, conv := newConversation(t, p, "@alice")
	q, err := Open(ctx, dir, Options{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, h := range []*Profile{p, q} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				if _, err := h.InsertMessage(ctx, Message{Conversation: conv, Body: fmt.Sprint("from two handles ", i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if res, err := q.Search(ctx, SearchQuery{Text: "handles", Limit: 100}); err != nil || len(res.Messages) != 80 {
		t.Fatalf("search: %d %v", len(res.Messages), err)
	}
}
