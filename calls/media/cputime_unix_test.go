//go:build unix

package media

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time this process has used: on a shared machine it measures a
// codec's cost where wall time would measure the neighbours.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
