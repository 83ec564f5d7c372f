//go:build linux || darwin

package keyagent

import "net"

// socketUID asks the kernel, through get, for the uid at the other end of
// c, never trusting anything the peer says.
func socketUID(c *net.UnixConn, get func(fd int) (uint32, error)) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var uid uint32
	var getErr error
	if err := raw.Control(func(fd uintptr) { uid, getErr = get(int(fd)) }); err != nil {
		return 0, err
	}
	return int(uid), getErr
}
