// Package workspace is mtlswb's keystore: one bbolt file holding trusted CAs,
// client identities (chain and private key), the history of attempts and
// saved requests.
//
// # Keys at rest
//
// A passphrase goes through Argon2id (parameters stored in the file, bounded
// on read) to a key that wraps a random 32-byte master key with
// XChaCha20-Poly1305. Private keys are sealed under an HKDF subkey of the
// master key, each bound to its leaf certificate's SHA-256. Changing the
// passphrase rewraps the master key only. Certificates and the summaries
// `ls` shows stay readable without the passphrase.
//
// # Sharing the file
//
// The CLI and the TUI may run at the same time. bbolt locks the whole file
// for as long as it is open, so no handle outlives a call: every method opens
// the file (waiting at most lockTimeout for the lock), runs one transaction
// and closes it. A method that fails leaves the file as it was.
package workspace

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// schemaVersion is the layout this code writes. Open refuses newer ones and
// migrates older ones (there are none yet).
const schemaVersion = 1

// lockTimeout bounds the wait for another process's lock. bbolt waits
// forever without it.
const lockTimeout = 2 * time.Second

var (
	bucketMeta         = []byte("meta")
	bucketEntries      = []byte("entries") // name -> summary, see records.go
	bucketRecords      = []byte("records") // name -> chain, sealed key, notes
	bucketFingerprints = []byte("fingerprints")
	bucketHistory      = []byte("history")
	bucketRequests     = []byte("requests")
	// bucketProfiles is reserved for connection profiles (a later issue);
	// creating it now spares that change a migration.
	bucketProfiles = []byte("profiles")

	allBuckets = [][]byte{bucketMeta, bucketEntries, bucketRecords, bucketFingerprints, bucketHistory, bucketRequests, bucketProfiles}
)

// Keys of the meta bucket.
var (
	metaSchema     = []byte("schema")     // uint64 big-endian
	metaID         = []byte("id")         // 16 random bytes naming this workspace
	metaProtection = []byte("protection") // "passphrase" or "none"
	metaKDF        = []byte("kdf")        // kdfRecord JSON (passphrase only)
	metaMK         = []byte("mk")         // nonce ‖ sealed master key (passphrase only)
	metaMKPlain    = []byte("mk_plain")   // the master key in clear (init --no-passphrase only)
	metaGen        = []byte("gen")        // uint64 big-endian, bumped by every write
	metaCreated    = []byte("created")    // RFC 3339
)

const (
	protectionPassphrase = "passphrase"
	protectionNone       = "none"
)

// Store is a workspace file. It holds no open handle, so it is cheap to keep
// and safe to share between goroutines.
type Store struct {
	path        string
	workspaceID []byte
	encrypted   atomic.Bool
	// lastKeys are the keys Unlock last returned, for HistoryItem to open
	// sealed values with; Keys.Lock zeroes them for every holder.
	lastKeys atomic.Pointer[Keys]
}

// CreateOptions configure a new workspace.
type CreateOptions struct {
	Passphrase []byte
	// NoPassphrase stores the master key in clear: anyone who can read the
	// file can use its keys.
	NoPassphrase bool
	// KDF overrides the Argon2id costs; nil means DefaultKDF.
	KDF *KDFParams
}

// DefaultPath is $MTLSWB_WORKSPACE, else $XDG_DATA_HOME/mtlswb/workspace.db,
// else ~/.local/share/mtlswb/workspace.db.
func DefaultPath() (string, error) {
	if p := os.Getenv("MTLSWB_WORKSPACE"); p != "" {
		return p, nil
	}
	// The XDG spec says relative values are invalid and must be ignored.
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "mtlswb", "workspace.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the workspace: %w; set MTLSWB_WORKSPACE to its path", err)
	}
	return filepath.Join(home, ".local", "share", "mtlswb", "workspace.db"), nil
}

