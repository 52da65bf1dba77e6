package wakeorder

import (
	"testing"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

func TestWakeGroupsByDeviceKeepingOrder(t *testing.T) {
	a, b, c := api.Addr{1}, api.Addr{2}, api.Addr{3}
	envs := []store.Envelope{{To: b, Seq: 7}, {To: a, Seq: 1}, {To: c, Seq: 4}, {To: b, Seq: 8}, {To: a, Seq: 2}, {To: b, Seq: 9}}
	var got []store.Envelope
	var calls int
	Wake(envs, []func(api.Addr, *store.Envelope){
		func(to api.Addr, e *store.Envelope) {
			if to != e.To {
				t.Fatalf("wake(%v) with an envelope for %v", to, e.To)
			}
			got = append(got, *e)
		},
		func(api.Addr, *store.Envelope) { calls++ },
	})
	want := []store.Envelope{{To: a, Seq: 1}, {To: a, Seq: 2}, {To: b, Seq: 7}, {To: b, Seq: 8}, {To: b, Seq: 9}, {To: c, Seq: 4}}
	if len(got) != len(want) || calls != len(want) {
		t.Fatalf("got %d wake-ups and %d on the second subscriber, want %d", len(got), calls, len(want))
	}
	for i := range want {
		if got[i].To != want[i].To || got[i].Seq != want[i].Seq {
			t.Fatalf("wake-up %d: %v/%d, want %v/%d", i, got[i].To, got[i].Seq, want[i].To, want[i].Seq)
		}
	}
}
