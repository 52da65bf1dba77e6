package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sotto-im/sotto/handle"
)

// Version is the API version every path is under ("/v1/...").
const Version = "v1"

// Paths of the API. Parameters are shown as {name}.
const (
	PathHealth            = "/healthz"
	PathRegisterChallenge = "/v1/register/challenge" // POST → RegisterChallenge
	PathRegister          = "/v1/register"           // POST RegisterRequest → RegisterResponse
	PathAuthChallenge     = "/v1/auth/challenge"     // POST AuthChallengeRequest → AuthChallenge
	PathAuthToken         = "/v1/auth/token"         // POST AuthTokenRequest → AuthToken
	PathHandles           = "/v1/handles/"           // GET {hash} → LookupResponse
	PathAvailability      = "/v1/availability"       // GET ?handle={hash}&skeleton={hash} → Availability
	PathPrekeys           = "/v1/prekeys"            // PUT PrekeyUpload → 204 (auth)
	PathPrekeyCount       = "/v1/prekeys/count"      // GET → PrekeyCount (auth)
	PathDeliveryToken     = "/v1/delivery-token"     // PUT DeliveryTokenRequest → 204 (auth)
	PathMessages          = "/v1/messages/"          // POST {device} raw body → SendResponse
	PathWebSocket         = "/v1/ws"                 // GET, upgrade; ?after=SEQ
	PathSenderCertificate = "/v1/sender-certificate" // GET → SenderCertificate (auth)
	PathRelayKey          = "/v1/relay-key"          // GET → RelayKey
	PathTURN              = "/v1/turn"               // GET → TURNCredentials (auth)
	PathAttachments       = "/v1/attachments"        // POST raw → AttachmentResponse (auth); GET /{id}
)

// Headers.
const (
	// HeaderDeliveryToken carries the base64 delivery token that admits a
	// sealed envelope without authenticating the sender.
	HeaderDeliveryToken = "Sotto-Delivery-Token"
)

// Limits on every body and field. The server refuses anything larger with
// CodeTooLarge; the client checks before sending.
const (
	MaxJSONBody        = 1 << 20  // any JSON request body
	MaxKey             = 64       // an identity public key
	MaxCertificate     = 4096     // a device certificate (it carries an X-Wing key)
	MaxPrekey          = 2048     // one encoded prekey (ML-KEM-1024 public key 1568 B + signature)
	MaxPrekeysPerBatch = 200      // prekeys per upload (crypto's keys.MaxPrekeyBatch)
	MaxEnvelope        = 64 << 10 // one envelope body
	ChallengeSize      = 32
	DeliveryTokenSize  = 32
	SignatureSize      = 64
)

// RegisterChallenge is a fresh proof-of-work puzzle.
type RegisterChallenge struct {
	Challenge []byte    `json:"challenge"`
	Pow       PowParams `json:"pow"`
	Expires   time.Time `json:"expires"`
}

// RegisterRequest claims a handle for a new account with its first device.
// IdentityKey is the raw Ed25519 identity key; DeviceCertificate and each
// prekey are crypto/keys wire encodings (DeviceCertificate.Marshal,
// SignedPrekey.Marshal). Prekeys must hold one signed X25519 prekey and one
// last-resort ML-KEM prekey, and may hold one-time prekeys of both kinds.
type RegisterRequest struct {
	Handle            string   `json:"handle"`
	Challenge         []byte   `json:"challenge"`
	Nonce             uint64   `json:"nonce"`
	IdentityKey       []byte   `json:"identity_key"`
	DeviceCertificate []byte   `json:"device_certificate"`
	Prekeys           [][]byte `json:"prekeys"`
	DeliveryToken     []byte   `json:"delivery_token,omitempty"`
}

// RegisterResponse names the registered device.
type RegisterResponse struct {
	Device     Addr        `json:"device"`
	HandleHash handle.Hash `json:"handle_hash"`
}

// AuthChallengeRequest asks for a challenge to sign.
type AuthChallengeRequest struct {
	Device Addr `json:"device"`
}

// AuthChallenge is a single-use challenge, valid until Expires.
type AuthChallenge struct {
	Challenge []byte    `json:"challenge"`
	Expires   time.Time `json:"expires"`
}

