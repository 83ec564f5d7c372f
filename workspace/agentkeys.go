package workspace

import (
	"encoding/hex"
	"fmt"
)

// A key agent (package keyagent, `mtlswb unlock`) keeps a workspace's
// master key between commands, so the passphrase is asked once per session.
// These are the only ways the master key leaves or enters Keys.

// ID names this workspace: its random 16-byte id in hex. Copies of one
// workspace file share it, and they share the master key too.
func (s *Store) ID() string { return hex.EncodeToString(s.workspaceID) }

// MasterKey returns a copy of the master key of s, for a key agent. The
// caller wipes it (clear) once handed over.
func (k *Keys) MasterKey(s *Store) ([]byte, error) {
	return k.masterKey(s.workspaceID)
}

// KeysFromMaster builds the keys of s from a master key a key agent kept.
// It copies mk.
func (s *Store) KeysFromMaster(mk []byte) (*Keys, error) {
	if len(mk) != mkSize {
		return nil, fmt.Errorf("a master key is %d bytes, not %d: %w", mkSize, len(mk), ErrCorrupt)
	}
	return newKeys(s.workspaceID, append([]byte(nil), mk...))
}
