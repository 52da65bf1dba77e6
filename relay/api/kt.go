package api

// Key-transparency endpoints (see docs/TRANSPARENCY.md). Binary fields are
// package kt encodings.
const (
	PathKTKeys        = "/v1/kt/keys"        // GET → KTKeys
	PathKTHead        = "/v1/kt/sth"         // GET → KTTreeHead
	PathKTConsistency = "/v1/kt/consistency" // GET ?from=M&to=N → KTProof (kt.ConsistencyProof)
	PathKTBindings    = "/v1/kt/bindings/"   // GET {hash} → KTProof (kt.LookupProof) (auth)
	PathKTEntries     = "/v1/kt/entries"     // GET ?start=S&limit=L → KTEntries
	PathKTRange       = "/v1/kt/range"       // GET ?end=N → KTRange
	PathKTCosign      = "/v1/kt/cosign"      // POST KTCosign → 204
)

// MaxKTEntriesPage bounds one page of log entries.
const MaxKTEntriesPage = 1000

// KTKeys are the log's public keys: the Ed25519 key that signs tree heads,
// the ECVRF key that maps handle hashes to log indexes, and the witnesses
// whose co-signatures the relay accepts.
type KTKeys struct {
	LogKey    []byte   `json:"log_key"`
	VRFKey    []byte   `json:"vrf_key"`
	Witnesses [][]byte `json:"witnesses,omitempty"`
}

// KTTreeHead is a kt.SignedTreeHead with its co-signatures.
type KTTreeHead struct {
	TreeHead []byte `json:"tree_head"`
}

// KTProof carries one encoded proof.
type KTProof struct {
	Proof []byte `json:"proof"`
}

// KTEntries is a page of kt.Entry encodings from position Start.
type KTEntries struct {
	Start   uint64   `json:"start"`
	Entries [][]byte `json:"entries"`
}

// KTRange is the compact range [0, End): the roots of the complete subtrees
// covering the first End entries, left to right.
type KTRange struct {
	End    uint64   `json:"end"`
	Hashes [][]byte `json:"hashes"`
}

// KTCosign is a witness's co-signature (kt.Cosignature) of the tree head of
// Size.
type KTCosign struct {
	Size        uint64 `json:"size"`
	Cosignature []byte `json:"cosignature"`
}
