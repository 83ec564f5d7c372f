//go:build unix

package keyagent

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// flock takes f's exclusive lock without waiting; the kernel drops it when
// the agent dies, however it dies.
func flock(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return ErrRunning
	}
	return err
}

// privateUmask masks every bit but the owner's until restore is called.
func privateUmask() (restore func()) {
	old := unix.Umask(0o077)
	return func() { unix.Umask(old) }
}
