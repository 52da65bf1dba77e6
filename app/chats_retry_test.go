package app

import (
	"errors"
	"testing"

	"github.com/sotto-im/sotto/app/messenger"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// TestChatsRetry: the Retry binding reaches the messenger: a message that is
// already with the relay needs nothing, an unknown one is refused.
func TestChatsRetry(t *testing.T) {
	url := relaytest.Serve(t)
	alice := newChats(t, "alice", url)
	bob := newChats(t, "bob", url)
	if _, err := alice.Register("alice", url, pass); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Register("bob", url, pass); err != nil {
		t.Fatal(err)
	}
	conv, err := alice.StartConversation("bob")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := alice.Send(conv.ID, "hello", 0)
	if err != nil || msg.Status != "sent" {
		t.Fatalf("send: %+v %v", msg, err)
	}
	if err := alice.Retry(msg.ID); err != nil {
		t.Fatalf("retry of a sent message: %v", err)
	}
	if err := alice.Retry(msg.ID + 1000); !errors.Is(err, messenger.ErrNoSuchMessage) {
		t.Fatalf("retry of no message: %v", err)
	}
}
