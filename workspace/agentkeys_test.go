package workspace

import (
	"errors"
	"testing"
)

// TestMasterKeyRoundTrip: keys rebuilt from the master key a key agent
// kept open the same private keys, and only a master key's size is taken.
func TestMasterKeyRoundTrip(t *testing.T) {
	f := newFixture(t, true)
	mk, err := f.keys.MasterKey(f.s)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := f.s.KeysFromMaster(mk)
	if err != nil {
		t.Fatal(err)
	}
	clear(mk) // the agent wipes its copy; the rebuilt keys have their own
	if _, err := f.s.Signer(keys, "joe"); err != nil {
		t.Errorf("signer from agent keys: %v", err)
	}
	if len(f.s.ID()) != 32 {
		t.Errorf("ID = %q, want 32 hex digits", f.s.ID())
	}
	if _, err := f.s.KeysFromMaster(mk[:16]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short master key: %v, want ErrCorrupt", err)
	}
	// Keys of one workspace do not open another's.
	other, _ := newStore(t, true)
	if _, err := f.keys.MasterKey(other); err == nil {
		t.Error("MasterKey handed out keys for another workspace")
	}
}
