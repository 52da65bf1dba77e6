package audioproc

// farHistory keeps the most recent far-end samples, addressed by their
// position in the whole played stream, so a capture block can fetch the
// reference that was played any number of samples before "now".
type farHistory struct {
	buf   []int16
	total int64 // samples ever written
}

func newFarHistory(capacity int) farHistory {
	return farHistory{buf: make([]int16, capacity)}
}

func (h *farHistory) write(x []int16) {
	if skip := len(x) - len(h.buf); skip > 0 {
		h.total += int64(skip) // older than the history keeps
		x = x[skip:]
	}
	for len(x) > 0 {
		at := int(h.total % int64(len(h.buf)))
		n := copy(h.buf[at:], x)
		x = x[n:]
		h.total += int64(n)
	}
}

// read copies the samples at stream positions [end-len(dst), end) into dst;
// positions before the stream began or already overwritten read as silence.
func (h *farHistory) read(dst []int16, end int64) {
	start := end - int64(len(dst))
	oldest := h.total - int64(len(h.buf))
	for i := range dst {
		p := start + int64(i)
		if p < 0 || p < oldest || p >= h.total {
			dst[i] = 0
			continue
		}
		dst[i] = h.buf[p%int64(len(h.buf))]
	}
}
