package workspace

import (
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
func (s *Store) AddHistory(e HistoryEntry) (uint64, error) {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	err := s.update(func(tx *bolt.Tx) error {
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
		return b.Put(binary.BigEndian.AppendUint64(nil, id), v)
	})
	if err != nil {
		return 0, fmt.Errorf("save history: %w", err)
	}
	return e.ID, nil
}

// Remember records an attempt: spec is the request as planned (what a
// re-send starts from), rep what the engine reported. at is when it was
// made; zero means when the report says it started. Both front ends record
// through here, so an attempt reads the same whichever sent it.
func (s *Store) Remember(spec RequestSpec, rep tlsengine.Report, at time.Time) (uint64, error) {
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

// History returns up to limit entries, newest first; limit <= 0 means all.
func (s *Store) History(limit int) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var e HistoryEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("history entry %d is unreadable (%v): %w", binary.BigEndian.Uint64(k), err, ErrCorrupt)
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

// HistoryItem returns the entry with id.
func (s *Store) HistoryItem(id uint64) (*HistoryEntry, error) {
	var e HistoryEntry
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketHistory).Get(binary.BigEndian.AppendUint64(nil, id))
		if v == nil {
			return &NotFoundError{What: "history entry", Name: strconv.FormatUint(id, 10)}
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("history entry %d is unreadable (%v): %w", id, err, ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// ClearHistory deletes every history entry; ids keep growing from where they
// were.
func (s *Store) ClearHistory() error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHistory)
		seq := b.Sequence()
		if err := tx.DeleteBucket(bucketHistory); err != nil {
			return err
		}
		nb, err := tx.CreateBucket(bucketHistory)
		if err != nil {
			return err
		}
		return nb.SetSequence(seq)
	})
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
