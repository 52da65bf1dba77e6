package store

import (
	"context"
	"errors"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
)

// Errors callers branch on.
var (
	ErrNotFound       = errors.New("store: not found")
	ErrHandleTaken    = errors.New("store: handle taken")
	ErrConfusable     = errors.New("store: handle looks like a registered one")
	ErrDeviceExists   = errors.New("store: device already registered")
	ErrClosed         = errors.New("store: closed")
	ErrUnknownAccount = errors.New("store: unknown account")
	// ErrVersionExists: the key-transparency log already has this version
	// for this VRF index (another node appended it first).
	ErrVersionExists = errors.New("store: log version exists")
)

// Account is a registered handle.
type Account struct {
	HandleHash   handle.Hash
	SkeletonHash handle.Hash
	IdentityKey  []byte // raw Ed25519 identity public key
	Created      time.Time
}

// Device is one registered device of an account.
type Device struct {
	Addr        api.Addr
	HandleHash  handle.Hash
	Certificate []byte // crypto/keys DeviceCertificate wire encoding
	// DeliveryTokenHash is SHA-256 of the delivery token contacts present
	// for sealed sends; nil when none is set (sealed sends are refused).
	DeliveryTokenHash []byte
	Created           time.Time
}

// PrekeyKind distinguishes the four prekey slots of a device.
type PrekeyKind int

// Prekey kinds. Signed and LastResort hold one prekey each (replaced on
// upload); the one-time kinds hold many, each handed out once.
const (
	PrekeySigned     PrekeyKind = 1
	PrekeyLastResort PrekeyKind = 2
	PrekeyOneTime    PrekeyKind = 3
	PrekeyOneTimePQ  PrekeyKind = 4
)

// Prekey is one stored prekey: its id and its opaque wire encoding.
type Prekey struct {
	Kind PrekeyKind
	ID   uint32
	Data []byte
}

// Prekeys is what TakePrekeys hands out for one device. OneTime and
// OneTimePQ are nil when exhausted.
type Prekeys struct {
	Signed     []byte
	LastResort []byte
	OneTime    []byte
	OneTimePQ  []byte
}

// PrekeyCount counts the one-time prekeys left.
type PrekeyCount struct {
	OneTime   int
	OneTimePQ int
}

// ChallengePurpose separates registration from authentication challenges.
type ChallengePurpose int

// Challenge purposes.
const (
	PurposeRegister ChallengePurpose = 1
	PurposeAuth     ChallengePurpose = 2
)

// Challenge is a single-use random value the relay handed out.
type Challenge struct {
	Value   [api.ChallengeSize]byte
	Purpose ChallengePurpose
	Device  api.Addr // for auth challenges; zero for register
	Expires time.Time
}

// Envelope is one queued envelope for a device.
type Envelope struct {
	To      api.Addr
	Seq     uint64 // assigned by Enqueue; per device, strictly increasing
	ID      api.EnvelopeID
	Sender  *api.Addr // authenticated first contact only; nil when sealed
	SentAt  time.Time
	Expires time.Time
	Body    []byte
}

// Blob is an attachment.
type Blob struct {
	ID      api.BlobID
	Data    []byte
	Expires time.Time
}

// Stats are gauges for metrics.
type Stats struct {
	Envelopes int64
	Accounts  int64
	Devices   int64
}

// LogLeaf is one entry of the key-transparency log.
type LogLeaf struct {
	Index    uint64   // position in the log, from 0
	VRFIndex [32]byte // the entry's VRF index
	Version  uint64   // the entry's version for that VRF index
	Data     []byte   // kt.Entry encoding
}

// TreeHead is a signed tree head as stored: one per size, the first one
// stored wins, so every node serves the same head for a size.
type TreeHead struct {
	Size         uint64
	Data         []byte   // kt.SignedTreeHead encoding, without co-signatures
	Cosignatures [][]byte // kt.Cosignature encodings, one per witness
}

