//go:build !linux && !darwin

package keyagent

import (
	"errors"
	"net"
)

// Without a kernel-checked peer credential the agent would serve anyone
// who reaches the socket, so it refuses every connection.
func peerUID(*net.UnixConn) (int, error) {
	return 0, errors.New("this system gives no peer credentials; the key agent runs on Linux and macOS")
}

func harden() {}

func lockMemory([]byte) {}
