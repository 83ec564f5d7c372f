//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// execProgram replaces this process with the program at path: the terminal,
// the process id and signals go to it as if it had been started directly.
// It returns only when exec fails.
func execProgram(path string, argv []string) error {
	err := syscall.Exec(path, argv, os.Environ())
	return fmt.Errorf("start %s: %w", path, err)
}
