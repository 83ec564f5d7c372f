package main

import (
	"context"
	"errors"
	"io"
	"testing"
)

// TestRunRefusesOtherCalls: mtlswb-tui takes exactly what mtlswb passes it;
// anything else is a usage error (exit 2) that names `mtlswb`, before any
// terminal is touched.
func TestRunRefusesOtherCalls(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"--workspace"},
		{"--workspace", ""},
		{"--workspace", "ws.db", "extra"},
		{"--keep", "dir"},
		{"demo", "extra"},
		{"demo", "--check"},
	} {
		err := run(context.Background(), args, io.Discard)
		if !errors.Is(err, errUsage) || exitCode(err) != 2 {
			t.Errorf("run(%q) = %v (exit %d), want the usage error, exit 2", args, err, exitCode(err))
		}
	}
}
