package keys

import (
	"crypto/ed25519"
	"crypto/subtle"
)

// Signature labels. Each signed statement has its own label; the signed
// message is "sotto-v1 " || label || 0x00 || fields.
const (
	labelDeviceCertificate = "device-certificate"
	labelPrekey            = "prekey"
	labelSenderCertificate = "sender-certificate"
	labelApplication       = "app:"
)

func signedMessage(label string, fields []byte) []byte {
	m := make([]byte, 0, len("sotto-v1 ")+len(label)+1+len(fields))
	m = append(m, "sotto-v1 "...)
	m = append(m, label...)
	m = append(m, 0)
	return append(m, fields...)
}

// applicationMessage frames a caller-chosen context and message so it can
// never collide with one of the protocol's own statements.
func applicationMessage(context string, msg []byte) []byte {
	return signedMessage(labelApplication+context, msg)
}

func isUnsigned(sig []byte) bool {
	if len(sig) == 0 {
		return true
	}
	var zero [ed25519.SignatureSize]byte
	return len(sig) == len(zero) && subtle.ConstantTimeCompare(sig, zero[:]) == 1
}
