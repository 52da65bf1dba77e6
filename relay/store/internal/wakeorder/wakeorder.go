package wakeorder

import (
	"bytes"
	"slices"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// Wake calls each of subs for every envelope of envs (committed, with
// sequence numbers), grouped by recipient. Within a recipient the order of
// envs is kept; callers pass them in commit order, where a recipient's
// sequence numbers increase. envs is reordered in place.
func Wake(envs []store.Envelope, subs []func(api.Addr, *store.Envelope)) {
	slices.SortStableFunc(envs, func(a, b store.Envelope) int { return bytes.Compare(a.To[:], b.To[:]) })
	for i := range envs {
		for _, f := range subs {
			f(envs[i].To, &envs[i])
		}
	}
}
