package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// DamagedError says the workspace file cannot be used as it is: it is cut
// short, its pages are inconsistent, or the path holds something that is not
// a workspace file at all. It matches ErrCorrupt.
type DamagedError struct {
	Path   string
	Reason string
	// inContent: the damage is in the file's bytes, which a writer in
	// another process may have been changing (see Check).
	inContent bool
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("workspace damaged: %s: %s; nothing was changed: run `mtlswb doctor` to see what is readable (`mtlswb doctor --repair` recovers it)",
		safetext.Line(e.Path), safetext.Line(e.Reason))
}

func (e *DamagedError) Is(target error) bool { return target == ErrCorrupt }

func damaged(path, format string, a ...any) error {
	return &DamagedError{Path: path, Reason: fmt.Sprintf(format, a...)}
}

// Check tells whether path holds a usable workspace file, cheaply enough to
// run before every use: the file type, the header pages and their checksums,
// the size against the page count, and one bounded walk over the page
// structure (skipped while the file is unchanged since this process last
// walked it). It returns nil, a *NoWorkspaceError, a *DamagedError, or the
// error that kept it from reading the file. It never changes the file.
func Check(path string) error {
	err := checkOnce(path)
	var d *DamagedError
	if !errors.As(err, &d) || !d.inContent {
		return err
	}
	// A writer in another process may have been between its page writes
	// and its meta write; look again while holding a reader's lock, so
	// only damage that stays is reported.
	unlock, lerr := lockShared(path)
	if lerr != nil {
		return lerr
	}
	defer unlock()
	return checkOnce(path)
}

func checkOnce(path string) error {
	f, fi, err := openRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi.Size() == 0 {
		return damaged(path, "the file is empty (0 bytes)")
	}
	// A file found sound before is known by its first two pages and its
	// inode (checked.go); reading those costs two small reads.
	if m, ok := readMetas(f, fi.Size()); ok {
		if st, known := stateOf(fi, m); known && wasSound(path, st) {
			return nil
		}
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return fmt.Errorf("read workspace %s: %w", safetext.Line(path), err)
	}
	defer unmap()
	// The file can shrink under the mapping (another program truncating
	// it); reading past its end then faults instead of failing.
	err = guard(path, func() error { return checkMapped(path, fi, data) })
	var d *DamagedError
	if errors.As(err, &d) {
		d.inContent = true
	}
	return err
}

func checkMapped(path string, fi fs.FileInfo, data []byte) error {
	l, err := readLayout(data)
	if err != nil {
		return damaged(path, "%v", err)
	}
	state, known := stateOf(fi, l.meta)
	w := newWalker(l, true)
	if err := w.run(); err != nil {
		return damaged(path, "%v", err)
	}
	if _, ok := w.topLevel[string(bucketMeta)]; !ok {
		return damaged(path, "it is a bbolt database but not an mtlswb workspace (it has no meta table)")
	}
	for _, b := range allBuckets {
		if _, ok := w.topLevel[string(b)]; !ok {
			return damaged(path, "its %q table is missing", b)
		}
	}
	if known {
		rememberSound(path, state)
	}
	return nil
}

// openRegular opens path for reading after making sure it is a regular
// file: opening a FIFO would wait for a writer, and a device such as
// /dev/zero never ends.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Also a symlink to a file not made yet: init makes it there.
		return nil, nil, &NoWorkspaceError{Path: path}
	case errors.Is(err, syscall.ELOOP):
		return nil, nil, damaged(path, "it is a symbolic link that loops")
	case err != nil:
		return nil, nil, fmt.Errorf("open workspace %s: %w", safetext.Line(path), err)
	}
	if what := safefile.Kind(fi.Mode()); what != "" {
		return nil, nil, damaged(path, "it is %s, not a workspace file", what)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open workspace %s: %w", safetext.Line(path), err)
	}
	// The path may have been replaced between Stat and open.
	if fi, err = f.Stat(); err != nil || safefile.Kind(fi.Mode()) != "" {
		f.Close()
		if err == nil {
			err = damaged(path, "it is %s, not a workspace file", safefile.Kind(fi.Mode()))
		}
		return nil, nil, err
	}
	return f, fi, nil
}

// guard runs one use of the bbolt file. bbolt panics on pages it finds
// inconsistent and reads the file through a memory map, so a file changed
// under it faults (SIGBUS past the end of a truncated file); both become a
// DamagedError instead of a crash. SetPanicOnFault holds for the calling
// goroutine only, which is the one bbolt reads on.
func guard(path string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			err = damaged(path, "%s", describePanic(r))
		}
	}()
	return fn()
}

// describePanic words a recovered panic for the damage message. bbolt's
// panic texts name pages and flags, never values; the text is cut short all
// the same.
func describePanic(r any) string {
	var re runtime.Error
	if e, ok := r.(error); ok && errors.As(e, &re) && strings.Contains(re.Error(), "fault") {
		return "reading it faulted: it is shorter than its pages say, or it was changed while in use"
	}
	s := fmt.Sprint(r)
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return "its pages are inconsistent (" + s + ")"
}

// abandon releases a database handle after a panic inside bbolt. bbolt's
// locks may still be held by the transaction that panicked, so Close could
// wait forever: it gets a moment, then the file itself is closed, which
// releases the lock other processes wait on.
func abandon(db *bolt.DB, f *os.File) {
	done := make(chan struct{})
	go func() {
		defer func() { recover(); close(done) }()
		db.Close()
	}()
	select {
	case <-done:
	case <-time.After(200 * time.Millisecond):
		if f != nil {
			f.Close()
		}
	}
}
