package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// QueuedDevice is a device as an older schema left it: its last assigned
// sequence and the envelopes still queued for it (bodies "old <seq>").
type QueuedDevice struct {
	Addr   api.Addr
	Last   int64
	Queued []int64
}

// OldQueues is the fixture a migration test writes with the old schema:
// a device with envelopes queued after some were acked, one that never
// received any, and one whose envelopes were all acked.
func OldQueues() []QueuedDevice {
	return []QueuedDevice{
		{api.AddrFromKey([]byte("a")), 5, []int64{4, 5}}, // 1–3 acked
		{api.AddrFromKey([]byte("b")), 0, nil},           // never received
		{api.AddrFromKey([]byte("c")), 2, nil},           // all acked
	}
}

// OldQueueHandle is the handle OldQueues' device i was registered under.
func OldQueueHandle(i int) handle.Handle { return handle.MustParse(fmt.Sprintf("old_%d", i)) }

// CheckMigratedQueues checks a store migrated from a database holding
// devs: the queued envelopes are fetched in order, numbering continues
// after each old last sequence, acks delete, and a device registered after
// the migration numbers from 1.
func CheckMigratedQueues(t *testing.T, s store.Store, devs []QueuedDevice) {
	t.Helper()
	now := time.Now()
	for _, d := range devs {
		if last, err := s.LastSeq(ctx, d.Addr); err != nil || int64(last) != d.Last {
			t.Fatalf("LastSeq = %d, %v; want %d", last, err, d.Last)
		}
		got, err := s.Fetch(ctx, d.Addr, 0, 10, now)
		if err != nil || len(got) != len(d.Queued) {
			t.Fatalf("fetched %d envelopes (%v), want %d", len(got), err, len(d.Queued))
		}
		for i, e := range got {
			if int64(e.Seq) != d.Queued[i] || string(e.Body) != fmt.Sprintf("old %d", d.Queued[i]) {
				t.Fatalf("envelope %d: seq %d %q", i, e.Seq, e.Body)
			}
		}
		seq, err := s.Enqueue(ctx, store.Envelope{To: d.Addr, ID: api.NewEnvelopeID(), SentAt: now, Expires: now.Add(time.Hour), Body: []byte("new")})
		if err != nil || int64(seq) != d.Last+1 {
			t.Fatalf("enqueue after migrating: seq %d, %v; want %d", seq, err, d.Last+1)
		}
		if err := s.Ack(ctx, d.Addr, seq-1); err != nil {
			t.Fatal(err)
		}
		got, err = s.Fetch(ctx, d.Addr, 0, 10, now)
		if err != nil || len(got) != 1 || got[0].Seq != seq || string(got[0].Body) != "new" {
			t.Fatalf("after ack: %v %v", got, err)
		}
	}
	addr := api.AddrFromKey([]byte("new"))
	Register(t, s, "new_device", addr)
	if seq, err := s.Enqueue(ctx, store.Envelope{To: addr, ID: api.NewEnvelopeID(), SentAt: now, Expires: now.Add(time.Hour), Body: []byte("x")}); err != nil || seq != 1 {
		t.Fatalf("new device: seq %d, %v", seq, err)
	}
}
