package relay_test

import (
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// TestTwoNodesOnePostgres: a device connected to node A receives, live, an
// envelope sent through node B (presence + LISTEN/NOTIFY), and an
// authentication token from A is accepted by B (shared token key).
func TestTwoNodesOnePostgres(t *testing.T) {
	dsn := relaytest.PostgresDSN(t)
	stA, stB := relaytest.Open(t, dsn), relaytest.Open(t, dsn)
	a := startOn(t, stA, func(c *relay.Config) { c.NodeID = "node_a" })
	b := startOn(t, stB, func(c *relay.Config) { c.NodeID = "node_b" })

	bob := relaytest.NewDevice(t, "bob", 0).Register(t, a.url)
	alice := relaytest.NewDevice(t, "alice", 0).Register(t, b.url)
	rc, err := bob.Client.Dial(bg, client.DialOptions{Authenticated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// Connected on A; wait until the presence row is there (the dial
	// returns once the upgrade is done, presence is recorded right after).
	time.Sleep(200 * time.Millisecond)

	viaB, _ := client.New(b.url, nil)
	for i, body := range []string{"through-b-1", "through-b-2"} {
		start := time.Now()
		if _, err := viaB.SendSealed(bg, bob.Addr, bob.Token, []byte(body)); err != nil {
			t.Fatal(err)
		}
		got := recv(t, rc, 1)
		if string(got[0].Body) != body || got[0].Seq != uint64(i+1) {
			t.Fatalf("got %+v", got[0])
		}
		t.Logf("node B → node A live delivery in %v", time.Since(start))
		if err := rc.Ack(got[0].Seq); err != nil {
			t.Fatal(err)
		}
	}
	// Alice registered on B uses her token on A.
	tok := mustToken(t, alice.Client)
	if st, ae := bearerGet(t, a.url+"/v1/prekeys/count", tok); st != 200 {
		t.Fatalf("token from B refused by A: %d %+v", st, ae)
	}
	// Both nodes publish the same relay key.
	if !a.srv.RelayPublicKey().Equal(b.srv.RelayPublicKey()) {
		t.Fatal("nodes sign with different relay keys")
	}
}
