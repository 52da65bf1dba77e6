package keys_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
)

// A client certifies a device and publishes a bundle; the relay (or a peer)
// verifies it without any private key.
func Example_bundle() {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	id, _ := keys.GenerateIdentity(rand.Reader)
	dev, _ := keys.GenerateDevice(rand.Reader, 1)
	cert := keys.IssueDeviceCertificate(id, dev, now.Add(90*24*time.Hour))

	spk, _ := keys.GeneratePrekey(rand.Reader, dev, keys.PrekeySignedX25519, 1, now.Add(30*24*time.Hour))
	pq, _ := keys.GeneratePrekey(rand.Reader, dev, keys.PrekeyLastResortMLKEM, 2, now.Add(30*24*time.Hour))
	wireBytes := keys.Bundle{Device: cert, SignedPrekey: spk.Signed(), LastResortPQ: pq.Signed()}.Marshal()

	b, err := keys.ParseBundle(wireBytes)
	if err != nil {
		panic(err)
	}
	fmt.Println("valid now:", b.Verify(now) == nil)
	fmt.Println("identity matches:", b.Identity().Equal(id.Public()))
	err = b.Verify(now.Add(31 * 24 * time.Hour))
	fmt.Println("expired later:", errors.Is(err, keys.ErrExpired))
	// Output:
	// valid now: true
	// identity matches: true
	// expired later: true
}

// The relay issues short-lived sender certificates; recipients verify them
// against the relay key they pin.
func ExampleIssueSenderCertificate() {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	relay, _ := keys.GenerateRelayKey(rand.Reader)
	alice, _ := keys.GenerateIdentity(rand.Reader)

	cert, _ := keys.IssueSenderCertificate(relay, alice.Public(), 1, now.Add(24*time.Hour), rand.Reader)
	parsed, _ := keys.ParseSenderCertificate(cert.Marshal())
	fmt.Println(keys.VerifySenderCertificate(parsed, relay.Public(), now))
	fmt.Println(errors.Is(keys.VerifySenderCertificate(parsed, relay.Public(), now.Add(25*time.Hour)), keys.ErrExpired))
	// Output:
	// <nil>
	// true
}

func ExampleParseIdentityPublicKeyText() {
	_, err := keys.ParseIdentityPublicKeyText("sotto-relaypub:00")
	fmt.Println(errors.Is(err, keys.ErrInvalidKey))
	// Output: true
}
