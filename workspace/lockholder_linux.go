package workspace

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder finds the process holding a flock on path by its inode in
// /proc/locks, so the busy message can name it without a sidecar file that a
// crash would leave stale. It returns 0 when there is none to be found.
func lockHolder(path string) (pid int, reading bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	return findLockHolder(bufio.NewScanner(f), st.Ino, os.Getpid())
}

// processName is the program name of process pid, from /proc/PID/comm
// (the kernel cuts it to 15 bytes); "" when it cannot be read.
func processName(pid int) string {
	if pid <= 0 {
		return ""
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// findLockHolder scans /proc/locks lines such as
//
//	3: FLOCK  ADVISORY  WRITE 4242 fe:00:246947 0 EOF
//
// for a granted lock (waiters are marked "->") on inode ino held by a
// process other than self. The device is not compared: on overlay
// filesystems /proc/locks names the underlying device, not the one stat
// reports, and an inode collision across devices with a live lock is
// harmless here (it only changes the pid in a message).
func findLockHolder(sc *bufio.Scanner, ino uint64, self int) (pid int, reading bool) {
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" {
			continue
		}
		devIno := strings.Split(fields[5], ":")
		if len(devIno) != 3 {
			continue
		}
		n, err := strconv.ParseUint(devIno[2], 10, 64)
		if err != nil || n != ino {
			continue
		}
		p, err := strconv.Atoi(fields[4])
		if err != nil || p <= 0 || p == self {
			continue
		}
		return p, fields[3] == "READ"
	}
	return 0, false
}
