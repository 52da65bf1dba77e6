package vrf_test

import (
	"encoding/hex"
	"fmt"

	"github.com/sotto-im/sotto/crypto/vrf"
)

func Example() {
	// The server's key; in practice from GenerateKey(crypto/rand.Reader).
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	sk, _ := vrf.NewPrivateKey(seed)
	defer sk.Zero()

	// The server indexes its log by beta and hands pi to whoever looks the
	// handle up.
	pi, beta := sk.Prove([]byte("alice"))

	// The client checks pi against the server's public key and the handle
	// it asked for, and learns the index.
	pk, _ := vrf.ParsePublicKey(sk.Public().Bytes())
	got, err := pk.Verify([]byte("alice"), pi[:])
	fmt.Println(err, got == beta)

	_, err = pk.Verify([]byte("mallory"), pi[:])
	fmt.Println(err)
	// Output:
	// <nil> true
	// vrf: invalid proof
}
