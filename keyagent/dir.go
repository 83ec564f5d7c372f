package keyagent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// socketName is the agent's socket inside its directory.
const socketName = "agent.sock"

// Dir is the agent's directory for this user: $XDG_RUNTIME_DIR/mtlswb
// (a per-user tmpfs that logind empties at logout), else
// $TMPDIR/mtlswb-<uid>, else /tmp/mtlswb-<uid>. getenv is os.Getenv or a
// test's environment.
func Dir(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "mtlswb")
	}
	tmp := getenv("TMPDIR")
	if tmp == "" || !filepath.IsAbs(tmp) {
		tmp = "/tmp"
	}
	return filepath.Join(tmp, "mtlswb-"+strconv.Itoa(os.Getuid()))
}

// SocketPath is the socket in dir.
func SocketPath(dir string) string { return filepath.Join(dir, socketName) }

// UnsafeDirError says why a directory is not private enough for keys.
type UnsafeDirError struct {
	Dir, Why string
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("the key agent's directory %s %s; remove it (or fix it with chmod 700) and unlock again", e.Dir, e.Why)
}

// checkDir accepts dir only as a directory (not a link) owned by this user
// that nobody else may enter. A missing one is fs.ErrNotExist.
func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &UnsafeDirError{dir, "is a symbolic link"}
	case !fi.IsDir():
		return &UnsafeDirError{dir, "is not a directory"}
	case fi.Mode().Perm()&0o077 != 0:
		return &UnsafeDirError{dir, fmt.Sprintf("may be entered by other users (mode %o)", fi.Mode().Perm())}
	}
	if uid, ok := ownerUID(fi); ok && uid != os.Getuid() {
		return &UnsafeDirError{dir, fmt.Sprintf("belongs to uid %d, not to you (uid %d)", uid, os.Getuid())}
	}
	return nil
}

// makeDir creates dir 0700 when missing, then checks it.
func makeDir(dir string) error {
	err := checkDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		err = checkDir(dir)
	}
	return err
}
