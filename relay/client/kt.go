package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay/api"
)

// The key-transparency endpoints. Answers are decoded strictly here and
// verified by the caller (package kt): nothing the relay says is trusted.

// KTKeys fetches the log's public keys.
func (c *Client) KTKeys(ctx context.Context) (api.KTKeys, error) {
	var out api.KTKeys
	return out, c.do(ctx, http.MethodGet, api.PathKTKeys, false, nil, nil, &out)
}

// KTHead fetches the latest signed tree head.
func (c *Client) KTHead(ctx context.Context) (kt.SignedTreeHead, error) {
	var out api.KTTreeHead
	if err := c.do(ctx, http.MethodGet, api.PathKTHead, false, nil, nil, &out); err != nil {
		return kt.SignedTreeHead{}, err
	}
	return kt.ParseSignedTreeHead(out.TreeHead)
}

// KTConsistency fetches a consistency proof between two tree sizes.
func (c *Client) KTConsistency(ctx context.Context, from, to uint64) (kt.ConsistencyProof, error) {
	var out api.KTProof
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s?from=%d&to=%d", api.PathKTConsistency, from, to), false, nil, nil, &out); err != nil {
		return kt.ConsistencyProof{}, err
	}
	p, err := kt.ParseConsistencyProof(out.Proof)
	if err == nil && (p.Size1 != from || p.Size2 != to) {
		err = fmt.Errorf("%w: consistency proof for other sizes", kt.ErrMalformed)
	}
	return p, err
}

// KTBinding fetches the transparency proof of h's current binding without
// taking prekeys (an account checks its own entry with it).
func (c *Client) KTBinding(ctx context.Context, h handle.Handle) (kt.LookupProof, error) {
	var out api.KTProof
	if err := c.do(ctx, http.MethodGet, api.PathKTBindings+h.Hash().String(), true, nil, nil, &out); err != nil {
		return kt.LookupProof{}, err
	}
	return kt.ParseLookupProof(out.Proof)
}

// KTEntries fetches up to limit encoded entries from position start.
func (c *Client) KTEntries(ctx context.Context, start uint64, limit int) ([][]byte, error) {
	var out api.KTEntries
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s?start=%d&limit=%d", api.PathKTEntries, start, limit), false, nil, nil, &out); err != nil {
		return nil, err
	}
	if out.Start != start || len(out.Entries) > limit {
		return nil, fmt.Errorf("%w: entries page", kt.ErrMalformed)
	}
	return out.Entries, nil
}

// KTRange fetches the compact range [0, end).
func (c *Client) KTRange(ctx context.Context, end uint64) ([]kt.Hash, error) {
	var out api.KTRange
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s?end=%d", api.PathKTRange, end), false, nil, nil, &out); err != nil {
		return nil, err
	}
	if out.End != end || len(out.Hashes) > 64 {
		return nil, fmt.Errorf("%w: compact range", kt.ErrMalformed)
	}
	hs := make([]kt.Hash, len(out.Hashes))
	for i, h := range out.Hashes {
		if len(h) != kt.HashSize {
			return nil, fmt.Errorf("%w: compact range hash", kt.ErrMalformed)
		}
		copy(hs[i][:], h)
	}
	return hs, nil
}

// KTCosign hands a witness's co-signature of the head of size to the relay.
func (c *Client) KTCosign(ctx context.Context, size uint64, cs kt.Cosignature) error {
	return c.do(ctx, http.MethodPost, api.PathKTCosign, false, nil, api.KTCosign{Size: size, Cosignature: cs.Marshal()}, nil)
}
