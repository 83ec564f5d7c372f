//go:build unix

package main

import "syscall"

// noCoreDumps keeps unlocked key material out of core files: Go cannot
// reliably wipe memory the garbage collector has moved, so a crash must not
// write it to disk.
func noCoreDumps() {
	_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 0, Max: 0})
}
