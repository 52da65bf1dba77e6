package peers

import (
	"context"
	"testing"

	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/serialize"
	"go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/state/record"
	"go.mau.fi/libsignal/util/keyhelper"
	"go.mau.fi/libsignal/util/optional"
)

type signalUser struct {
	address        *protocol.SignalAddress
	identity       *identity.KeyPair
	registrationID uint32
	preKey         *record.PreKey
	signedPreKey   *record.SignedPreKey
	sessions       *InMemorySession
	preKeys        *InMemoryPreKey
	signedPreKeys  *InMemorySignedPreKey
	identities     *InMemoryIdentityKey
}

func newSignalUser(b *testing.B, name string, device uint32, ser *serialize.Serializer) *signalUser {
	ctx := context.Background()
	u := &signalUser{address: protocol.NewSignalAddress(name, device)}
	var err error
	if u.identity, err = keyhelper.GenerateIdentityKeyPair(); err != nil {
		b.Fatal(err)
	}
	u.registrationID = keyhelper.GenerateRegistrationID()
	pks, err := keyhelper.GeneratePreKeys(1, 2, ser.PreKeyRecord)
	if err != nil {
		b.Fatal(err)
	}
	u.preKey = pks[0]
	if u.signedPreKey, err = keyhelper.GenerateSignedPreKey(u.identity, 1, ser.SignedPreKeyRecord); err != nil {
		b.Fatal(err)
	}
	u.sessions = NewInMemorySession(ser)
	u.preKeys = NewInMemoryPreKey()
	u.signedPreKeys = NewInMemorySignedPreKey()
	u.identities = NewInMemoryIdentityKey(u.identity, u.registrationID)
	u.preKeys.StorePreKey(ctx, u.preKey.ID().Value, u.preKey)
	u.signedPreKeys.StoreSignedPreKey(ctx, u.signedPreKey.ID(), u.signedPreKey)
	return u
}

func (u *signalUser) builder(remote *protocol.SignalAddress, ser *serialize.Serializer) *session.Builder {
	return session.NewBuilder(u.sessions, u.preKeys, u.signedPreKeys, u.identities, remote, ser)
}

// libsignalPair returns ciphers for both directions of an established
// session (a prekey message and a reply already exchanged).
func libsignalPair(b *testing.B) (alice, bob *session.Cipher, ser *serialize.Serializer) {
	ctx := context.Background()
	ser = serialize.NewProtoBufSerializer()
	a := newSignalUser(b, "alice", 1, ser)
	bb := newSignalUser(b, "bob", 2, ser)
	ab := a.builder(bb.address, ser)
	bundle := prekey.NewBundle(bb.registrationID, 2,
		optional.NewOptionalUint32(bb.preKey.ID().Value), bb.signedPreKey.ID(),
		bb.preKey.KeyPair().PublicKey(), bb.signedPreKey.KeyPair().PublicKey(),
		bb.signedPreKey.Signature(), bb.identity.PublicKey())
	if err := ab.ProcessBundle(ctx, bundle); err != nil {
		b.Fatal(err)
	}
	alice = session.NewCipher(ab, bb.address)
	bob = session.NewCipher(bb.builder(a.address, ser), a.address)
	first, err := alice.Encrypt(ctx, []byte("hello"))
	if err != nil {
		b.Fatal(err)
	}
	pkm, err := protocol.NewPreKeySignalMessageFromBytes(first.Serialize(), ser.PreKeySignalMessage, ser.SignalMessage)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bob.DecryptMessage(ctx, pkm); err != nil {
		b.Fatal(err)
	}
	libsignalSend(b, bob, alice, ser, []byte("hi"))
	return alice, bob, ser
}

func libsignalSend(b *testing.B, from, to *session.Cipher, ser *serialize.Serializer, pt []byte) {
	ctx := context.Background()
	ct, err := from.Encrypt(ctx, pt)
	if err != nil {
		b.Fatal(err)
	}
	msg, err := protocol.NewSignalMessageFromBytes(ct.Serialize(), ser.SignalMessage)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := to.Decrypt(ctx, msg); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkLibsignalOneWay1K(b *testing.B) {
	alice, bob, ser := libsignalPair(b)
	pt := make([]byte, 1024)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		libsignalSend(b, alice, bob, ser, pt)
	}
}

func BenchmarkLibsignalPingPong1K(b *testing.B) {
	alice, bob, ser := libsignalPair(b)
	pt := make([]byte, 1024)
	b.SetBytes(1024)
	b.ReportAllocs()
	from, to := alice, bob
	for b.Loop() {
		libsignalSend(b, from, to, ser, pt)
		from, to = to, from
	}
}
