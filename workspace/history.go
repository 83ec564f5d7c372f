package workspace

import (
	"bytes"
	"crypto/ecdh"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// AddHistory stores e and returns its id. Ids come from the bucket's
// sequence, so they only grow, even across deletions and processes.
//
// Credentials in e (the Authorization, Proxy-Authorization, Cookie and
// Set-Cookie headers, the policy's secret headers, and bodies when the
// policy says so) are sealed to the workspace's history key before they
// are written, which needs no passphrase (see historyseal.go); on a
// workspace without a passphrase whose policy says Redact, or one made
// before sealing existed and not unlocked since, they are replaced by
// "[redacted]". The oldest entries beyond the policy's Keep are deleted in
// the same transaction.
func (s *Store) AddHistory(e HistoryEntry) (uint64, error) {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	err := s.update(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		h := &hider{policy: readPolicy(tx)}
		redact := h.policy.Redact && string(mb.Get(metaProtection)) == protectionNone
		if pub := mb.Get(metaHistoryPub); pub != nil && !redact {
			var err error
			if h.pub, err = ecdh.X25519().NewPublicKey(pub); err != nil {
				return fmt.Errorf("the history key is damaged: %w", ErrCorrupt)
			}
		}
		if err := h.hideEntry(&e); err != nil {
			return err
		}
		b := tx.Bucket(bucketHistory)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.ID = id
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, id), v); err != nil {
			return err
		}
		return trimHistory(tx, h.policy.keep())
	})
	if err != nil {
		return 0, fmt.Errorf("save history: %w", err)
	}
	return e.ID, nil
}

// historyBodyKeep is how much of a response body history keeps, exactly
// (the report's JSON has the first MiB): as much as the body preview, so a
// thousand entries weigh what they did before history kept bodies whole.
const historyBodyKeep = 4 << 10

// Remember records an attempt: spec is the request as planned (what a
// re-send starts from), rep what the engine reported. at is when it was
// made; zero means when the report says it started. Both front ends record
// through here, so an attempt reads the same whichever sent it.
func (s *Store) Remember(spec RequestSpec, rep tlsengine.Report, at time.Time) (uint64, error) {
	rep.HTTP = rep.HTTP.WithBodyHead(historyBodyKeep)
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return 0, fmt.Errorf("save history: %w", err)
	}
	repJSON, err := json.Marshal(rep)
	if err != nil {
		return 0, fmt.Errorf("save history: %w", err)
	}
	e := HistoryEntry{At: at, Method: rep.Request.Method, URL: rep.Request.URL, Identity: spec.Identity, OK: rep.OK,
		Request: specJSON, Report: repJSON}
	switch {
	case spec.Probe:
		e.Method = "PROBE"
	case e.Method == "":
		e.Method = strings.ToUpper(spec.Method)
	}
	if e.URL == "" {
		e.URL = spec.URL
	}
	if e.At.IsZero() {
		e.At = rep.StartedAt
	}
	if rep.HTTP != nil {
		e.Status = rep.HTTP.Status
	}
	if rep.Failure != nil {
		e.Category = string(rep.Failure.Category)
	}
	return s.AddHistory(e)
}

// countKeys counts b's keys, including this transaction's writes (which
// Bucket.Stats, reading pages, does not see).
func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// trimHistory deletes the oldest entries beyond keep.
func trimHistory(tx *bolt.Tx, keep int) error {
	b := tx.Bucket(bucketHistory)
	extra := countKeys(b) - keep
	c := b.Cursor()
	for k, _ := c.First(); k != nil && extra > 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
		extra--
	}
	return nil
}

func decodeHistory(k, v []byte, priv *ecdh.PrivateKey) (HistoryEntry, error) {
	var e HistoryEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return e, fmt.Errorf("history entry %d is unreadable (%v): %w", binary.BigEndian.Uint64(k), err, ErrCorrupt)
	}
	var err error
	if e.Request, err = unsealJSON(e.Request, priv); err != nil {
		return e, fmt.Errorf("history entry %d: %w", e.ID, err)
	}
	if e.Report, err = unsealJSON(e.Report, priv); err != nil {
		return e, fmt.Errorf("history entry %d: %w", e.ID, err)
	}
	return e, nil
}

