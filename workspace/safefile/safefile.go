// Package safefile writes files that hold secrets, and reads files a user
// names, so that neither can leak or run away.
//
// # Writing
//
// Write never opens the target: it creates a new file beside it with
// O_EXCL|O_NOFOLLOW and mode 0600, writes and fsyncs it, renames it over the
// target and fsyncs the directory. So a planted symlink is replaced, never
// written through; an existing file keeps its bytes until the new ones are
// on disk, and a failed write (a full disk) leaves it as it was; and the
// secret is never in a file others can read, even for a moment.
//
// Temporary names carry the writer's pid (".NAME.TAG-PID-RANDOM"), so files
// a killed process left behind can be told from a live process's and
// removed (CleanStale).
//
// # Reading
//
// ReadLimited reads at most a limit, whatever the file is: a regular file,
// a FIFO or process substitution (which keep working), or /dev/zero.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// CreateTemp creates a new, empty file in dir named
// ".BASE.TAG-PID-RANDOM", readable and writable by its owner only. It
// refuses to follow a symlink or reuse an existing name.
func CreateTemp(dir, base, tag string) (*os.File, error) {
	for range 10 {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, tempPrefix(base, tag)+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(r[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many name collisions", dir)
}

// OpenNoFollow is os.OpenFile that fails rather than follow a symlink at
// name (where the platform can tell).
func OpenNoFollow(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag|noFollow, perm)
}

func tempPrefix(base, tag string) string { return "." + base + "." + tag + "-" }

// Write makes path hold what write produces, mode 0600, atomically (see the
// package comment). Without replace, an existing path is an error matching
// fs.ErrExist and is left alone. With replace, only a regular file or a
// symlink is replaced (the link itself, never its target); a directory,
// FIFO or device at path is refused.
func Write(path string, replace bool, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case !replace:
			return &fs.PathError{Op: "write", Path: path, Err: fs.ErrExist}
		case !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0:
			return fmt.Errorf("%s is %s: only a regular file or a symbolic link is replaced; remove it or choose another path", path, Kind(fi.Mode()))
		}
	}
	tmp, err := CreateTemp(dir, base, "tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if replace {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return err
		}
	} else if err := linkNew(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// linkNew puts the finished temporary file at path unless something took
// that name meanwhile: link fails on an existing name where rename would
// replace it.
func linkNew(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil {
		return os.Remove(tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		return &fs.PathError{Op: "write", Path: path, Err: fs.ErrExist}
	}
	// Some filesystems have no hard links.
	if _, lerr := os.Lstat(path); lerr == nil {
		return &fs.PathError{Op: "write", Path: path, Err: fs.ErrExist}
	}
	return os.Rename(tmp, path)
}

// SyncDir makes a rename in dir durable. Filesystems that cannot sync a
// directory say so with EINVAL; that is not a failure of the write.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Kind names what a file mode says is not a regular file ("a directory",
// "a named pipe (FIFO)", ...), for messages; "" for a regular file.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

// TooLargeError says a file was over the limit read for it. Its message
// names the limit.
type TooLargeError struct {
	Path  string
	What  string // "passphrase file", "request body"
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: the %s is larger than the %s limit; check the path", e.Path, e.What, FormatSize(e.Limit))
}

// ReadLimited reads the file at path, refusing more than limit bytes. what
// names the file's role in the error.
func ReadLimited(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s: the %s is a directory", path, what)
		}
		if fi.Mode().IsRegular() && fi.Size() > limit {
			return nil, &TooLargeError{Path: path, What: what, Limit: limit}
		}
	}
	// The limit also holds for what Stat cannot size: pipes, devices, a
	// file still growing. Reading in fixed chunks, joined once at the end,
	// copies the data twice at most, where a growing buffer would copy a
	// 64 MiB body several times over.
	var chunks [][]byte
	total := int64(0)
	for total <= limit {
		chunk := make([]byte, min(limit+1-total, 1<<20))
		n, err := io.ReadFull(f, chunk)
		chunks = append(chunks, chunk[:n])
		total += int64(n)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if total > limit {
		return nil, &TooLargeError{Path: path, What: what, Limit: limit}
	}
	data := make([]byte, 0, total)
	for _, c := range chunks {
		data = append(data, c...)
	}
	return data, nil
}

// FormatSize writes a byte count the way limits are given: "4 KiB", "64 MiB".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ParseSize reads a limit given on the command line: a byte count with an
// optional K, M or G (binary) suffix, as in "64M" or "512KiB".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size: give bytes, or a number with K, M or G", s)
	}
	return n * mult, nil
}
