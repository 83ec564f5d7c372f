package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// Every use of the bbolt file goes through this file: Check before bbolt
// opens it, guard around everything bbolt does with it, and abandon when
// bbolt panicked.

// tempTag names the workspace's temporary files: ".NAME.new-PID-RANDOM".
const tempTag = "new"

// handle is one open of the workspace file.
type handle struct {
	db   *bolt.DB
	file *os.File
	path string
}

func (h *handle) view(fn func(tx *bolt.Tx) error) error {
	return h.use(func() error { return h.db.View(fn) })
}

func (h *handle) update(fn func(tx *bolt.Tx) error) error {
	return h.use(func() error { return h.db.Update(fn) })
}

// use runs fn guarded; after a panic the handle is abandoned and close
// does nothing more.
func (h *handle) use(fn func() error) error {
	err := guard(h.path, fn)
	var d *DamagedError
	if errors.As(err, &d) && h.db != nil {
		abandon(h.db, h.file)
		h.db = nil
	}
	return err
}

func (h *handle) close() error {
	if h.db == nil {
		return nil
	}
	db := h.db
	h.db = nil
	err := guard(h.path, db.Close)
	if err != nil {
		return fmt.Errorf("close workspace %s: %w", h.path, err)
	}
	return nil
}

func viewFile(path string, fn func(tx *bolt.Tx) error) error {
	h, err := openDB(path, true, 0)
	if err != nil {
		return err
	}
	err = h.view(fn)
	if cerr := h.close(); err == nil {
		err = cerr
	}
	return err
}

func updateFile(path string, fn func(tx *bolt.Tx) error) error {
	return updateFileGrowing(path, 0, fn)
}

func updateFileGrowing(path string, growth int, fn func(tx *bolt.Tx) error) error {
	mmapSize := 0
	if growth > 0 {
		if fi, err := os.Stat(path); err == nil {
			// Pages are copied on write and filled to 90%, so new data
			// takes about twice its size until the old pages are reused.
			mmapSize = int(fi.Size()) + 2*growth
		}
	}
	h, err := openDB(path, false, mmapSize)
	if err != nil {
		return err
	}
	err = h.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return fmt.Errorf("%s is not an mtlswb workspace: %w", path, ErrCorrupt)
		}
		return fn(tx)
	})
	if err == nil {
		blessWritten(path, h.file)
	}
	if cerr := h.close(); err == nil {
		err = cerr
	}
	return err
}

// openDB opens the file for one transaction, after Check found it sound. It
// never creates the file: bbolt would happily make an empty database where
// a workspace was removed. It also makes sure the file it locked is still
// the one at path: rewrite replaces the file, and a process that was
// waiting for the old file's lock would otherwise write into an unlinked
// inode and lose the write.
func openDB(path string, readOnly bool, mmapSize int) (*handle, error) {
	deadline := time.Now().Add(lockTimeout)
	for {
		if err := Check(path); err != nil {
			return nil, err
		}
		h := &handle{path: path}
		err := guard(path, func() error {
			var err error
			h.db, err = bolt.Open(path, 0o600, &bolt.Options{
				Timeout:         max(time.Until(deadline), 100*time.Millisecond),
				ReadOnly:        readOnly,
				InitialMmapSize: mmapSize,
				OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
					f, err := os.OpenFile(name, flag&^os.O_CREATE, perm)
					if h.file == nil {
						// The first open is bbolt's own handle, the one
						// holding the lock; later ones (Tx.WriteTo) are not.
						h.file = f
					}
					return f, err
				},
			})
			return err
		})
		var d *DamagedError
		switch {
		case err == nil:
		case errors.As(err, &d):
			if h.file != nil {
				h.file.Close()
			}
			return nil, err
		case errors.Is(err, os.ErrNotExist):
			return nil, &NoWorkspaceError{Path: path}
		case errors.Is(err, berrors.ErrTimeout):
			pid, reading := lockHolder(path)
			return nil, &BusyError{PID: pid, Path: path, Reading: reading, Program: processName(pid)}
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
			return nil, damaged(path, "bbolt cannot read it (%v)", err)
		default:
			return nil, fmt.Errorf("open workspace %s: %w", path, err)
		}
		if sameFile(h.file, path) {
			return h, nil
		}
		h.close()
		if time.Now().After(deadline) {
			return nil, &BusyError{Path: path}
		}
	}
}

