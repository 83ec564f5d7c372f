//go:build unix

package harden

import (
	"syscall"
	"testing"
)

func TestNoCoreDumps(t *testing.T) {
	var before syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &before); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_CORE, &before) })
	NoCoreDumps()
	var after syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &after); err != nil {
		t.Fatal(err)
	}
	if after.Cur != 0 || after.Max != 0 {
		t.Errorf("core limit is %d/%d after NoCoreDumps, want 0/0", after.Cur, after.Max)
	}
}
