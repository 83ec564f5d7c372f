package workspace

import (
	"io/fs"
	"syscall"
)

// stateOf is what identifies this version of the file (see checked.go).
func stateOf(fi fs.FileInfo, m boltMeta) (fileState, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileState{}, false
	}
	return fileState{
		dev: uint64(st.Dev), ino: uint64(st.Ino), size: fi.Size(),
		ctime: st.Ctim.Nano(), mtime: st.Mtim.Nano(),
		txid: m.txid, checksum: m.checksum,
	}, true
}