func sameFile(f *os.File, path string) bool {
	if f == nil {
		return false
	}
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// createDB makes a new bbolt file at a name just created by
// safefile.CreateTemp; O_NOFOLLOW keeps bbolt from opening anything else
// should the name have been swapped for a link meanwhile.
func createDB(tmpPath string) (*bolt.DB, error) {
	return bolt.Open(tmpPath, 0o600, &bolt.Options{
		Timeout:  lockTimeout,
		OpenFile: safefile.OpenNoFollow,
	})
}

// realPath resolves a symlinked workspace path once, so that a rewrite
// happens next to the real file and the link keeps pointing at it.
func realPath(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("resolve workspace path %s: %w", path, err)
	}
	return real, nil
}

// cleanTemps removes the temporary copies killed processes left beside the
// workspace (a full copy of the sealed keystore each).
func cleanTemps(path string) []string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil
	}
	dir, base := filepath.Split(real)
	removed := safefile.CleanStale(dir, base, tempTag, "mtlswb")
	// The check record's own temporary file (checked.go).
	return append(removed, safefile.CleanStale(dir, filepath.Base(sidecar(real)), "tmp", "mtlswb")...)
}

// rewrite copies the live data into a new file, applies fn there, and
// renames the copy over the workspace, holding the old file's write lock
// throughout so no other write slips in between. The copy has no free
// pages, so nothing fn replaced or deleted survives in it.
func (s *Store) rewrite(fn func(tx *bolt.Tx) error) (err error) {
	real, err := realPath(s.path)
	if err != nil {
		return err
	}
	src, err := openDB(real, false, 0)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := src.close(); err == nil {
			err = cerr
		}
	}()
	err = src.view(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		if mb == nil || !bytes.Equal(mb.Get(metaID), s.workspaceID) {
			return fmt.Errorf("%s was replaced by another workspace; open it again", s.path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	dir := filepath.Dir(real)
	tmp, err := safefile.CreateTemp(dir, filepath.Base(real), tempTag)
	if err != nil {
		return err
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // a no-op once renamed
	if err := tmp.Close(); err != nil {
		return err
	}
	dst, err := createDB(tmpPath)
	if err != nil {
		return err
	}
	// Copy and change in one transaction: changing after a plain copy would
	// leave the replaced values in the copy's own freed pages. The source
	// passed Check, so its walk is bounded.
	err = src.view(func(stx *bolt.Tx) error {
		return dst.Update(func(dtx *bolt.Tx) error {
			if err := copyBuckets(stx, dtx); err != nil {
				return err
			}
			if fn != nil {
				if err := fn(dtx); err != nil {
					return err
				}
			}
			return bumpGeneration(dtx)
		})
	})
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmpPath, real); err != nil {
		return err
	}
	if f, err := os.Open(real); err == nil {
		blessWritten(real, f)
		f.Close()
	}
	return safefile.SyncDir(dir)
}

// copyBuckets copies every top-level bucket of stx into dtx, packed full.
func copyBuckets(stx, dtx *bolt.Tx) error {
	return stx.ForEach(func(name []byte, sb *bolt.Bucket) error {
		nb, err := dtx.CreateBucket(name)
		if err != nil {
			return err
		}
		nb.FillPercent = 1.0
		if err := nb.SetSequence(sb.Sequence()); err != nil {
			return err
		}
		return sb.ForEach(func(k, v []byte) error {
			if v == nil {
				return fmt.Errorf("bucket %q holds a nested bucket %q, which this mtlswb does not know: %w", name, k, ErrCorrupt)
			}
			return nb.Put(k, v)
		})
	})
}