// Exists reports whether anything is at path: a workspace, or something
// that Open will then describe (a directory, a damaged file, a link that
// loops) instead of offering to create a workspace over it.
func Exists(path string) bool {
	if _, err := os.Lstat(path); err != nil {
		return false
	}
	// A link to a file not made yet is a workspace not made yet.
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// Create makes a new workspace at path. The file is built under a temporary
// name and linked into place, so a crash during bbolt's first initialization
// (which bbolt does not make atomic) never leaves a broken workspace behind.
func Create(path string, opts CreateOptions) (*Store, error) {
	switch {
	case opts.NoPassphrase && len(opts.Passphrase) > 0:
		return nil, errors.New("create workspace: both a passphrase and no-passphrase were given; choose one")
	case !opts.NoPassphrase && len(opts.Passphrase) == 0:
		return nil, errors.New("create workspace: a passphrase is required to encrypt private keys; give one, or choose no passphrase")
	}
	if err := checkFree(path); err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	mk := make([]byte, mkSize)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	if _, err := rand.Read(mk); err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	defer clear(mk)

	hk, err := historyKeyPair(mk)
	if err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	meta := map[string][]byte{
		string(metaSchema):     u64(schemaVersion),
		string(metaID):         id,
		string(metaGen):        u64(1),
		string(metaCreated):    []byte(time.Now().UTC().Format(time.RFC3339)),
		string(metaHistoryPub): hk.PublicKey().Bytes(),
	}
	if opts.NoPassphrase {
		meta[string(metaProtection)] = []byte(protectionNone)
		meta[string(metaMKPlain)] = append([]byte(nil), mk...)
	} else {
		params := defaultKDF()
		if opts.KDF != nil {
			params = *opts.KDF
		}
		kdfBytes, err := newKDFRecord(params)
		if err != nil {
			return nil, fmt.Errorf("create workspace: %w", err)
		}
		wrapped, err := wrapMK(opts.Passphrase, mk, id, kdfBytes)
		if err != nil {
			return nil, fmt.Errorf("create workspace: %w", err)
		}
		meta[string(metaProtection)] = []byte(protectionPassphrase)
		meta[string(metaKDF)] = kdfBytes
		meta[string(metaMK)] = wrapped
	}

	// Through a symlink to a file not made yet, the workspace is made
	// where the link points, so the link works from the start.
	target, err := linkTarget(path)
	if err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create workspace directory: %w", err)
	}
	tmp, err := safefile.CreateTemp(dir, filepath.Base(target), tempTag)
	if err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // after the link, this only drops the temporary name
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	if err := initFile(tmpPath, meta); err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	// Link, unlike rename, fails when another process created the workspace
	// meanwhile instead of silently replacing it.
	if err := os.Link(tmpPath, target); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create workspace %s: %w; use it, or remove it first", path, ErrExists)
		}
		if Exists(path) {
			return nil, checkFree(path)
		}
		// Some filesystems have no hard links.
		if err := os.Rename(tmpPath, target); err != nil {
			return nil, fmt.Errorf("create workspace: %w", err)
		}
	}
	if err := safefile.SyncDir(dir); err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	s := &Store{path: path, workspaceID: id}
	s.encrypted.Store(!opts.NoPassphrase)
	return s, nil
}

