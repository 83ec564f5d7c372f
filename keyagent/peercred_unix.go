//go:build linux || darwin

package keyagent

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerUID is the uid of the process at the other end of c, as the kernel
// knows it (peerCred): never anything the peer says.
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var uid uint32
	var credErr error
	if err := raw.Control(func(fd uintptr) { uid, credErr = peerCred(int(fd)) }); err != nil {
		return 0, err
	}
	return int(uid), credErr
}

func lockMemory(b []byte) { _ = unix.Mlock(b) }
