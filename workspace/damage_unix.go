//go:build unix

package workspace

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// mapFile maps size bytes of f read-only. Pages are read only when touched,
// so the cost follows what the walk visits, not the file's size.
func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	if int64(int(size)) != size {
		return nil, nil, errors.New("the file is too large to map")
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() { syscall.Munmap(data) }, nil
}

// lockShared takes a reader's lock on path, as bbolt's read-only open does,
// waiting at most lockTimeout for a writer to finish.
func lockShared(path string) (unlock func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockTimeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				pid, reading := lockHolder(path)
				return nil, &BusyError{PID: pid, Path: path, Reading: reading, Program: processName(pid)}
			}
			return nil, err
		}
		// bbolt polls its lock at the same 50 ms step.
		time.Sleep(50 * time.Millisecond)
	}
}
