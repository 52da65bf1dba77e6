package bridge

// StreamStats counts one stream's frames since it was made.
type StreamStats struct {
	// Written is frames the calls code wrote while a page watched.
	Written uint64
	// Sent is frames sent to pages (a frame sent to two pages counts twice).
	Sent uint64
	// Dropped is frames a page skipped because it was still busy with an
	// earlier one.
	Dropped uint64
	// Viewers is the pages watching now.
	Viewers int
}
