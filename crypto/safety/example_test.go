package safety_test

import (
	"crypto/rand"
	"fmt"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/safety"
)

func Example() {
	alice, _ := keys.GenerateIdentity(rand.Reader)
	bob, _ := keys.GenerateIdentity(rand.Reader)

	onAlicesScreen := safety.Compute(alice.Public(), "alice", bob.Public(), "bob")
	onBobsScreen := safety.Compute(bob.Public(), "bob", alice.Public(), "alice")

	fmt.Println(len(onAlicesScreen.Digits()), onAlicesScreen.Digits() == onBobsScreen.Digits())
	fmt.Println(onAlicesScreen.CompareQR(onBobsScreen.QR()))
	// Output:
	// 60 true
	// <nil>
}