// linkTarget follows the symlinks at path to the name a new file would
// get; it is path itself when path is no link.
func linkTarget(path string) (string, error) {
	for range 40 { // Linux gives up after 40 links too (ELOOP)
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		next, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(next) {
			next = filepath.Join(filepath.Dir(path), next)
		}
		path = next
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// checkFree says why Create cannot use path: a workspace is there, or
// something else is (a directory, a FIFO, a damaged file), which Check
// names.
func checkFree(path string) error {
	if !Exists(path) {
		return nil
	}
	if err := Check(path); err != nil && !errors.Is(err, ErrNoWorkspace) {
		return err
	}
	return fmt.Errorf("create workspace %s: %w; use it, or remove it first", path, ErrExists)
}

func initFile(path string, meta map[string][]byte) error {
	db, err := createDB(path)
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		mb := tx.Bucket(bucketMeta)
		for k, v := range meta {
			if err := mb.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open checks that path holds a workspace this mtlswb can read and returns
// its Store. It does not keep the file open.
func Open(path string) (*Store, error) {
	var (
		version uint64
		id      []byte
		prot    string
	)
	err := viewFile(path, func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		if mb == nil {
			return fmt.Errorf("%s is a bbolt file but not an mtlswb workspace: %w", path, ErrCorrupt)
		}
		v := mb.Get(metaSchema)
		if len(v) != 8 {
			return fmt.Errorf("%s has no schema version: %w", path, ErrCorrupt)
		}
		version = binary.BigEndian.Uint64(v)
		id = bytes.Clone(mb.Get(metaID))
		prot = string(mb.Get(metaProtection))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if version > schemaVersion {
		return nil, &SchemaError{Version: version}
	}
	if version < schemaVersion {
		if err := migrate(path, version); err != nil {
			return nil, err
		}
	}
	if len(id) != 16 || (prot != protectionPassphrase && prot != protectionNone) {
		return nil, fmt.Errorf("open workspace %s: meta records are missing or damaged: %w", path, ErrCorrupt)
	}
	cleanTemps(path)
	s := &Store{path: path, workspaceID: id}
	s.encrypted.Store(prot == protectionPassphrase)
	return s, nil
}

// migrate brings an older schema up to schemaVersion in one transaction, so a
// crash mid-way leaves the old version intact. Each step turns version v
// into v+1; there are none yet, as 1 is the first schema.
func migrate(path string, from uint64) error {
	return updateFile(path, func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		// Read again under the write lock: another process may have
		// migrated the file since Open looked.
		v := from
		if b := mb.Get(metaSchema); len(b) == 8 {
			v = binary.BigEndian.Uint64(b)
		}
		if v >= schemaVersion {
			return nil
		}
		for ; v < schemaVersion; v++ {
			switch v {
			default:
				return fmt.Errorf("workspace schema %d is unknown to this mtlswb: %w", v, ErrCorrupt)
			}
		}
		if err := mb.Put(metaSchema, u64(schemaVersion)); err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
}

// Path is the workspace file's path.
func (s *Store) Path() string { return s.path }

// Encrypted reports whether private keys are protected by a passphrase.
func (s *Store) Encrypted() bool { return s.encrypted.Load() }

// Unlock derives the keys from passphrase. On a workspace without a
// passphrase the argument is ignored. The slow key derivation runs with the
// file closed, so it does not block other processes.
func (s *Store) Unlock(passphrase []byte) (*Keys, error) {
	keys, missing, err := s.unlock(passphrase)
	if err != nil {
		return nil, err
	}
	if missing {
		s.addHistoryKey(keys)
	}
	s.lastKeys.Store(keys)
	return keys, nil
}

// unlock is Unlock, also saying whether the workspace still lacks its
// history key (made before history was sealed).
func (s *Store) unlock(passphrase []byte) (keys *Keys, missingHistoryKey bool, err error) {
	var prot string
	var id, kdfBytes, wrapped, plain []byte
	hasHistoryKey := false
	err = s.view(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		prot = string(mb.Get(metaProtection))
		id = bytes.Clone(mb.Get(metaID))
		kdfBytes = bytes.Clone(mb.Get(metaKDF))
		wrapped = bytes.Clone(mb.Get(metaMK))
		plain = bytes.Clone(mb.Get(metaMKPlain))
		hasHistoryKey = mb.Get(metaHistoryPub) != nil
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if !bytes.Equal(id, s.workspaceID) {
		return nil, false, fmt.Errorf("unlock: %s was replaced by another workspace; open it again", s.path)
	}
	switch prot {
	case protectionNone:
		s.encrypted.Store(false)
		if len(plain) != mkSize {
			return nil, false, fmt.Errorf("unlock: master key record is damaged: %w", ErrCorrupt)
		}
		keys, err = newKeys(id, plain)
		return keys, !hasHistoryKey, err
	case protectionPassphrase:
		s.encrypted.Store(true)
		if len(passphrase) == 0 {
			return nil, false, ErrWrongPassphrase
		}
		mk, err := unwrapMK(passphrase, wrapped, id, kdfBytes)
		if err != nil {
			return nil, false, err
		}
		keys, err = newKeys(id, mk)
		return keys, !hasHistoryKey, err
	}
	return nil, false, fmt.Errorf("unlock: unknown key protection %q: %w", prot, ErrCorrupt)
}

// KDF returns the stored Argon2id parameters; ok is false on a workspace
// without a passphrase.
func (s *Store) KDF() (p KDFParams, ok bool, err error) {
	var kdfBytes []byte
	err = s.view(func(tx *bolt.Tx) error {
		kdfBytes = bytes.Clone(tx.Bucket(bucketMeta).Get(metaKDF))
		return nil
	})
	if err != nil || kdfBytes == nil {
		return p, false, err
	}
	r, err := parseKDFRecord(kdfBytes)
	if err != nil {
		return p, false, err
	}
	return KDFParams{Time: r.Time, MemoryKiB: r.MemoryKiB, Threads: r.Threads}, true, nil
}

// ChangePassphrase rewraps the master key under newPassphrase (with a fresh
// salt), leaving every sealed private key as it is. On a workspace without a
// passphrase it adds one.
func (s *Store) ChangePassphrase(keys *Keys, newPassphrase []byte) error {
	if len(newPassphrase) == 0 {
		return errors.New("change passphrase: the new passphrase is empty; give a non-empty one")
	}
	mk, err := keys.masterKey(s.workspaceID)
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	defer clear(mk)
	params, ok, err := s.KDF()
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	// Keep the stored costs unless they are below today's floor (a file
	// from an older default, or a test).
	if !ok || params.checkWrite() != nil {
		params = defaultKDF()
	}
	kdfBytes, err := newKDFRecord(params)
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	// Derive before opening the file: Argon2id takes ~75 ms and the file
	// lock should not be held that long.
	wrapped, err := wrapMK(newPassphrase, mk, s.workspaceID, kdfBytes)
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	// The old wrapped (or, without a passphrase, clear) master key would
	// survive in bbolt's freed pages, readable by anyone with the file and
	// the old passphrase, so the file is rewritten without them.
	err = s.rewrite(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		for k, v := range map[string][]byte{string(metaProtection): []byte(protectionPassphrase), string(metaKDF): kdfBytes, string(metaMK): wrapped} {
			if err := mb.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return mb.Delete(metaMKPlain)
	})
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	s.encrypted.Store(true)
	return nil
}

// Generation is a counter bumped by every write, from any process. The TUI
// polls it to know when to reload; it costs one read-only open.
func (s *Store) Generation() (uint64, error) {
	var gen uint64
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(metaGen)
		if len(v) != 8 {
			return fmt.Errorf("generation counter is damaged: %w", ErrCorrupt)
		}
		gen = binary.BigEndian.Uint64(v)
		return nil
	})
	return gen, err
}

func (s *Store) view(fn func(tx *bolt.Tx) error) error { return viewFile(s.path, fn) }

// update runs fn in one write transaction and bumps the generation counter
// in the same transaction, so the counter moves exactly when data does.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	return s.updateGrowing(0, fn)
}

// updateGrowing is update for a transaction expected to add about growth
// bytes. bbolt remaps the file whenever it outgrows the mapping, and each
// remap copies every dirty node onto the heap: adding 10,000 identities
// remapped six times and allocated 900 MB. Mapping enough up front avoids
// that; on Linux the mapping is only reserved address space, the file does
// not grow.
func (s *Store) updateGrowing(growth int, fn func(tx *bolt.Tx) error) error {
	return updateFileGrowing(s.path, growth, func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
}

func bumpGeneration(tx *bolt.Tx) error {
	mb := tx.Bucket(bucketMeta)
	gen := uint64(0)
	if v := mb.Get(metaGen); len(v) == 8 {
		gen = binary.BigEndian.Uint64(v)
	}
	return mb.Put(metaGen, u64(gen+1))
}

func u64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, v)
}
