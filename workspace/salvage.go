package workspace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// salvage is what can still be read from a workspace file, read with the
// tolerant walker instead of bbolt, so that a damaged page loses only what
// it held. Values are copies.
type salvage struct {
	// buckets maps a top-level bucket to its keys and values.
	buckets map[string]map[string][]byte
	// orphaned names the records read from leaf pages the tree no longer
	// reaches (below a damaged branch page).
	orphaned []string
	problems []string
	// sequences holds each top-level bucket's sequence (the next history
	// id comes from it).
	sequences map[string]uint64
}

// readSalvage reads every key and value it can reach in the file at path.
// It returns an error only when the file cannot be read as a bbolt file at
// all (wrong type, both header pages lost, cut short of its root).
func readSalvage(path string) (*salvage, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() == 0 {
		return nil, damaged(path, "the file is empty (0 bytes)")
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer unmap()
	var sv *salvage
	err = guard(path, func() error {
		l, err := readSalvageLayout(data)
		if err != nil {
			return damaged(path, "%v", err)
		}
		sv = salvageFrom(l)
		return nil
	})
	return sv, err
}

// readSalvageLayout is readLayout for a file cut short: the pages that are
// there are still worth reading, so the page count is capped at the file's
// end instead of refused.
func readSalvageLayout(data []byte) (*layout, error) {
	l, err := readLayout(data)
	if err == nil {
		return l, nil
	}
	m, ps, perr := pickMeta(data)
	if perr != nil {
		return nil, err
	}
	pages := min(m.pgid, uint64(len(data))/ps)
	if m.root >= pages {
		return nil, err
	}
	return &layout{data: data, pageSize: ps, meta: m, pages: pages}, nil
}

func salvageFrom(l *layout) *salvage {
	sv := &salvage{buckets: map[string]map[string][]byte{}}
	w := newWalker(l, false)
	w.onKV = func(path []string, _ uint64, k, v []byte) {
		if len(path) != 1 {
			return // this mtlswb writes no nested buckets
		}
		b := sv.buckets[path[0]]
		if b == nil {
			b = map[string][]byte{}
			sv.buckets[path[0]] = b
		}
		b[string(k)] = bytes.Clone(v)
	}
	w.run()
	sv.problems = w.problems
	sv.sequences = w.topLevel
	// Leaves cut off from the tree still hold records: put back the ones
	// whose content says where they belong, unless the tree had them.
	entries, records := sv.bucket(bucketEntries), sv.bucket(bucketRecords)
	w.orphanLeaves(func(_ uint64, k, v []byte) {
		name := string(k)
		switch {
		case len(v) > 0 && v[0] == summaryFormat:
			if e, err := decodeEntry(v); err == nil && e.Name == name && entries[name] == nil {
				entries[name] = bytes.Clone(v)
				sv.orphaned = append(sv.orphaned, name)
			}
		case bytes.HasPrefix(v, []byte(`{"chain":`)):
			var body recordBody
			if json.Unmarshal(v, &body) == nil && len(body.Chain) > 0 && records[name] == nil {
				records[name] = bytes.Clone(v)
			}
		}
	})
	return sv
}

func (sv *salvage) bucket(name []byte) map[string][]byte {
	b := sv.buckets[string(name)]
	if b == nil {
		b = map[string][]byte{}
		sv.buckets[string(name)] = b
	}
	return b
}

// meta returns the workspace's id and protection from the salvaged meta
// bucket, or why they are lost.
func (sv *salvage) meta() (id []byte, prot string, err error) {
	mb := sv.bucket(bucketMeta)
	id, prot = mb[string(metaID)], string(mb[string(metaProtection)])
	if len(id) != 16 || (prot != protectionPassphrase && prot != protectionNone) {
		return nil, "", fmt.Errorf("the workspace's own records (id, key protection) are lost: its private keys cannot be recovered")
	}
	if prot == protectionPassphrase && (mb[string(metaKDF)] == nil || mb[string(metaMK)] == nil) {
		return nil, "", fmt.Errorf("the wrapped master key is lost: its private keys cannot be recovered")
	}
	return id, prot, nil
}

// unlock derives the keys from the salvaged meta records.
func (sv *salvage) unlock(passphrase []byte) (*Keys, error) {
	id, prot, err := sv.meta()
	if err != nil {
		return nil, err
	}
	mb := sv.bucket(bucketMeta)
	if prot == protectionNone {
		if len(mb[string(metaMKPlain)]) != mkSize {
			return nil, fmt.Errorf("the master key record is damaged: %w", ErrCorrupt)
		}
		return newKeys(id, bytes.Clone(mb[string(metaMKPlain)]))
	}
	if len(passphrase) == 0 {
		return nil, ErrWrongPassphrase
	}
	mk, err := unwrapMK(passphrase, mb[string(metaMK)], id, mb[string(metaKDF)])
	if err != nil {
		return nil, err
	}
	return newKeys(id, mk)
}

// lockExclusiveFile takes a writer's lock on path for the length of a
// repair, waiting at most lockTimeout.
func lockExclusiveFile(path string) (func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := flockWait(f, true); err != nil {
		f.Close()
		pid, reading := lockHolder(path)
		return nil, &BusyError{PID: pid, Path: path, Reading: reading, Program: processName(pid)}
	}
	return func() { f.Close() }, nil
}
