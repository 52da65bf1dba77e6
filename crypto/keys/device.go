package keys

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/wire"
)

const deviceSeedsSize = 3 * 32

// DevicePrivateKey holds one device's private keys: the Ed25519 signing key,
// the X25519 key used as the device's identity in PQXDH, and the X-Wing key
// sealed-sender envelopes are opened with. It is not comparable with ==; use
// Equal. Call Destroy when it is no longer needed.
type DevicePrivateKey struct {
	_     [0]func()
	id    DeviceID
	seeds [deviceSeedsSize]byte // signing seed ‖ x25519 scalar ‖ x-wing seed
	sign  ed25519.PrivateKey
	dh    *ecdh.PrivateKey
	seal  hpke.PrivateKey
}

// GenerateDevice creates the keys of device id from 96 bytes of r.
func GenerateDevice(r io.Reader, id DeviceID) (*DevicePrivateKey, error) {
	var seeds [deviceSeedsSize]byte
	if err := prim.Random(r, seeds[:]); err != nil {
		return nil, fmt.Errorf("generate device key: %w", err)
	}
	defer prim.Wipe(seeds[:])
	return newDevicePrivateKey(id, seeds[:])
}

func newDevicePrivateKey(id DeviceID, seeds []byte) (*DevicePrivateKey, error) {
	if id == 0 {
		return nil, fmt.Errorf("device key: %w", ErrInvalidID)
	}
	if len(seeds) != deviceSeedsSize {
		return nil, fmt.Errorf("device key: %w", ErrInvalidKey)
	}
	k := &DevicePrivateKey{id: id}
	copy(k.seeds[:], seeds)
	k.sign = ed25519.NewKeyFromSeed(k.seeds[:32])
	dh, err := prim.NewX25519Private(k.seeds[32:64])
	if err != nil {
		return nil, fmt.Errorf("device key: %w", ErrInvalidKey)
	}
	k.dh = dh
	seal, err := hpke.MLKEM768X25519().NewPrivateKey(k.seeds[64:96])
	if err != nil {
		return nil, fmt.Errorf("device key: %w", ErrInvalidKey)
	}
	k.seal = seal
	return k, nil
}

// MarshalBinary encodes the device's private keys for local storage. The
// result is secret.
func (k *DevicePrivateKey) MarshalBinary() ([]byte, error) {
	k.mustLive()
	e := wire.NewEncoder(wire.TypePrivateKey, 8+deviceSeedsSize)
	e.Uint8(privateKindDevice)
	e.Uint32(uint32(k.id))
	e.Bytes(k.seeds[:])
	return e.Finish(), nil
}

// ParseDevicePrivateKey decodes the output of MarshalBinary.
func ParseDevicePrivateKey(b []byte) (*DevicePrivateKey, error) {
	d := wire.NewDecoder(b, wire.TypePrivateKey)
	if d.Uint8("kind") != privateKindDevice && d.Err() == nil {
		d.Fail("kind", wire.ErrInvalidValue)
	}
	id := DeviceID(d.Uint32("device"))
	seeds := d.Fixed("seeds", deviceSeedsSize)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("device private key: %w", err)
	}
	return newDevicePrivateKey(id, seeds)
}

func (k *DevicePrivateKey) mustLive() {
	if k == nil || k.sign == nil {
		panic("keys: use of nil or destroyed DevicePrivateKey")
	}
}

// ID returns the device id.
func (k *DevicePrivateKey) ID() DeviceID { k.mustLive(); return k.id }

// Public returns the device's Ed25519 signing public key.
func (k *DevicePrivateKey) Public() DevicePublicKey {
	k.mustLive()
	var p DevicePublicKey
	copy(p.k[:], k.sign[ed25519.SeedSize:])
	return p
}

// DHPublic returns the device's X25519 public key.
func (k *DevicePrivateKey) DHPublic() X25519PublicKey {
	k.mustLive()
	var p X25519PublicKey
	copy(p.k[:], k.dh.PublicKey().Bytes())
	return p
}

// SealingPublic returns the device's X-Wing public key.
func (k *DevicePrivateKey) SealingPublic() SealingPublicKey {
	k.mustLive()
	return SealingPublicKey{b: k.seal.PublicKey().Bytes()}
}

// DH returns the device's X25519 private key for PQXDH.
func (k *DevicePrivateKey) DH() *ecdh.PrivateKey { k.mustLive(); return k.dh }

// Sealing returns the device's X-Wing private key for opening envelopes.
func (k *DevicePrivateKey) Sealing() hpke.PrivateKey { k.mustLive(); return k.seal }

// Sign makes an application signature over msg under context (the relay's
// login challenge, for example). It can never be mistaken for a prekey
// signature.
func (k *DevicePrivateKey) Sign(context string, msg []byte) []byte {
	k.mustLive()
	return ed25519.Sign(k.sign, applicationMessage(context, msg))
}

func (k *DevicePrivateKey) signStatement(label string, fields []byte) []byte {
	k.mustLive()
	return ed25519.Sign(k.sign, signedMessage(label, fields))
}

// Equal reports whether k and o hold the same keys, in constant time.
func (k *DevicePrivateKey) Equal(o *DevicePrivateKey) bool {
	if k == nil || o == nil {
		return k == o
	}
	return k.id == o.id && subtle.ConstantTimeCompare(k.seeds[:], o.seeds[:]) == 1
}

// String never reveals the key (value receiver: see IdentityPrivateKey.String).
func (k DevicePrivateKey) String() string { return prefixDevicePrivate + redacted }

// GoString never reveals the key.
func (k DevicePrivateKey) GoString() string { return k.String() }

// Destroy zeroes the seeds and the signing key. The ecdh and hpke values are
// opaque and are only dropped. Any later use panics.
func (k *DevicePrivateKey) Destroy() {
	if k == nil {
		return
	}
	prim.Wipe(k.seeds[:])
	prim.Wipe(k.sign)
	k.sign, k.dh, k.seal = nil, nil, nil
}

// Private-key kinds inside wire.TypePrivateKey.
const (
	privateKindDevice uint8 = 1
	privateKindPrekey uint8 = 2
)
