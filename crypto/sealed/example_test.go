package sealed_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/pqxdh"
	"github.com/sotto-im/sotto/crypto/sealed"
	"github.com/sotto-im/sotto/crypto/wire"
)

type prekeyMap map[pqxdh.PrekeyRef]*keys.PrekeyPrivate

func (m prekeyMap) Prekey(t keys.PrekeyType, id keys.PrekeyID) (*keys.PrekeyPrivate, error) {
	if p, ok := m[pqxdh.PrekeyRef{Type: t, ID: id}]; ok {
		return p, nil
	}
	return nil, errors.New("no such prekey")
}

// The whole path of a first message: Bob publishes a bundle, Alice starts a
// session and seals her first message, the relay forwards bytes it cannot
// read, Bob opens the envelope and accepts the session.
func Example() {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	relay, _ := keys.GenerateRelayKey(rand.Reader)

	// Bob's device and bundle.
	bobID, _ := keys.GenerateIdentity(rand.Reader)
	bobDev, _ := keys.GenerateDevice(rand.Reader, 1)
	bob := pqxdh.Local{Device: bobDev, Certificate: keys.IssueDeviceCertificate(bobID, bobDev, now.AddDate(1, 0, 0))}
	spk, _ := keys.GeneratePrekey(rand.Reader, bobDev, keys.PrekeySignedX25519, 1, now.AddDate(0, 1, 0))
	lr, _ := keys.GeneratePrekey(rand.Reader, bobDev, keys.PrekeyLastResortMLKEM, 2, now.AddDate(0, 1, 0))
	otp, _ := keys.GeneratePrekey(rand.Reader, bobDev, keys.PrekeyOneTimeX25519, 3, now.AddDate(0, 1, 0))
	bobPrekeys := prekeyMap{}
	for _, p := range []*keys.PrekeyPrivate{spk, lr, otp} {
		bobPrekeys[pqxdh.PrekeyRef{Type: p.Type(), ID: p.ID()}] = p
	}
	otpPub := otp.Signed()
	bundle := keys.Bundle{Device: bob.Certificate, SignedPrekey: spk.Signed(), LastResortPQ: lr.Signed(), OneTimePrekey: &otpPub}

	// Alice's device and the relay's sender certificate for it.
	aliceID, _ := keys.GenerateIdentity(rand.Reader)
	aliceDev, _ := keys.GenerateDevice(rand.Reader, 1)
	alice := pqxdh.Local{Device: aliceDev, Certificate: keys.IssueDeviceCertificate(aliceID, aliceDev, now.AddDate(1, 0, 0))}
	senderCert, _ := keys.IssueSenderCertificate(relay, aliceID.Public(), 1, now.Add(24*time.Hour), rand.Reader)

	// Alice: session setup, first message, envelope.
	session, init, err := pqxdh.Initiate(rand.Reader, alice, bobID.Public(), bundle, now)
	if err != nil {
		panic(err)
	}
	ct, _ := session.Encrypt(rand.Reader, []byte("hi Bob"))
	envelope, _ := sealed.Seal(bundle.Device.SealingKey, senderCert, init.Wrap(ct))

	// Bob: open, then accept the session the inner message starts.
	opened, err := sealed.Open(bobDev, relay.Public(), envelope, now)
	if err != nil {
		panic(err)
	}
	fmt.Println(opened.Type == wire.TypePrekeyMessage, opened.Sender.Sender.Equal(aliceID.Public()))
	bobSession, accepted, err := pqxdh.Accept(rand.Reader, bob, bobPrekeys, opened.Message, now)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s; consumed %d one-time prekey(s)\n", accepted.Plaintext, len(accepted.Consumed))

	// Bob replies inside the session.
	reply, _ := bobSession.Encrypt(rand.Reader, []byte("hi Alice"))
	pt, _ := session.Decrypt(rand.Reader, reply, now)
	fmt.Printf("%s\n", pt)
	// Output:
	// true true
	// hi Bob; consumed 1 one-time prekey(s)
	// hi Alice
}
