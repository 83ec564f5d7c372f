//go:build unix

package main

import "golang.org/x/sys/unix"

// foreground reports whether this process's group owns the terminal fd:
// a background job that reads it gets SIGTTIN and stops until `fg`.
func foreground(fd int) bool {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil {
		return true // not knowing is no reason to refuse; the read decides
	}
	return pgrp == unix.Getpgrp()
}
