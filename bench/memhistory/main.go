package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sotto-im/sotto/app"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "memhistory:", err)
		os.Exit(1)
	}
}

func run() error {
	relay := flag.String("relay", "", "relay URL")
	n := flag.Int("n", 10000, "messages in the conversation")
	flag.Parse()
	if *relay == "" || os.Getenv("SOTTO_DATA_DIR") == "" {
		return errors.New("give -relay and set SOTTO_DATA_DIR")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	alice, err := open("alice", *relay, log)
	if err != nil {
		return err
	}
	defer app.CloseChats(alice)
	bob, err := open("bob", *relay, log)
	if err != nil {
		return err
	}

	// A real chat goes both ways: alice and bob take turns, through the
	// relay, both open. Bob's first message waits for alice's to arrive
	// (he accepts her request, as a person would); after that each side
	// sends without waiting and the receive paths catch up.
	start := time.Now()
	conv, err := alice.StartConversation("@bob")
	if err != nil {
		return fmt.Errorf("alice starts the conversation: %w", err)
	}
	var bobConv int64
	for i := 0; i < *n; i++ {
		from, id := alice, conv.ID
		if i%2 == 1 {
			if bobConv == 0 {
				if bobConv, err = incoming(bob, "alice"); err != nil {
					return err
				}
			}
			from, id = bob, bobConv
		}
		if _, err := from.Send(id, text(i), 0); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		// Both read as they chat (MarkRead looks at the newest 200
		// messages, so every 50 keeps up with the receive path's lag).
		if bobConv != 0 && (i+1)%50 == 0 {
			if err := readAll(alice, conv.ID, bob, bobConv); err != nil {
				return err
			}
		}
		if (i+1)%2000 == 0 {
			fmt.Fprintf(os.Stderr, "memhistory: %d sent (%s)\n", i+1, time.Since(start).Round(time.Second))
		}
	}
	// Wait until alice holds the whole chat and bob has her half (so his
	// receipts for it are on their way), then close both.
	if err := settle(alice, conv.ID, *n, 3*time.Minute); err != nil {
		return fmt.Errorf("alice: %w", err)
	}
	if bobConv != 0 {
		if err := settle(bob, bobConv, *n, 3*time.Minute); err != nil {
			return fmt.Errorf("bob: %w", err)
		}
	}
	if err := readAll(alice, conv.ID, bob, bobConv); err != nil {
		return err
	}
	for _, side := range []struct {
		name string
		c    *app.Chats
	}{{"alice", alice}, {"bob", bob}} {
		if err := nothingUnread(side.c); err != nil {
			return fmt.Errorf("%s: %w", side.name, err)
		}
	}
	// The last receipts reach the other side.
	time.Sleep(3 * time.Second)
	if err := app.CloseChats(bob); err != nil {
		return err
	}
	got, err := count(alice, conv.ID)
	if err != nil {
		return err
	}
	if got != *n {
		return fmt.Errorf("alice holds %d messages with @bob, want %d", got, *n)
	}
	fmt.Printf("memhistory: alice holds %d messages with @bob (%s)\n", got, time.Since(start).Round(time.Second))
	return nil
}

// open creates the account handle in profile name (or opens it if it is
// there from an earlier run).
func open(name, relay string, log *slog.Logger) (*app.Chats, error) {
	p, dir, err := app.ResolveProfile(name)
	if err != nil {
		return nil, err
	}
	c := app.NewChats(p, dir, relay, log, nil)
	if _, err := c.Unlock(""); err == nil {
		return c, nil
	}
	if _, err := c.Register(name, relay, ""); err != nil {
		return nil, fmt.Errorf("register %s: %w", name, err)
	}
	return c, nil
}

// incoming waits (up to a minute) for the conversation peer opened with
// this account, accepts it and returns its id.
func incoming(c *app.Chats, peer string) (int64, error) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		convs, err := c.Conversations()
		if err != nil {
			return 0, err
		}
		for _, v := range convs {
			if v.Handle == peer {
				if v.State == "request" {
					if err := c.Accept(v.ID); err != nil {
						return 0, fmt.Errorf("accept @%s: %w", peer, err)
					}
				}
				return v.ID, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("no conversation from @%s after a minute", peer)
}

// readAll marks both sides' conversations read (sending read receipts).
func readAll(alice *app.Chats, aliceConv int64, bob *app.Chats, bobConv int64) error {
	if err := alice.MarkRead(aliceConv); err != nil {
		return fmt.Errorf("alice reads: %w", err)
	}
	if bobConv == 0 {
		return nil
	}
	if err := bob.MarkRead(bobConv); err != nil {
		return fmt.Errorf("bob reads: %w", err)
	}
	return nil
}

// nothingUnread checks that every conversation of c has been read, as a
// settled chat would be.
func nothingUnread(c *app.Chats) error {
	convs, err := c.Conversations()
	if err != nil {
		return err
	}
	for _, v := range convs {
		if v.Unread > 0 {
			return fmt.Errorf("%d unread messages from @%s", v.Unread, v.Handle)
		}
	}
	return nil
}

// settle waits until conv holds n messages, or fails after timeout with
// how many it holds.
func settle(c *app.Chats, conv int64, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := count(c, conv)
		if err != nil {
			return err
		}
		if got == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("holds %d of %d messages after %s", got, n, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// count pages through a conversation's messages.
func count(c *app.Chats, conv int64) (int, error) {
	total, before := 0, int64(0)
	for {
		page, err := c.Messages(conv, before, 1000)
		if err != nil {
			return 0, err
		}
		total += len(page)
		if len(page) < 1000 {
			return total, nil
		}
		before = page[0].ID // pages come oldest first
	}
}

// words make message bodies of varied length, like a chat: mostly short,
// some a few lines.
var words = strings.Fields(`so the relay never sees what we say and that is the point of it all
see you at eight tomorrow then bring the charger please did you get the photos
from saturday I think the train is late again okay sounds good let me check`)

func text(i int) string {
	n := 3 + (i*7919)%23
	if i%17 == 0 {
		n += 60
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#%d", i)
	for j := 0; j < n; j++ {
		b.WriteByte(' ')
		b.WriteString(words[(i*31+j*7)%len(words)])
	}
	return b.String()
}
