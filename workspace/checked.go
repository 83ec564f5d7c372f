package workspace

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// Walking every page of a 10,000-identity workspace (40 MB) costs 30–40 ms,
// most of it page faults, which would be a third of `ls --json`'s budget
// if every command paid it. So a file found sound is remembered by what
// changes whenever its bytes change: inode, size, ctime (which no program
// can set back) and the meta page's transaction id and checksum. Within a
// process that is a map; across processes, a one-line sidecar
// ".NAME.checked" beside the file. The process that commits a write
// remembers the state it wrote (bbolt wrote it from a sound file), so the
// next command does not walk either; any other change, a copy, a
// truncation, a flipped byte written through the filesystem, brings the
// walk back.

// fileState identifies one version of the file's bytes.
type fileState struct {
	dev, ino       uint64
	size           int64
	ctime, mtime   int64 // ns
	txid, checksum uint64
}

func (s fileState) String() string {
	return fmt.Sprintf("mtlswb-checked v1 %d %d %d %d %d %d %d\n", s.dev, s.ino, s.size, s.ctime, s.mtime, s.txid, s.checksum)
}

var soundFiles sync.Map // path -> fileState

func sidecar(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".checked")
}

func wasSound(path string, st fileState) bool {
	if prev, ok := soundFiles.Load(path); ok && prev.(fileState) == st {
		return true
	}
	// The sidecar is one short line; anything longer is not ours.
	b, err := safefile.ReadLimited(sidecar(path), 256, "check record")
	if err != nil || string(b) != st.String() {
		return false
	}
	soundFiles.Store(path, st)
	return true
}

// rememberSound records st as sound. Failing to write the sidecar (a
// read-only directory) only costs the next command a walk.
func rememberSound(path string, st fileState) {
	soundFiles.Store(path, st)
	// Not fsynced: losing it in a crash only costs a walk.
	dir, base := filepath.Split(sidecar(path))
	f, err := safefile.CreateTemp(filepath.Clean(dir), base, "tmp")
	if err != nil {
		return
	}
	_, err = f.WriteString(st.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), sidecar(path))
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// blessWritten remembers the file f (open on path, still locked by this
// process) as sound after this process committed to it.
func blessWritten(path string, f *os.File) {
	if f == nil {
		return
	}
	fi, err := f.Stat()
	if err != nil {
		return
	}
	if m, ok := readMetas(f, fi.Size()); ok {
		if st, known := stateOf(fi, m); known {
			rememberSound(path, st)
		}
	}
}

// readMetas reads the meta bbolt would use with two small reads, when the
// first meta page is valid and so gives the page size; ok is false
// otherwise (the full check then says what is wrong).
func readMetas(f *os.File, size int64) (boltMeta, bool) {
	var buf [pageHeaderSize + metaSize]byte
	if _, err := f.ReadAt(buf[:], 0); err != nil {
		return boltMeta{}, false
	}
	m0, err := parseMeta(buf[:])
	ps := int64(m0.pageSize)
	if err != nil || ps < minPageSize || ps > maxPageSize || 2*ps > size {
		return boltMeta{}, false
	}
	if _, err := f.ReadAt(buf[:], ps); err != nil {
		return boltMeta{}, false
	}
	m1, err := parseMeta(buf[:])
	if err == nil && m1.pageSize == m0.pageSize && m1.txid > m0.txid {
		return m1, true
	}
	return m0, true
}
