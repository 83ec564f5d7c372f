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
	if err := flockWait(f, false); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, reading := lockHolder(path)
			return nil, &BusyError{PID: pid, Path: path, Reading: reading, Program: processName(pid)}
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}

// flockWait locks f like bbolt does (a flock, polled every 50 ms) for at
// most lockTimeout.
func flockWait(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(lockTimeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil || !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
