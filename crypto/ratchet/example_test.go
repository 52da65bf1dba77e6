package ratchet_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/ratchet"
)

// Sessions normally come from pqxdh.Initiate and pqxdh.Accept; here the
// shared secrets are made up to show the ratchet on its own, including
// saving a session to bytes and loading it again.
func Example() {
	var sk, hka, nhkb [32]byte
	rand.Read(sk[:])
	rand.Read(hka[:])
	rand.Read(nhkb[:])
	bobKey, _ := ecdh.X25519().GenerateKey(rand.Reader)
	ad := []byte("identities, devices and prekey ids from PQXDH")

	alice, _ := ratchet.NewInitiator(rand.Reader, &sk, &hka, &nhkb, bobKey.PublicKey(), ad)
	bob, _ := ratchet.NewResponder(&sk, &hka, &nhkb, bobKey, ad)

	msg, _ := alice.Encrypt(rand.Reader, []byte("hello"))
	fmt.Println("padded size:", len(msg)-ratchet.Overhead)

	saved, _ := bob.MarshalBinary() // store this encrypted
	bob, _ = ratchet.Unmarshal(saved)

	pt, _ := bob.Decrypt(rand.Reader, msg, time.Now())
	fmt.Printf("%s\n", pt)
	_, err := bob.Decrypt(rand.Reader, msg, time.Now())
	fmt.Println(err)
	// Output:
	// padded size: 256
	// hello
	// ratchet: message already received or its key discarded
}
