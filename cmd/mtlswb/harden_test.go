//go:build unix

package main

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
	noCoreDumps()
	var after syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &after); err != nil {
		t.Fatal(err)
	}
	if after.Cur != 0 || after.Max != 0 {
		t.Errorf("core limit is %d/%d after noCoreDumps, want 0/0", after.Cur, after.Max)
	}
}
