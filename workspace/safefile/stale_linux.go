package safefile

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processStart tells whether pid is running and, when it can, since when:
// field 22 of /proc/PID/stat counts clock ticks from boot (USER_HZ, 100 on
// every Linux Go runs on), and /proc/stat's btime is the boot time. The
// result may be up to a second early, which only keeps a file longer.
func processStart(pid int) (time.Time, bool) {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return time.Time{}, false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, true
	}
	// The command name in parentheses may hold spaces; fields follow the
	// last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	fields := strings.Fields(string(stat[i+1:]))
	if i < 0 || len(fields) < 20 {
		return time.Time{}, true
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	boot := bootTime()
	if err != nil || boot.IsZero() {
		return time.Time{}, true
	}
	return boot.Add(time.Duration(ticks) * (time.Second / 100)), true
}

func bootTime() time.Time {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	return time.Time{}
}

// oldestOther is the start time of the oldest running process named
// program other than this one; zero when there is none.
func oldestOther(program string) time.Time {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return time.Now() // cannot tell: treat every legacy file as in use
	}
	var oldest time.Time
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != program {
			continue
		}
		if t, ok := processStart(pid); ok && !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	return oldest
}