// AuthTokenRequest answers a challenge with the device key's signature
// (keys.DevicePrivateKey.Sign under AuthContext) over
// AuthMessage(challenge, device).
type AuthTokenRequest struct {
	Device    Addr   `json:"device"`
	Challenge []byte `json:"challenge"`
	Signature []byte `json:"signature"`
}

// AuthToken is a short-lived bearer token ("Authorization: Bearer …").
type AuthToken struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// AuthContext is the signature context (crypto/keys application
// signatures are domain-separated by it) of relay authentication.
const AuthContext = "relay-auth-v1"

// AuthMessage is what a device signs to authenticate: the relay's
// challenge and the device's address.
func AuthMessage(challenge []byte, device Addr) []byte {
	m := make([]byte, 0, len(challenge)+len(device))
	m = append(m, challenge...)
	return append(m, device[:]...)
}

// LookupResponse is what a handle lookup returns: the account's identity
// key and, for each device, its address and a crypto/keys Bundle
// (Bundle.Marshal). One-time prekeys handed out here are deleted from the
// relay: each is served at most once; when they run out the bundle carries
// only the signed and last-resort prekeys.
type LookupResponse struct {
	HandleHash  handle.Hash    `json:"handle_hash"`
	IdentityKey []byte         `json:"identity_key"`
	Devices     []DeviceBundle `json:"devices"`
	// Transparency is a kt.LookupProof: the handle's VRF proof, the log
	// entry that commits to this identity key and these devices, its
	// inclusion proof and the signed tree head.
	Transparency []byte `json:"transparency,omitempty"`
}

// DeviceBundle is one device's address and prekey bundle.
type DeviceBundle struct {
	Device Addr   `json:"device"`
	Bundle []byte `json:"bundle"`
}

// PrekeyUpload carries crypto/keys SignedPrekey encodings: a signed X25519
// or last-resort ML-KEM prekey replaces the current one; one-time prekeys
// are added.
type PrekeyUpload struct {
	Prekeys [][]byte `json:"prekeys"`
}

// PrekeyCount is how many one-time prekeys the relay still holds.
type PrekeyCount struct {
	OneTime   int `json:"one_time"`
	OneTimePQ int `json:"one_time_pq"`
}

// DeliveryTokenRequest sets the token contacts must present to send sealed
// envelopes to this device (the relay keeps only its hash).
type DeliveryTokenRequest struct {
	Token []byte `json:"token"`
}

// SendResponse acknowledges a durably stored envelope.
type SendResponse struct {
	ID  EnvelopeID `json:"id"`
	Seq uint64     `json:"seq"`
}

// SenderCertificate is a relay-signed, short-lived statement binding the
// authenticated device to its identity, for sealed sender.
type SenderCertificate struct {
	Certificate []byte    `json:"certificate"`
	Expires     time.Time `json:"expires"`
}

// RelayKey is the relay's public signing key (sender certificates).
type RelayKey struct {
	PublicKey []byte `json:"public_key"`
}

// TURNCredentials are short-lived credentials in coturn's REST-API scheme.
type TURNCredentials struct {
	URLs     []string `json:"urls"`
	Username string   `json:"username"`
	Password string   `json:"password"`
	TTL      int      `json:"ttl"`
}

// AttachmentResponse names an uploaded blob.
type AttachmentResponse struct {
	ID      string    `json:"id"`
	Expires time.Time `json:"expires"`
}

// Health is the body of /healthz.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// DecodeJSON reads one JSON value of at most limit bytes from r into v,
// refusing unknown fields and trailing data.
func DecodeJSON(r io.Reader, limit int64, v any) error {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if lr.N <= 0 {
			return Errorf(CodeTooLarge, "body over %d bytes", limit)
		}
		return Errorf(CodeBadRequest, "malformed JSON: %s", jsonReason(err))
	}
	if dec.More() {
		return Errorf(CodeBadRequest, "trailing data after JSON body")
	}
	if lr.N <= 0 {
		return Errorf(CodeTooLarge, "body over %d bytes", limit)
	}
	return nil
}

// jsonReason describes a decode error without echoing input values.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("wrong type for field %q", te.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	default:
		return "invalid value"
	}
}

// Availability answers whether a handle can still be claimed, for live
// feedback while someone types one. It names no account. Look-alikes of
// registered handles are only refused at registration (CodeHandleConfusable).
type Availability struct {
	Available bool `json:"available"`
	// Reason is "taken" or "reserved" when not available.
	Reason string `json:"reason,omitempty"`
}
