package keyagent

import "golang.org/x/sys/unix"

// peerCred is the uid at the other end of the socket fd (SO_PEERCRED).
func peerCred(fd int) (uint32, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, err
	}
	return cred.Uid, nil
}

// harden keeps the agent's memory from other processes of the same user
// (ptrace, /proc/PID/mem) and from core files.
func harden() {
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
}