// History returns up to limit entries, newest first; limit <= 0 means all.
// Sealed values read as SealedPlaceholder.
func (s *Store) History(limit int) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			e, err := decodeHistory(k, v, nil)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return out, nil
}

// HistoryItem returns the entry with id. Its sealed values are opened when
// this Store was unlocked and those keys are not locked again (the TUI
// resends attempts from history, credentials included); otherwise they
// read as SealedPlaceholder.
func (s *Store) HistoryItem(id uint64) (*HistoryEntry, error) {
	if k := s.lastKeys.Load(); k != nil {
		if priv, err := k.historyKey(); err == nil {
			return s.historyItem(id, priv)
		}
	}
	return s.historyItem(id, nil)
}

// UnsealedHistoryItem returns the entry with id with its sealed values
// opened by keys.
func (s *Store) UnsealedHistoryItem(keys *Keys, id uint64) (*HistoryEntry, error) {
	priv, err := keys.historyKey()
	if err != nil {
		return nil, err
	}
	return s.historyItem(id, priv)
}

func (s *Store) historyItem(id uint64, priv *ecdh.PrivateKey) (*HistoryEntry, error) {
	var e HistoryEntry
	err := s.view(func(tx *bolt.Tx) error {
		k := binary.BigEndian.AppendUint64(nil, id)
		v := tx.Bucket(bucketHistory).Get(k)
		if v == nil {
			return &NotFoundError{What: "history entry", Name: strconv.FormatUint(id, 10)}
		}
		var err error
		e, err = decodeHistory(k, v, priv)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// ClearHistory deletes every history entry; ids keep growing from where they
// were.
func (s *Store) ClearHistory() error {
	_, err := s.ClearHistoryBefore(time.Time{})
	return err
}

// ClearHistoryBefore deletes the entries made before cutoff (every entry
// when cutoff is zero) and says how many it deleted. The pages that held
// them are overwritten (see scrubFreePages).
func (s *Store) ClearHistoryBefore(cutoff time.Time) (int, error) {
	n := 0
	err := s.updateScrubbing(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHistory)
		if cutoff.IsZero() {
			n = countKeys(b)
			seq := b.Sequence()
			if err := tx.DeleteBucket(bucketHistory); err != nil {
				return err
			}
			nb, err := tx.CreateBucket(bucketHistory)
			if err != nil {
				return err
			}
			return nb.SetSequence(seq)
		}
		// Collected first: deleting while a cursor walks can skip keys.
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var e HistoryEntry
			if json.Unmarshal(v, &e) != nil || e.At.Before(cutoff) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}

// SaveRequest stores r, replacing a saved request of the same name.
func (s *Store) SaveRequest(r SavedRequest) error {
	if err := ValidateName(r.Name); err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	if r.Saved.IsZero() {
		r.Saved = time.Now().UTC()
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save request `%s`: %w", r.Name, err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRequests).Put([]byte(r.Name), v)
	})
	if err != nil {
		return fmt.Errorf("save request `%s`: %w", r.Name, err)
	}
	return nil
}

// SavedRequests returns the saved requests sorted by name.
func (s *Store) SavedRequests() ([]SavedRequest, error) {
	var out []SavedRequest
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
			var r SavedRequest
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("saved request %q is unreadable (%v): %w", k, err, ErrCorrupt)
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read saved requests: %w", err)
	}
	return out, nil
}

// DeleteSavedRequest removes the saved request name.
func (s *Store) DeleteSavedRequest(name string) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRequests)
		if b.Get([]byte(name)) == nil {
			return &NotFoundError{What: "saved request", Name: name}
		}
		return b.Delete([]byte(name))
	})
}
