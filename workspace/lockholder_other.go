//go:build !linux

package workspace

// lockHolder is only implemented on Linux (/proc/locks); elsewhere the busy
// message leaves the pid out.
func lockHolder(path string) (pid int, reading bool) { return 0, false }

func processName(pid int) string { return "" }
