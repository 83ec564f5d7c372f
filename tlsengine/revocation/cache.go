package revocation

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/mtlswb/mtlswb/tlsengine/pkifetch"
)

// Cache keeps fetched CRLs and OCSP responses by key. It stores bytes only:
// whether an entry is still current is read from the entry itself (a CRL's
// or an OCSP response's next update), so no entry outlives its own validity
// and a cache needs no clock.
type Cache interface {
	Get(key string) []byte // nil when absent
	Put(key string, data []byte)
}

// MemoryCache is a Cache for one process.
type MemoryCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *MemoryCache) Get(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *MemoryCache) Put(key string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	c.m[key] = append([]byte(nil), data...)
}

// DirCache is a Cache in a directory, one file per entry, shared by the
// processes of one user (the CLI and the TUI). A failed write only costs a
// fetch next time, so Put reports nothing.
type DirCache struct{ Dir string }

func (c DirCache) file(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:]))
}

func (c DirCache) Get(key string) []byte {
	f, err := os.Open(c.file(key))
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, pkifetch.CRLLimits.MaxBytes+1))
	if err != nil || int64(len(data)) > pkifetch.CRLLimits.MaxBytes {
		return nil
	}
	return data
}

func (c DirCache) Put(key string, data []byte) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Rename is atomic: a reader sees the old entry or the new one.
		err = os.Rename(tmp.Name(), c.file(key))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
}

var (
	_ Cache = (*MemoryCache)(nil)
	_ Cache = DirCache{}
)
