//go:build !linux

package workspace

import "io/fs"

// stateOf knows no ctime here, so every check walks the pages.
func stateOf(fs.FileInfo, boltMeta) (fileState, bool) { return fileState{}, false }
