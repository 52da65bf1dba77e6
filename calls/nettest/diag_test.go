package nettest

import (
	"fmt"
	"strings"
	"time"
)

// framesPer100ms is a debugging view: new frames per 100 ms from origin, with size changes.
func framesPer100ms(frames []frameAt, origin time.Time, n int) string {
	counts := make([]int, n)
	var last uint32
	for _, f := range frames {
		if !f.OK || f.N <= last {
			continue
		}
		last = f.N
		i := int(f.At.Sub(origin) / (100 * time.Millisecond))
		if i >= 0 && i < n {
			counts[i]++
		}
	}
	var b strings.Builder
	for i, c := range counts {
		if i%10 == 0 {
			fmt.Fprintf(&b, "|")
		}
		fmt.Fprintf(&b, "%d", min(c, 9))
	}
	return b.String()
}
