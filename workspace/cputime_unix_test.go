//go:build unix

package workspace

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used. Benchmarks report it
// beside wall time because the machines they run on are often shared: wall
// time then measures the neighbours too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
