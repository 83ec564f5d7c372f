package workspace

import (
	"bufio"
	"strings"
	"testing"
)

func TestFindLockHolder(t *testing.T) {
	locks := `1: POSIX  ADVISORY  WRITE 99 fe:00:111 0 EOF
2: FLOCK  ADVISORY  WRITE 4242 fe:00:246947 0 EOF
2: -> FLOCK  ADVISORY  WRITE 5151 fe:00:246947 0 EOF
3: FLOCK  ADVISORY  READ 777 00:2f:555 0 EOF
4: OFDLCK ADVISORY  WRITE -1 00:2f:999 0 EOF
`
	tests := map[string]struct {
		ino     uint64
		self    int
		pid     int
		reading bool
	}{
		"writer":           {ino: 246947, pid: 4242},
		"reader":           {ino: 555, pid: 777, reading: true},
		"self is skipped":  {ino: 555, self: 777},
		"no lock":          {ino: 1},
		"OFD lock, no pid": {ino: 999},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pid, reading := findLockHolder(bufio.NewScanner(strings.NewReader(locks)), tc.ino, tc.self)
			if pid != tc.pid || reading != tc.reading {
				t.Fatalf("findLockHolder = %d, %v; want %d, %v", pid, reading, tc.pid, tc.reading)
			}
		})
	}
}
