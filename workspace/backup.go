package workspace

import (
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// Backup writes a consistent copy of the workspace to dst, mode 0600, from
// one read transaction: copying the live file by hand can catch a write
// half done. dst must not exist unless replace is set; a symlink there is
// replaced, never written through (see safefile.Write).
func (s *Store) Backup(dst string, replace bool) error {
	err := s.view(func(tx *bolt.Tx) error {
		return safefile.Write(dst, replace, func(w io.Writer) error {
			_, err := tx.WriteTo(w)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("back up the workspace to %s: %w", dst, err)
	}
	return nil
}
