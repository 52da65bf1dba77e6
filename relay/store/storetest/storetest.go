// Package storetest is the conformance suite every store.Store
// implementation must pass: store/sqlite and store/postgres run it.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// Run runs the suite; open returns a fresh, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open(t)) })
	t.Run("Prekeys", func(t *testing.T) { testPrekeys(t, open(t)) })
	t.Run("Challenges", func(t *testing.T) { testChallenges(t, open(t)) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, open(t)) })
	t.Run("ConcurrentEnqueue", func(t *testing.T) { testConcurrentEnqueue(t, open(t)) })
	t.Run("Blobs", func(t *testing.T) { testBlobs(t, open(t)) })
	t.Run("Secrets", func(t *testing.T) { testSecrets(t, open(t)) })
	t.Run("Wake", func(t *testing.T) { testWake(t, open(t)) })
	t.Run("TokenReader", func(t *testing.T) { testTokenReader(t, open(t)) })
	t.Run("TransparencyLog", func(t *testing.T) { testLog(t, open(t)) })
	t.Run("ConcurrentLogAppends", func(t *testing.T) { testConcurrentLogAppends(t, open(t)) })
	t.Run("TreeHeads", func(t *testing.T) { testTreeHeads(t, open(t)) })
}

var ctx = context.Background()

// Register creates an account named h with one device at addr.
func Register(t *testing.T, s store.Store, h string, addr api.Addr) {
	t.Helper()
	hh := handle.MustParse(h)
	err := s.CreateAccount(ctx, store.Account{HandleHash: hh.Hash(), SkeletonHash: hh.SkeletonHash(), IdentityKey: []byte("ik-" + h), Created: time.Now()},
		store.Device{Addr: addr, Certificate: []byte("cert-" + h), Created: time.Now()},
		[]store.Prekey{{Kind: store.PrekeySigned, ID: 1, Data: []byte("spk")}, {Kind: store.PrekeyLastResort, ID: 2, Data: []byte("lr")}})
	if err != nil {
		t.Fatalf("register %s: %v", h, err)
	}
}

func addr(i int) api.Addr { return api.AddrFromKey([]byte(fmt.Sprintf("device-%d", i))) }

