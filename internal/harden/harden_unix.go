//go:build unix

package harden

import "syscall"

// NoCoreDumps keeps unlocked key material out of core files: Go cannot
// reliably wipe memory the garbage collector has moved, so a crash must not
// write it to disk. The limit survives exec, so a program mtlswb starts
// inherits it.
func NoCoreDumps() {
	_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 0, Max: 0})
}
