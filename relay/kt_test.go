package relay_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/vrf"
	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

func ktVerifier(t *testing.T, c *client.Client) *kt.Verifier {
	t.Helper()
	k, err := c.KTKeys(bg)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := vrf.ParsePublicKey(k.VRFKey)
	if err != nil {
		t.Fatal(err)
	}
	return &kt.Verifier{LogKey: k.LogKey, VRFKey: vk}
}

func lookupBinding(t *testing.T, look api.LookupResponse) kt.Binding {
	t.Helper()
	b := kt.Binding{IdentityKey: look.IdentityKey}
	for _, d := range look.Devices {
		bu, err := keys.ParseBundle(d.Bundle)
		if err != nil {
			t.Fatal(err)
		}
		b.DeviceCertificates = append(b.DeviceCertificates, bu.Device.Marshal())
	}
	return b
}

// TestTransparencyLog: every registration is in the log; every lookup
// carries a proof that verifies; the heads a client sees stay consistent;
// the entries served hash to the latest head; witnesses co-sign.
func TestTransparencyLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		wpub, wpriv, _ := ed25519.GenerateKey(rand.Reader)
		e := start(t, b, func(c *relay.Config) { c.KT.Witnesses = []ed25519.PublicKey{wpub} })
		asker := relaytest.NewDevice(t, "asker", 2).Register(t, e.url)
		v := ktVerifier(t, asker.Client)
		var m kt.Monitor
		fetch := func(a, b uint64) (kt.ConsistencyProof, error) { return asker.Client.KTConsistency(bg, a, b) }
		const n = 12
		for i := range n {
			d := relaytest.NewDevice(t, relaytest.Name("user", i), 2).Register(t, e.url)
			look, err := asker.Client.Lookup(bg, d.Handle)
			if err != nil {
				t.Fatal(err)
			}
			p, err := kt.ParseLookupProof(look.Transparency)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyLookup(d.Handle.Hash(), lookupBinding(t, look), p); err != nil {
				t.Fatalf("lookup %d: %v", i, err)
			}
			if p.Entry.Version != 1 {
				t.Fatalf("version %d", p.Entry.Version)
			}
			if err := m.Observe(v, p.Head, fetch); err != nil {
				t.Fatalf("head %d: %v", i, err)
			}
			// The binding endpoint gives the same entry without prekeys.
			q, err := d.Client.KTBinding(bg, d.Handle)
			if err != nil || q.Entry != p.Entry {
				t.Fatalf("own binding: %v", err)
			}
		}
		// n+1 registrations, no other entries: looking up never appends.
		time.Sleep(50 * time.Millisecond)
		h, err := asker.Client.KTHead(bg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Observe(v, h, fetch); err != nil || h.Size != n+1 {
			t.Fatalf("head of %d: %v", h.Size, err)
		}
		a, _ := kt.NewAudit(0, nil)
		entries, err := asker.Client.KTEntries(bg, 0, 1000)
		if err != nil || len(entries) != n+1 {
			t.Fatalf("entries: %d %v", len(entries), err)
		}
		for _, en := range entries {
			if err := a.Append(en, kt.Own{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Check(h.TreeHead, fetch); err != nil {
			t.Fatalf("entries against the head: %v", err)
		}
		hs, err := asker.Client.KTRange(bg, 5)
		if err != nil {
			t.Fatal(err)
		}
		a5, _ := kt.NewAudit(5, hs)
		if err := a5.Check(h.TreeHead, fetch); err != nil {
			t.Fatalf("compact range: %v", err)
		}

		// Witness co-signatures: a configured witness's is kept and served;
		// an unknown witness's is refused.
		c := kt.Cosign(wpriv, v.LogKey, time.Now(), h.TreeHead)
		if err := asker.Client.KTCosign(bg, h.Size, c); err != nil {
			t.Fatalf("cosign: %v", err)
		}
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		wantCode(t, asker.Client.KTCosign(bg, h.Size, kt.Cosign(other, v.LogKey, time.Now(), h.TreeHead)), api.CodeBadSignature)
		bad := c
		bad.Signature[0] ^= 1
		wantCode(t, asker.Client.KTCosign(bg, h.Size, bad), api.CodeBadSignature)
		wantCode(t, asker.Client.KTCosign(bg, h.Size+100, c), api.CodeNotFound)
		h2, err := asker.Client.KTHead(bg)
		if err != nil {
			t.Fatal(err)
		}
		v.Witnesses, v.RequireWitness = []ed25519.PublicKey{wpub}, true
		if err := v.VerifyHead(h2); err != nil {
			t.Fatalf("witnessed head: %v", err)
		}
		// Proofs only up to the latest head.
		_, err = asker.Client.KTConsistency(bg, 1, h.Size+5)
		wantCode(t, err, api.CodeBadRequest)
		_, err = asker.Client.KTRange(bg, h.Size+5)
		wantCode(t, err, api.CodeBadRequest)
		if _, err := asker.Client.KTConsistency(bg, 3, 1); !api.HasCode(err, api.CodeBadRequest) && !errors.Is(err, kt.ErrMalformed) {
			t.Fatalf("backwards consistency: %v", err)
		}
	})
}
