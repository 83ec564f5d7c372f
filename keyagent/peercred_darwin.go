package keyagent

import "golang.org/x/sys/unix"

// peerCred is the uid at the other end of the socket fd (LOCAL_PEERCRED).
func peerCred(fd int) (uint32, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return 0, err
	}
	return cred.Uid, nil
}

func harden() { _ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}) }
