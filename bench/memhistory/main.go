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

	// Bob only has to exist: closed, he receives nothing and sends no
	// receipts, so Alice's queue stays empty and the window opens on a
	// settled profile. (With both sides open, Alice receiving Bob's half
	// stalled after a few hundred envelopes: see the report that added this.)
	if err := app.CloseChats(bob); err != nil {
		return err
	}
	start := time.Now()
	conv, err := alice.StartConversation("@bob")
	if err != nil {
		return fmt.Errorf("alice starts the conversation: %w", err)
	}
	for i := 0; i < *n; i++ {
		if _, err := alice.Send(conv.ID, text(i), 0); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		if (i+1)%2000 == 0 {
			fmt.Fprintf(os.Stderr, "memhistory: %d sent (%s)\n", i+1, time.Since(start).Round(time.Second))
		}
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
