package kt

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// Binding is what a handle resolves to: the account's identity key and its
// devices' certificates (crypto/keys encodings). A lookup's answer must be
// exactly the binding its log entry commits to, so a relay cannot add a
// device or swap a key without appending an entry every monitor sees.
type Binding struct {
	IdentityKey        []byte
	DeviceCertificates [][]byte
}

// bindingDomain separates binding commitments from every other MAC.
const bindingDomain = "sotto-kt-binding-v1"

// commit is HMAC-SHA256(key, domain ‖ len ‖ identity key ‖ count ‖ sorted
// SHA-256 of each certificate). Sorting makes the device order irrelevant.
func (b Binding) commit(key Hash) Hash {
	certs := make([]Hash, len(b.DeviceCertificates))
	for i, c := range b.DeviceCertificates {
		certs[i] = sha256.Sum256(c)
	}
	slices.SortFunc(certs, func(x, y Hash) int { return bytes.Compare(x[:], y[:]) })
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(bindingDomain))
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b.IdentityKey))))
	m.Write(b.IdentityKey)
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(certs))))
	for _, c := range certs {
		m.Write(c[:])
	}
	var out Hash
	copy(out[:], m.Sum(nil))
	return out
}
