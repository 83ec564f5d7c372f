package safefile

import (
	"fmt"
	"io/fs"
	"os"
)

// ModeWarning says how to fix a file holding secrets that other users can
// read or write, or returns "". what names it ("the workspace file", "the
// passphrase file"). A FIFO or terminal is not judged by its mode, and a
// warning is a courtesy: ModeWarning never fails.
func ModeWarning(path, what string) string {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s %s is open to other users (mode %04o): run `chmod 600 %s`", what, path, fi.Mode().Perm(), path)
}

// DirWarning says how to fix a directory in which other users could
// replace or remove a secret file, or returns "". A sticky directory
// (/tmp) lets only a file's owner rename or remove it; a directory others
// can merely read or list shows names, not contents (the file is 0600).
func DirWarning(dir, what string) string {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 == 0 || fi.Mode()&fs.ModeSticky != 0 {
		return ""
	}
	return fmt.Sprintf("%s %s can be written by other users (mode %04o), who could replace the file in it: run `chmod 700 %s`", what, dir, fi.Mode().Perm(), dir)
}