func testAccounts(t *testing.T, s store.Store) {
	Register(t, s, "alice", addr(1))
	a, ds, err := s.Account(ctx, handle.MustParse("alice").Hash())
	if err != nil || string(a.IdentityKey) != "ik-alice" || len(ds) != 1 || ds[0].Addr != addr(1) || string(ds[0].Certificate) != "cert-alice" {
		t.Fatalf("Account = %+v %+v %v", a, ds, err)
	}
	if _, _, err := s.Account(ctx, handle.MustParse("nobody").Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	h := handle.MustParse("alice")
	mk := func(name string, ad api.Addr) error {
		x := handle.MustParse(name)
		return s.CreateAccount(ctx, store.Account{HandleHash: x.Hash(), SkeletonHash: x.SkeletonHash(), IdentityKey: []byte("k"), Created: time.Now()},
			store.Device{Addr: ad, Certificate: []byte("c"), Created: time.Now()}, nil)
	}
	if err := mk(h.String(), addr(2)); !errors.Is(err, store.ErrHandleTaken) {
		t.Fatalf("second claim: %v", err)
	}
	if err := mk("a1ice", addr(2)); !errors.Is(err, store.ErrConfusable) {
		t.Fatalf("look-alike claim: %v", err)
	}
	if err := mk("bob", addr(1)); !errors.Is(err, store.ErrDeviceExists) {
		t.Fatalf("device reuse: %v", err)
	}
	// Nothing of the refused claims is left behind.
	if _, _, err := s.Account(ctx, handle.MustParse("bob").Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused claim left an account: %v", err)
	}
	d, err := s.Device(ctx, addr(1))
	if err != nil || d.HandleHash != h.Hash() || d.DeliveryTokenHash != nil {
		t.Fatalf("Device = %+v, %v", d, err)
	}
	if err := s.SetDeliveryToken(ctx, addr(1), []byte("tokenhash")); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Device(ctx, addr(1)); string(d.DeliveryTokenHash) != "tokenhash" {
		t.Fatalf("token hash %q", d.DeliveryTokenHash)
	}
	if err := s.SetDeliveryToken(ctx, addr(9), []byte("x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token for unknown device: %v", err)
	}
	if _, err := s.Device(ctx, addr(9)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown device: %v", err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Accounts != 1 || st.Devices != 1 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
}

func testPrekeys(t *testing.T, s store.Store) {
	Register(t, s, "alice", addr(1))
	var ots []store.Prekey
	for i := 1; i <= 50; i++ {
		ots = append(ots, store.Prekey{Kind: store.PrekeyOneTime, ID: uint32(i), Data: []byte(fmt.Sprintf("ot-%d", i))})
	}
	ots = append(ots, store.Prekey{Kind: store.PrekeyOneTimePQ, ID: 1, Data: []byte("pq-1")})
	if err := s.PutPrekeys(ctx, addr(1), ots); err != nil {
		t.Fatal(err)
	}
	if c, err := s.CountPrekeys(ctx, addr(1)); err != nil || c.OneTime != 50 || c.OneTimePQ != 1 {
		t.Fatalf("count %+v %v", c, err)
	}
	// 60 concurrent takes: every one-time prekey handed out exactly once,
	// then nil; signed and last resort always present.
	var mu sync.Mutex
	seen := map[string]int{}
	pq := 0
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := s.TakePrekeys(ctx, addr(1))
			if err != nil {
				t.Errorf("take: %v", err)
				return
			}
			if string(p.Signed) != "spk" || string(p.LastResort) != "lr" {
				t.Errorf("take: %+v", p)
			}
			mu.Lock()
			if p.OneTime != nil {
				seen[string(p.OneTime)]++
			}
			if p.OneTimePQ != nil {
				pq++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(seen) != 50 || pq != 1 {
		t.Fatalf("handed out %d distinct one-time prekeys and %d PQ", len(seen), pq)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s handed out %d times", k, n)
		}
	}
	if c, _ := s.CountPrekeys(ctx, addr(1)); c.OneTime != 0 || c.OneTimePQ != 0 {
		t.Fatalf("count after exhaustion %+v", c)
	}
	// Replacing the signed prekey keeps one.
	if err := s.PutPrekeys(ctx, addr(1), []store.Prekey{{Kind: store.PrekeySigned, ID: 7, Data: []byte("spk2")}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.TakePrekeys(ctx, addr(1)); string(p.Signed) != "spk2" {
		t.Fatalf("signed after replace %q", p.Signed)
	}
	if err := s.PutPrekeys(ctx, addr(5), ots[:1]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("prekeys for unknown device: %v", err)
	}
	if _, err := s.TakePrekeys(ctx, addr(5)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("take for unknown device: %v", err)
	}
}

func testChallenges(t *testing.T, s store.Store) {
	now := time.Now()
	c := store.Challenge{Purpose: store.PurposeAuth, Device: addr(1), Expires: now.Add(time.Minute)}
	copy(c.Value[:], "challenge-one")
	if err := s.PutChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeChallenge(ctx, c.Value[:], store.PurposeRegister, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong purpose: %v", err)
	}
	got, err := s.TakeChallenge(ctx, c.Value[:], store.PurposeAuth, now)
	if err != nil || got.Device != addr(1) {
		t.Fatalf("take: %+v %v", got, err)
	}
	if _, err := s.TakeChallenge(ctx, c.Value[:], store.PurposeAuth, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("replay: %v", err)
	}
	c2 := c
	copy(c2.Value[:], "challenge-two")
	c2.Expires = now.Add(-time.Second)
	if err := s.PutChallenge(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeChallenge(ctx, c2.Value[:], store.PurposeAuth, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired: %v", err)
	}
}

func env(to api.Addr, body string, exp time.Time) store.Envelope {
	return store.Envelope{To: to, ID: api.NewEnvelopeID(), SentAt: time.Now(), Expires: exp, Body: []byte(body)}
}

func testQueue(t *testing.T, s store.Store) {
	Register(t, s, "alice", addr(1))
	later := time.Now().Add(time.Hour)
	sender := addr(7)
	e1 := env(addr(1), "one", later)
	e1.Sender = &sender
	for i, e := range []store.Envelope{e1, env(addr(1), "two", later), env(addr(1), "three", later)} {
		seq, err := s.Enqueue(ctx, e)
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("enqueue %d: seq %d, %v", i, seq, err)
		}
	}
	if _, err := s.Enqueue(ctx, env(addr(2), "x", later)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("enqueue to unknown: %v", err)
	}
	got, err := s.Fetch(ctx, addr(1), 0, 10, time.Now())
	if err != nil || len(got) != 3 || string(got[0].Body) != "one" || got[0].Sender == nil || *got[0].Sender != sender || got[1].Sender != nil || got[2].Seq != 3 || got[0].ID != e1.ID {
		t.Fatalf("fetch: %+v %v", got, err)
	}
	if got, _ := s.Fetch(ctx, addr(1), 1, 1, time.Now()); len(got) != 1 || got[0].Seq != 2 {
		t.Fatalf("fetch after 1 limit 1: %+v", got)
	}
	if err := s.Ack(ctx, addr(1), 2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Fetch(ctx, addr(1), 0, 10, time.Now()); len(got) != 1 || got[0].Seq != 3 {
		t.Fatalf("after ack: %+v", got)
	}
	// Sequences keep growing after acks; LastSeq reports the highest.
	if seq, _ := s.Enqueue(ctx, env(addr(1), "four", later)); seq != 4 {
		t.Fatalf("seq after ack %d", seq)
	}
	if n, err := s.LastSeq(ctx, addr(1)); n != 4 || err != nil {
		t.Fatalf("LastSeq %d %v", n, err)
	}
	// TTL: an expired envelope is not fetched and Expire deletes it.
	if _, err := s.Enqueue(ctx, env(addr(1), "old", time.Now().Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Fetch(ctx, addr(1), 0, 10, time.Now()); len(got) != 2 {
		t.Fatalf("expired envelope fetched: %d", len(got))
	}
	n, err := s.Expire(ctx, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	if st, _ := s.Stats(ctx); st.Envelopes != 2 {
		t.Fatalf("Stats.Envelopes %d", st.Envelopes)
	}
}

func testConcurrentEnqueue(t *testing.T, s store.Store) {
	const devices, per = 8, 50
	for i := range devices {
		Register(t, s, fmt.Sprintf("user_%d", i), addr(100+i))
	}
	later := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	seqs := map[api.Addr]map[uint64]bool{}
	for d := range devices {
		seqs[addr(100+d)] = map[uint64]bool{} // all before any writer starts
	}
	for d := range devices {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per / 4 {
					seq, err := s.Enqueue(ctx, env(addr(100+d), fmt.Sprintf("%d-%d", w, i), later))
					if err != nil {
						t.Errorf("enqueue: %v", err)
						return
					}
					mu.Lock()
					if seqs[addr(100+d)][seq] {
						t.Errorf("duplicate seq %d", seq)
					}
					seqs[addr(100+d)][seq] = true
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for d := range devices {
		got, err := s.Fetch(ctx, addr(100+d), 0, 1000, time.Now())
		if err != nil || len(got) != per/4*4 {
			t.Fatalf("device %d: %d envelopes, %v", d, len(got), err)
		}
		for i, e := range got {
			if e.Seq != uint64(i+1) {
				t.Fatalf("device %d: seq %d at %d", d, e.Seq, i)
			}
		}
	}
}

func testBlobs(t *testing.T, s store.Store) {
	id := api.BlobID{1, 2, 3}
	data := bytes.Repeat([]byte{0xAB}, 100<<10)
	if err := s.PutBlob(ctx, store.Blob{ID: id, Data: data, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	b, err := s.GetBlob(ctx, id, time.Now())
	if err != nil || !bytes.Equal(b.Data, data) {
		t.Fatalf("GetBlob: %v", err)
	}
	if _, err := s.GetBlob(ctx, id, time.Now().Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired blob: %v", err)
	}
	if _, err := s.GetBlob(ctx, api.BlobID{9}, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown blob: %v", err)
	}
}

func testSecrets(t *testing.T, s store.Store) {
	a, err := s.RelaySecret(ctx, "k", func() []byte { return []byte("first") })
	if err != nil || string(a) != "first" {
		t.Fatalf("%q %v", a, err)
	}
	b, err := s.RelaySecret(ctx, "k", func() []byte { return []byte("second") })
	if err != nil || string(b) != "first" {
		t.Fatalf("secret replaced: %q %v", b, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func testWake(t *testing.T, s store.Store) {
	Register(t, s, "alice", addr(1))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	woke := make(chan api.Addr, 4)
	go s.Subscribe(wctx, "node-a", func(a api.Addr, e *store.Envelope) {
		if e != nil && (e.To != a || e.Seq == 0 || string(e.Body) != "x") {
			t.Errorf("wake with envelope %+v", e)
		}
		woke <- a
	})
	if err := s.SetPresence(ctx, addr(1), "node-a", true); err != nil {
		t.Fatal(err)
	}
	// Subscribing may take a moment (PostgreSQL LISTEN); retry sends until
	// a wake arrives, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := s.Enqueue(ctx, env(addr(1), "x", time.Now().Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-woke:
			if a != addr(1) {
				t.Fatalf("woke %s", a)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatal("no wake-up after enqueue")
}

// testTokenReader checks the batched token read against Device, for
// stores that offer it.
func testTokenReader(t *testing.T, s store.Store) {
	tr, ok := s.(store.TokenReader)
	if !ok {
		t.Skip("the store reads delivery tokens one device at a time")
	}
	Register(t, s, "tokens_a", addr(1))
	Register(t, s, "tokens_b", addr(2))
	want := []byte("0123456789abcdef0123456789abcdef")
	if err := s.SetDeliveryToken(ctx, addr(1), want); err != nil {
		t.Fatal(err)
	}
	addrs := []api.Addr{addr(1), addr(2), addr(3)}
	for i := range 700 { // more than one chunk of parameters
		addrs = append(addrs, addr(100+i))
	}
	got, err := tr.DeliveryTokenHashes(ctx, addrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d devices found, want 2", len(got))
	}
	if h, ok := got[addr(1)]; !ok || string(h) != string(want) {
		t.Fatalf("token of device 1: %x, %v", h, ok)
	}
	if h, ok := got[addr(2)]; !ok || h != nil {
		t.Fatalf("device 2 has no token: got %x, %v", h, ok)
	}
	if got, err := tr.DeliveryTokenHashes(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no addresses: %v, %v", got, err)
	}
}
