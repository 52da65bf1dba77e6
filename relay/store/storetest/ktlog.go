package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sotto-im/sotto/relay/store"
)

func vrfIndex(i int) [32]byte {
	var v [32]byte
	copy(v[:], fmt.Sprintf("index-%d", i))
	return v
}

func testLog(t *testing.T, s store.Store) {
	if n, err := s.LogSize(ctx); err != nil || n != 0 {
		t.Fatalf("empty log size %d %v", n, err)
	}
	if _, err := s.LatestLeaf(ctx, vrfIndex(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("latest of nothing: %v", err)
	}
	for i := range 10 {
		idx, err := s.AppendLeaf(ctx, vrfIndex(i%3), uint64(i/3+1), []byte(fmt.Sprintf("entry-%d", i)))
		if err != nil || idx != uint64(i) {
			t.Fatalf("append %d = %d %v", i, idx, err)
		}
	}
	if _, err := s.AppendLeaf(ctx, vrfIndex(0), 2, []byte("again")); !errors.Is(err, store.ErrVersionExists) {
		t.Fatalf("duplicate version: %v", err)
	}
	if n, err := s.LogSize(ctx); err != nil || n != 10 {
		t.Fatalf("size %d %v", n, err)
	}
	l, err := s.LatestLeaf(ctx, vrfIndex(0))
	if err != nil || l.Index != 9 || l.Version != 4 || string(l.Data) != "entry-9" || l.VRFIndex != vrfIndex(0) {
		t.Fatalf("latest = %+v %v", l, err)
	}
	page, err := s.Leaves(ctx, 4, 3)
	if err != nil || len(page) != 3 {
		t.Fatalf("page: %d %v", len(page), err)
	}
	for i, l := range page {
		if l.Index != uint64(4+i) || string(l.Data) != fmt.Sprintf("entry-%d", 4+i) || l.VRFIndex != vrfIndex((4+i)%3) || l.Version != uint64((4+i)/3+1) {
			t.Fatalf("page[%d] = %+v", i, l)
		}
	}
	if page, err := s.Leaves(ctx, 10, 5); err != nil || len(page) != 0 {
		t.Fatalf("past the end: %d %v", len(page), err)
	}
}

// testConcurrentLogAppends: positions stay consecutive and unique, and one
// version of one index is taken once, under concurrent appends.
func testConcurrentLogAppends(t *testing.T, s store.Store) {
	const workers, each = 8, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[uint64]bool{}
	dups := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				idx, err := s.AppendLeaf(ctx, vrfIndex(1000+i), 1, []byte(fmt.Sprintf("w%d-%d", w, i)))
				mu.Lock()
				switch {
				case errors.Is(err, store.ErrVersionExists):
					dups++
				case err != nil:
					t.Errorf("append: %v", err)
				case seen[idx]:
					t.Errorf("position %d assigned twice", idx)
				default:
					seen[idx] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != each || dups != (workers-1)*each {
		t.Fatalf("%d appended, %d refused; want %d and %d", len(seen), dups, each, (workers-1)*each)
	}
	for i := range uint64(each) {
		if !seen[i] {
			t.Fatalf("position %d missing", i)
		}
	}
}

func testTreeHeads(t *testing.T, s store.Store) {
	if _, err := s.LatestTreeHead(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("latest of nothing: %v", err)
	}
	if err := s.AddCosignature(ctx, 5, []byte("w1"), []byte("sig")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("co-signature of no head: %v", err)
	}
	h, err := s.PutTreeHead(ctx, 5, []byte("head-5"))
	if err != nil || h.Size != 5 || string(h.Data) != "head-5" {
		t.Fatalf("put = %+v %v", h, err)
	}
	// The first head of a size wins: another node's later one is not stored.
	if h, err := s.PutTreeHead(ctx, 5, []byte("other-5")); err != nil || string(h.Data) != "head-5" {
		t.Fatalf("second put = %+v %v", h, err)
	}
	if _, err := s.PutTreeHead(ctx, 9, []byte("head-9")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutTreeHead(ctx, 7, []byte("head-7")); err != nil {
		t.Fatal(err)
	}
	if h, err := s.LatestTreeHead(ctx); err != nil || h.Size != 9 || string(h.Data) != "head-9" {
		t.Fatalf("latest = %+v %v", h, err)
	}
	for _, c := range []struct{ w, sig string }{{"w1", "a"}, {"w2", "b"}, {"w1", "c"}} {
		if err := s.AddCosignature(ctx, 5, []byte(c.w), []byte(c.sig)); err != nil {
			t.Fatal(err)
		}
	}
	h, err = s.TreeHeadAt(ctx, 5)
	if err != nil || len(h.Cosignatures) != 2 || string(h.Cosignatures[0]) != "c" || string(h.Cosignatures[1]) != "b" {
		t.Fatalf("co-signatures = %q %v", h.Cosignatures, err)
	}
	if _, err := s.TreeHeadAt(ctx, 6); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown size: %v", err)
	}
}