// Store is the relay's storage. All methods are safe for concurrent use.
type Store interface {
	// CreateAccount registers an account with its first device and the
	// device's prekeys, atomically. ErrHandleTaken, ErrConfusable or
	// ErrDeviceExists when it would clash.
	CreateAccount(ctx context.Context, a Account, d Device, prekeys []Prekey) error
	// Account returns the account and its devices. ErrNotFound.
	Account(ctx context.Context, h handle.Hash) (Account, []Device, error)
	// Device returns one device. ErrNotFound.
	Device(ctx context.Context, addr api.Addr) (Device, error)
	// SetDeliveryToken replaces a device's delivery token hash.
	SetDeliveryToken(ctx context.Context, addr api.Addr, tokenHash []byte) error

	// PutPrekeys replaces the Signed/LastResort prekeys given and adds
	// one-time ones (an existing id of the same kind is replaced).
	PutPrekeys(ctx context.Context, addr api.Addr, prekeys []Prekey) error
	// TakePrekeys atomically removes and returns one one-time prekey of
	// each kind (when any is left) with the signed and last-resort ones.
	// No one-time prekey is ever returned twice.
	TakePrekeys(ctx context.Context, addr api.Addr) (Prekeys, error)
	// CountPrekeys counts one-time prekeys left.
	CountPrekeys(ctx context.Context, addr api.Addr) (PrekeyCount, error)

	// PutChallenge stores a fresh challenge.
	PutChallenge(ctx context.Context, c Challenge) error
	// TakeChallenge deletes and returns the challenge if it exists with this
	// purpose and has not expired at now; ErrNotFound otherwise (unknown,
	// already used, or expired). A challenge is taken at most once.
	TakeChallenge(ctx context.Context, value []byte, purpose ChallengePurpose, now time.Time) (Challenge, error)

	// Enqueue durably stores e (To, ID, Sender, SentAt, Expires, Body) and
	// returns its sequence number, only after the commit. ErrNotFound when
	// the recipient does not exist.
	Enqueue(ctx context.Context, e Envelope) (uint64, error)
	// Fetch returns up to limit envelopes for addr with Seq > after, in
	// order, skipping expired ones.
	Fetch(ctx context.Context, addr api.Addr, after uint64, limit int, now time.Time) ([]Envelope, error)
	// Ack deletes every envelope of addr with Seq ≤ upTo.
	Ack(ctx context.Context, addr api.Addr, upTo uint64) error
	// LastSeq is the highest sequence ever assigned to addr (0 if none).
	LastSeq(ctx context.Context, addr api.Addr) (uint64, error)

	// PutBlob stores an attachment; GetBlob returns it unless expired.
	PutBlob(ctx context.Context, b Blob) error
	GetBlob(ctx context.Context, id api.BlobID, now time.Time) (Blob, error)

	// RelaySecret returns the secret stored under name, creating it with
	// generate() on first use. Every node sharing the store sees the same
	// value (the relay's signing key, its token MAC key).
	RelaySecret(ctx context.Context, name string, generate func() []byte) ([]byte, error)

	// AppendLeaf appends a key-transparency log entry at the next position
	// and returns it. ErrVersionExists when (vrfIndex, version) is taken.
	AppendLeaf(ctx context.Context, vrfIndex [32]byte, version uint64, data []byte) (uint64, error)
	// LatestLeaf is the entry with the highest version for vrfIndex.
	// ErrNotFound.
	LatestLeaf(ctx context.Context, vrfIndex [32]byte) (LogLeaf, error)
	// Leaves returns up to limit entries from position start, in order.
	Leaves(ctx context.Context, start uint64, limit int) ([]LogLeaf, error)
	// LogSize is the number of entries.
	LogSize(ctx context.Context) (uint64, error)
	// PutTreeHead stores a signed tree head for size unless one exists, and
	// returns the stored one.
	PutTreeHead(ctx context.Context, size uint64, data []byte) (TreeHead, error)
	// LatestTreeHead is the head of the largest size. ErrNotFound.
	LatestTreeHead(ctx context.Context) (TreeHead, error)
	// TreeHeadAt is the head of one size. ErrNotFound.
	TreeHeadAt(ctx context.Context, size uint64) (TreeHead, error)
	// AddCosignature stores a witness's co-signature of the head of size,
	// replacing that witness's earlier one. ErrNotFound without such a head.
	AddCosignature(ctx context.Context, size uint64, witness []byte, data []byte) error

	// Expire deletes envelopes, challenges and blobs expired at now and
	// returns how many envelopes it deleted.
	Expire(ctx context.Context, now time.Time) (int64, error)
	// Stats returns gauges.
	Stats(ctx context.Context) (Stats, error)
	// Ping checks the store is reachable.
	Ping(ctx context.Context) error

	// SetPresence records that addr is connected to node (online) or no
	// longer is. Subscribe calls wake, on node, for every addr that
	// received an envelope after its commit. A single-node store may ignore
	// node. Subscribe returns when ctx ends.
	SetPresence(ctx context.Context, addr api.Addr, node string, online bool) error
	// When the store has the committed envelope at hand (a single-node
	// store) it passes it, so the relay can push without reading it back;
	// otherwise e is nil.
	Subscribe(ctx context.Context, node string, wake func(addr api.Addr, e *Envelope)) error

	Close() error
}

// AsyncWriter is implemented by stores whose group-commit writer can
// report an outcome to a callback instead of parking the caller: a relay
// with thousands of sends in flight then needs no goroutine for each.
// done is called exactly once, after the commit (or with the error that
// kept the write out of it), on the store's writer goroutine: it must be
// quick and must not call back into the store's writes.
type AsyncWriter interface {
	// EnqueueAsync is Enqueue reporting to done.
	EnqueueAsync(ctx context.Context, e Envelope, done func(seq uint64, err error))
	// AckAsync is Ack reporting to done.
	AckAsync(ctx context.Context, addr api.Addr, upTo uint64, done func(err error))
}

// TokenReader is implemented by stores that read many devices' delivery
// token hashes in one query. The relay caches token hashes for a few
// seconds; when the entries of many recipients lapse together, one read
// for all of them replaces a read transaction each.
type TokenReader interface {
	// DeliveryTokenHashes returns the delivery-token hash of each of
	// addrs that is registered (nil for a device without a token); an
	// address missing from the map is not registered.
	DeliveryTokenHashes(ctx context.Context, addrs []api.Addr) (map[api.Addr][]byte, error)
}
