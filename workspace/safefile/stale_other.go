//go:build !linux

package safefile

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// processStart tells whether pid is running; the start time is unknown
// here, so a reused pid keeps its file until the pid is free again.
func processStart(pid int) (time.Time, bool) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return time.Time{}, false
	}
	err = p.Signal(syscall.Signal(0))
	return time.Time{}, err == nil || errors.Is(err, os.ErrPermission)
}

// oldestOther cannot list processes here, so legacy files are kept.
func oldestOther(string) time.Time { return time.Now() }
