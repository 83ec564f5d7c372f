// Package damagetest makes what can stand at a workspace path instead of a
// workspace file, for the corruption tests of the workspace and the CLI.
package damagetest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// SpecialPaths creates in dir a directory, a FIFO, an empty file, a symlink
// that loops and a symlink to /dev/zero, and returns their paths by name.
func SpecialPaths(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	p := map[string]string{
		"directory":    filepath.Join(dir, "dir.db"),
		"fifo":         filepath.Join(dir, "fifo.db"),
		"empty":        filepath.Join(dir, "empty.db"),
		"symlink loop": filepath.Join(dir, "loop.db"),
		"/dev/zero":    filepath.Join(dir, "zero.db"),
	}
	for _, err := range []error{
		os.Mkdir(p["directory"], 0o700),
		syscall.Mkfifo(p["fifo"], 0o600),
		os.WriteFile(p["empty"], nil, 0o600),
		os.Symlink(p["symlink loop"], p["symlink loop"]),
		os.Symlink("/dev/zero", p["/dev/zero"]),
	} {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return p
}
