package kt

import "errors"

// Errors callers branch on. Every check failure wraps exactly one of them.
var (
	// ErrMalformed: an encoding does not parse.
	ErrMalformed = errors.New("kt: malformed")
	// ErrBadSignature: a tree head is not signed by the log key, or a
	// co-signature does not verify.
	ErrBadSignature = errors.New("kt: tree head signature does not verify")
	// ErrNotWitnessed: witnesses are required and none co-signed this head.
	ErrNotWitnessed = errors.New("kt: tree head has no co-signature from a trusted witness")
	// ErrBadVRF: the VRF proof for a handle does not verify, or names
	// another index than the entry.
	ErrBadVRF = errors.New("kt: VRF proof does not verify")
	// ErrBindingMismatch: the keys a lookup returned are not what the log
	// entry commits to.
	ErrBindingMismatch = errors.New("kt: keys differ from the log entry")
	// ErrNotIncluded: an inclusion proof does not lead to the tree head's
	// root.
	ErrNotIncluded = errors.New("kt: entry not included in the tree head")
	// ErrFork: two signed tree heads of the same size have different roots.
	ErrFork = errors.New("kt: two tree heads of the same size differ (forked log)")
	// ErrInconsistent: a consistency proof between two tree heads fails, or
	// entries do not hash to a tree head: the history was rewritten or a
	// view was split.
	ErrInconsistent = errors.New("kt: tree heads are not consistent (history rewritten or split view)")
	// ErrRollback: an entry's version is older than one already seen for the
	// same index.
	ErrRollback = errors.New("kt: binding version went backwards")
	// ErrUnknownBinding: the log holds a binding for this account that this
	// device did not make.
	ErrUnknownBinding = errors.New("kt: the log holds a binding this device did not make")
)
