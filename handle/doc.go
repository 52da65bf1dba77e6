// Package handle owns Sotto's one handle type: the user-visible name
// (`@alice`) people find each other by.
//
// Parse normalises untrusted input (NFKC, lowercase, an optional leading
// '@') and accepts only 3–32 characters of a–z, 0–9 and '_'. Skeleton maps a
// handle to a confusable-folded form (0→o, 1/i→l, rn→m, vv→w, …) so a
// registry can refuse look-alikes of an existing handle. Hash is what the
// relay stores: SHA-256("sotto-handle-v1" ‖ normalised).
//
// Rules: pure functions, no I/O, imports nothing of ours. A Handle is
// personal data: callers must not log it in clear.
package handle
