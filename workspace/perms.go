package workspace

import (
	"path/filepath"

	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// PermissionWarnings says how to close a workspace file that other users
// can open (the private keys are sealed, but certificates, history and the
// sealed keys themselves are then theirs to copy and attack offline), or a
// directory in which they could replace it.
func PermissionWarnings(path string) []string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, w := range []string{
		safefile.ModeWarning(real, "the workspace file"),
		safefile.DirWarning(filepath.Dir(real), "the workspace directory"),
	} {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}
