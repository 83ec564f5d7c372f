package workspace

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bbolt never overwrites a page it frees: a removed identity's sealed key, a
// cleared history entry, stays in the file until the page is reused, for
// anyone with the file (and, for the key, the passphrase) to read. So a
// write that removes secrets overwrites the free pages with zeros before
// the file is closed, still under its lock. bbolt reads no free page, and
// writes every page it allocates in full (its page buffers are zeroed),
// so the zeros change nothing it relies on. One thing is given up: the
// previous meta page's tree partly lies in those pages, so if the newest
// meta page were damaged later, the fallback to the previous transaction
// would find zeros, and Check would report the file damaged instead.

// updateScrubbing is update followed by scrubFreePages.
func (s *Store) updateScrubbing(fn func(tx *bolt.Tx) error) error {
	h, err := openDB(s.path, false, 0)
	if err != nil {
		return err
	}
	err = h.update(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
	if err == nil {
		err = scrubFreePages(h)
		blessWritten(h.path, h.file)
	}
	if cerr := h.close(); err == nil {
		err = cerr
	}
	return err
}

// scrubFreePages zeroes every page the committed meta lists as free.
func scrubFreePages(h *handle) error {
	fi, err := h.file.Stat()
	if err != nil {
		return err
	}
	data, unmap, err := mapFile(h.file, fi.Size())
	if err != nil {
		return err
	}
	var ids []uint64
	var ps int64
	err = guard(h.path, func() error {
		l, err := readLayout(data)
		if err != nil {
			return damaged(h.path, "%v", err)
		}
		ps = int64(l.pageSize)
		ids, err = l.freePages()
		return err
	})
	unmap()
	if err != nil {
		return fmt.Errorf("overwrite freed pages: %w", err)
	}
	zero := make([]byte, ps)
	for _, id := range ids {
		if _, err := h.file.WriteAt(zero, int64(id)*ps); err != nil {
			return fmt.Errorf("overwrite freed page %d: %w", id, err)
		}
	}
	if len(ids) > 0 {
		return h.file.Sync()
	}
	return nil
}
