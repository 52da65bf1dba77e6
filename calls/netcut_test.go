package calls

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
)

// cuttableNetwork puts two peers on a pion virtual network whose router
// drops every packet while cut is set.
func cuttableNetwork(t *testing.T) (a, b *vnet.Net, cut *atomic.Bool) {
	t.Helper()
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	a, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*vnet.Net{a, b} {
		if err := router.AddNet(n); err != nil {
			t.Fatal(err)
		}
	}
	cut = &atomic.Bool{}
	router.AddChunkFilter(func(vnet.Chunk) bool { return !cut.Load() })
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = router.Stop() })
	return a, b, cut
}

func fastICE(net *vnet.Net, reconnect time.Duration) func(*Config) {
	return func(c *Config) {
		c.Net = net
		c.LoopbackCandidates = false
		c.ICEDisconnectedTimeout = 500 * time.Millisecond
		c.ICEFailedTimeout = 1500 * time.Millisecond
		c.ICEKeepalive = 150 * time.Millisecond
		c.ReconnectTimeout = reconnect
	}
}

// TestNetworkCutRecovers: the path goes dead mid-call and comes back; both
// sides report reconnecting, restart ICE and are connected again in the
// same call.
func TestNetworkCutRecovers(t *testing.T) {
	na, nb, cut := cuttableNetwork(t)
	n := newNetwork(t)
	alice := n.add("alice", fastICE(na, 10*time.Second))
	bob := n.add("bob", fastICE(nb, 10*time.Second))
	id := connect(t, alice, bob, false)

	cut.Store(true)
	alice.wait(t, StateReconnecting)
	bob.wait(t, StateReconnecting)
	time.Sleep(time.Second)
	cut.Store(false)
	for _, p := range []*peer{alice, bob} {
		if e := p.wait(t, StateConnected); e.Call != id {
			t.Fatalf("%s reconnected call %v, want %v", p.name, e.Call, id)
		}
	}
	if err := alice.m.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := bob.waitEnd(t); e.Reason != ReasonHungUpRemote {
		t.Fatalf("bob: %v", e.Reason)
	}
}

// TestNetworkCutEnds: the path stays dead; after ReconnectTimeout both
// sides end the call cleanly as connection lost.
func TestNetworkCutEnds(t *testing.T) {
	na, nb, cut := cuttableNetwork(t)
	n := newNetwork(t)
	alice := n.add("alice", fastICE(na, 3*time.Second))
	bob := n.add("bob", fastICE(nb, 3*time.Second))
	connect(t, alice, bob, false)

	cut.Store(true)
	for _, p := range []*peer{alice, bob} {
		p.wait(t, StateReconnecting)
	}
	for _, p := range []*peer{bob, alice} {
		if e := p.waitEnd(t); e.Reason != ReasonConnectionLost {
			t.Fatalf("%s ended %v (%v), want connection lost", p.name, e.Reason, e.Err)
		}
	}
	if len(alice.m.Calls())+len(bob.m.Calls()) != 0 {
		t.Fatal("calls left")
	}
}
