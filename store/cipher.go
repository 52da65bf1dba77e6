package store

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// masterKeySize is the size of the per-profile master key.
const masterKeySize = 32

// Column ciphertexts start with a version byte. Version 1 sealed the value
// as is; version 2 (written now) seals u32 length ‖ value ‖ zero padding up
// to a multiple of padBlock bytes, so a ciphertext tells a value's length
// only to within padBlock. Both are read.
const (
	sealV1     = 1
	sealV2     = 2
	padBlock   = 32
	sealHeader = 1 + chacha20poly1305.NonceSizeX
)

// encryptedColumns lists every encrypted column as "table.column". Each gets
// its own key, derived from the master key with HKDF (info "sotto/store/v1/
// column/<table>.<column>"), so a key never protects two kinds of data.
var encryptedColumns = []string{
	"device.public", "device.private",
	"contacts.handle", "contacts.profile", "contacts.identity_key", "contacts.verification",
	"conversations.settings",
	"sessions.state",
	"prekeys.private",
	"messages.meta", "messages.body", "messages.reactions",
	"reactions.emoji",
	"attachments.info",
	"calls.info",
	"settings.value",
	"kt_state.value",
}

// Blind-index purposes: each gets its own HMAC key.
const (
	macSearch   = "search"    // search tokens
	macRemoteID = "remote-id" // message de-duplication
	macHandle   = "handle"    // contact lookup by handle
	macDevice   = "device"    // session lookup by device id
	macName     = "name"      // settings and KT state names
)

// keyCheckPurpose derives the value stored in profile.json that tells
// whether a master key belongs to the profile, without revealing it.
const keyCheckPurpose = "sotto/store/v1/key-check"

// deriveKey derives a 32-byte sub-key of master for purpose (HKDF-SHA256).
func deriveKey(master []byte, purpose string) []byte {
	k := make([]byte, 32)
	r := hkdf.New(sha256.New, master, []byte("sotto-store-v1"), []byte(purpose))
	if _, err := io.ReadFull(r, k); err != nil {
		panic("store: hkdf: " + err.Error())
	}
	return k
}

// keyCheck is an HMAC of a fixed label under a key derived from master.
func keyCheck(master []byte) []byte {
	m := hmac.New(sha256.New, deriveKey(master, keyCheckPurpose))
	m.Write([]byte("key-check"))
	return m.Sum(nil)[:16]
}

// columnKeys holds the AEADs and MAC keys derived from one master key. It is
// immutable after construction and safe for concurrent use.
type columnKeys struct {
	aeads map[string]cipher.AEAD
	macs  map[string][]byte
}

func newColumnKeys(master []byte) *columnKeys {
	if len(master) != masterKeySize {
		panic("store: master key has wrong size")
	}
	k := &columnKeys{aeads: map[string]cipher.AEAD{}, macs: map[string][]byte{}}
	for _, c := range encryptedColumns {
		a, err := chacha20poly1305.NewX(deriveKey(master, "sotto/store/v1/column/"+c))
		if err != nil {
			panic("store: " + err.Error())
		}
		k.aeads[c] = a
	}
	for _, p := range []string{macSearch, macRemoteID, macHandle, macDevice, macName} {
		k.macs[p] = deriveKey(master, "sotto/store/v1/mac/"+p)
	}
	return k
}

// columnAD is the associated data binding a ciphertext to its place:
// a label, the table, the column (each length-prefixed) and the row id.
func columnAD(table, column string, row int64) []byte {
	ad := make([]byte, 0, 32+len(table)+len(column))
	ad = append(ad, "sotto/store/v1/ad"...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(table)))
	ad = append(ad, table...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(column)))
	ad = append(ad, column...)
	ad = binary.BigEndian.AppendUint64(ad, uint64(row))
	return ad
}

func (k *columnKeys) aead(table, column string) cipher.AEAD {
	a, ok := k.aeads[table+"."+column]
	if !ok {
		panic("store: no key for column " + table + "." + column)
	}
	return a
}

// seal encrypts pt for table.column of row: version ‖ nonce ‖ ciphertext of
// the padded value.
func (k *columnKeys) seal(table, column string, row int64, pt []byte) []byte {
	a := k.aead(table, column)
	padded := (4 + len(pt) + padBlock - 1) / padBlock * padBlock
	buf := make([]byte, padded)
	binary.BigEndian.PutUint32(buf, uint32(len(pt)))
	copy(buf[4:], pt)
	out := make([]byte, sealHeader, sealHeader+padded+a.Overhead())
	out[0] = sealV2
	if _, err := rand.Read(out[1:sealHeader]); err != nil {
		panic("store: rand: " + err.Error())
	}
	out = a.Seal(out, out[1:sealHeader], buf, append(columnAD(table, column, row), sealV2))
	clear(buf)
	return out
}

// open decrypts a value written by seal for the same place. Any mismatch —
// modified bytes, another row, another column — returns ErrTampered.
func (k *columnKeys) open(table, column string, row int64, ct []byte) ([]byte, error) {
	a := k.aead(table, column)
	if len(ct) < sealHeader+a.Overhead() || (ct[0] != sealV1 && ct[0] != sealV2) {
		return nil, fmt.Errorf("%w: %s.%s row %d: malformed ciphertext", ErrTampered, table, column, row)
	}
	ad := columnAD(table, column, row)
	if ct[0] == sealV2 {
		// Version 2 authenticates its version byte, so a ciphertext cannot be
		// passed off as the other version.
		ad = append(ad, sealV2)
	}
	pt, err := a.Open(nil, ct[1:sealHeader], ct[sealHeader:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %s.%s row %d", ErrTampered, table, column, row)
	}
	if ct[0] == sealV1 {
		return pt, nil
	}
	if len(pt) < 4 || len(pt)%padBlock != 0 {
		return nil, fmt.Errorf("%w: %s.%s row %d: bad padding", ErrTampered, table, column, row)
	}
	n := binary.BigEndian.Uint32(pt)
	if uint64(n) > uint64(len(pt)-4) {
		return nil, fmt.Errorf("%w: %s.%s row %d: bad padding", ErrTampered, table, column, row)
	}
	for _, b := range pt[4+n:] {
		if b != 0 {
			return nil, fmt.Errorf("%w: %s.%s row %d: bad padding", ErrTampered, table, column, row)
		}
	}
	return pt[4 : 4+n], nil
}

// mac is a keyed blind index value for purpose (HMAC-SHA256, 16 bytes).
func (k *columnKeys) mac(purpose string, parts ...[]byte) []byte {
	key, ok := k.macs[purpose]
	if !ok {
		panic("store: no MAC key for " + purpose)
	}
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(p)))
		m.Write(l[:])
		m.Write(p)
	}
	return m.Sum(nil)[:16]
}
