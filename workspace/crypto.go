package workspace

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// KDFParams are the Argon2id costs that turn a passphrase into the key that
// wraps the master key.
type KDFParams struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF is RFC 9106's second recommended setting; about 75 ms on a
// 2-core machine, which keeps unlock interactive while costing an attacker
// 64 MiB per guess.
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// The floor (one pass over 19 MiB) is OWASP's lowest Argon2id memory setting:
// anything cheaper makes offline guessing of a stolen file easy. The ceiling is applied to parameters read from the file: without it a tampered
// file could ask for terabytes of memory or hours of work and make unlock
// hang (age caps scrypt's work factor for the same reason).
var (
	kdfFloor   = KDFParams{Time: 1, MemoryKiB: 19 << 10, Threads: 1}
	kdfCeiling = KDFParams{Time: 10, MemoryKiB: 1 << 20, Threads: 16}
)

// weakKDFForTests is what Create and ChangePassphrase use while
// AllowWeakKDFForTests is in effect.
var weakKDFForTests = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

var weakKDFAllowed atomic.Int32

// AllowWeakKDFForTests lets tests (of this and other packages) make
// workspaces whose passphrase costs microseconds instead of 75 ms and 64 MiB:
// while in effect the floor is not enforced and Create (with a nil KDF) and
// ChangePassphrase use t=1, m=64 KiB, p=1. It returns the function that
// undoes it. Never call it outside tests: such a workspace's passphrase is
// cheap to guess.
func AllowWeakKDFForTests() (restore func()) {
	weakKDFAllowed.Add(1)
	var once sync.Once
	return func() { once.Do(func() { weakKDFAllowed.Add(-1) }) }
}

func weakAllowed() bool { return weakKDFAllowed.Load() > 0 }

func defaultKDF() KDFParams {
	if weakAllowed() {
		return weakKDFForTests
	}
	return DefaultKDF
}

func (p KDFParams) String() string {
	return fmt.Sprintf("argon2id t=%d m=%dKiB p=%d", p.Time, p.MemoryKiB, p.Threads)
}

// checkWrite refuses parameters too weak to protect keys, or too costly for
// checkRead to accept later.
func (p KDFParams) checkWrite() error {
	if err := p.checkRead(); err != nil {
		return fmt.Errorf("kdf parameters %s are out of range: %w", p, err)
	}
	if weakAllowed() {
		return nil
	}
	if p.Time < kdfFloor.Time || p.MemoryKiB < kdfFloor.MemoryKiB || p.Threads < kdfFloor.Threads {
		return fmt.Errorf("kdf parameters %s are weaker than the minimum %s; raise them", p, kdfFloor)
	}
	return nil
}

// checkRead bounds parameters that came from the file.
func (p KDFParams) checkRead() error {
	switch {
	case p.Time < 1 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads):
		return fmt.Errorf("kdf parameters %s are below what argon2id can run", p)
	case p.Time > kdfCeiling.Time || p.MemoryKiB > kdfCeiling.MemoryKiB || p.Threads > kdfCeiling.Threads:
		return fmt.Errorf("kdf parameters %s exceed the maximum %s", p, kdfCeiling)
	}
	return nil
}

// kdfRecord is meta/kdf. Its exact stored bytes are part of the master key's
// AAD, so editing any parameter in the file makes unlock fail.
type kdfRecord struct {
	V         int    `json:"v"`
	Alg       string `json:"alg"`
	Time      uint32 `json:"t"`
	MemoryKiB uint32 `json:"m_kib"`
	Threads   uint8  `json:"p"`
	Salt      []byte `json:"salt"`
}

func newKDFRecord(p KDFParams) ([]byte, error) {
	if err := p.checkWrite(); err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("make kdf salt: %w", err)
	}
	return json.Marshal(kdfRecord{V: 1, Alg: "argon2id", Time: p.Time, MemoryKiB: p.MemoryKiB, Threads: p.Threads, Salt: salt})
}

func parseKDFRecord(b []byte) (kdfRecord, error) {
	var r kdfRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("kdf record is unreadable (%v): %w", err, ErrCorrupt)
	}
	if r.V != 1 || r.Alg != "argon2id" || len(r.Salt) < 16 {
		return r, fmt.Errorf("kdf record has unknown version, algorithm or salt: %w", ErrCorrupt)
	}
	p := KDFParams{Time: r.Time, MemoryKiB: r.MemoryKiB, Threads: r.Threads}
	if err := p.checkRead(); err != nil {
		return r, fmt.Errorf("%v: %w", err, ErrCorrupt)
	}
	return r, nil
}

const (
	mkAADLabel  = "mtlswb/v1/mk"
	keyAADLabel = "mtlswb/v1/key"
	keysInfo    = "mtlswb/v1/keys"
	mkSize      = 32
)

func mkAAD(workspaceID, kdfBytes []byte) []byte {
	aad := make([]byte, 0, len(mkAADLabel)+len(workspaceID)+len(kdfBytes))
	aad = append(aad, mkAADLabel...)
	aad = append(aad, workspaceID...)
	return append(aad, kdfBytes...)
}

// kek runs Argon2id; the caller has already bounded the parameters.
func kek(passphrase []byte, r kdfRecord) []byte {
	return argon2.IDKey(passphrase, r.Salt, r.Time, r.MemoryKiB, r.Threads, chacha20poly1305.KeySize)
}

func seal(key, plaintext, aad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	return sealWith(aead, plaintext, aad)
}

func sealWith(aead cipher.AEAD, plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("make nonce: %w", err)
	}
	return aead.Seal(out, out[:aead.NonceSize()], plaintext, aad), nil
}

func openSealed(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("ciphertext too short")
	}
	n := aead.NonceSize()
	return aead.Open(nil, sealed[:n], sealed[n:], aad)
}

func wrapMK(passphrase, mk, workspaceID, kdfBytes []byte) ([]byte, error) {
	r, err := parseKDFRecord(kdfBytes)
	if err != nil {
		return nil, err
	}
	k := kek(passphrase, r)
	defer clear(k)
	return seal(k, mk, mkAAD(workspaceID, kdfBytes))
}

func unwrapMK(passphrase, wrapped, workspaceID, kdfBytes []byte) ([]byte, error) {
	r, err := parseKDFRecord(kdfBytes)
	if err != nil {
		return nil, err
	}
	k := kek(passphrase, r)
	defer clear(k)
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, err
	}
	mk, err := openSealed(aead, wrapped, mkAAD(workspaceID, kdfBytes))
	if err != nil || len(mk) != mkSize {
		// A wrong passphrase and edited parameters look the same to AEAD;
		// the first is far more likely.
		return nil, ErrWrongPassphrase
	}
	return mk, nil
}

// Keys is an unlocked workspace's key material: the master key and the
// subkey that seals private keys. Lock zeroes it. Safe for concurrent use.
type Keys struct {
	mu          sync.RWMutex
	workspaceID []byte
	mk          []byte
	recordKey   []byte
}

func newKeys(workspaceID, mk []byte) (*Keys, error) {
	rk, err := hkdf.Key(sha256.New, mk, nil, keysInfo, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive record key: %w", err)
	}
	return &Keys{workspaceID: append([]byte(nil), workspaceID...), mk: mk, recordKey: rk}, nil
}

// Lock zeroes the key material; later uses of k fail with ErrLocked. Go may
// have copied the bytes elsewhere (GC moves, registers), so this narrows the
// window rather than guaranteeing erasure.
func (k *Keys) Lock() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.mk)
	clear(k.recordKey)
	k.mk, k.recordKey = nil, nil
}

// Locked reports whether Lock was called.
func (k *Keys) Locked() bool {
	if k == nil {
		return true
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.mk == nil
}

// recordAEAD returns the cipher sealing private keys, after checking the
// keys belong to the workspace whose id is given.
func (k *Keys) recordAEAD(workspaceID []byte) (cipher.AEAD, error) {
	if k == nil {
		return nil, ErrLocked
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.recordKey == nil {
		return nil, ErrLocked
	}
	if string(k.workspaceID) != string(workspaceID) {
		return nil, errors.New("these keys were unlocked from a different workspace; unlock this one")
	}
	return chacha20poly1305.NewX(k.recordKey)
}

func (k *Keys) masterKey(workspaceID []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrLocked
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.mk == nil {
		return nil, ErrLocked
	}
	if string(k.workspaceID) != string(workspaceID) {
		return nil, errors.New("these keys were unlocked from a different workspace; unlock this one")
	}
	return append([]byte(nil), k.mk...), nil
}

// keyAAD binds a sealed private key to its leaf certificate's SHA-256: the
// name can change (Rename), the certificate cannot, and a ciphertext copied
// to another record fails to open.
func keyAAD(leafSHA256 []byte) []byte {
	aad := make([]byte, 0, len(keyAADLabel)+len(leafSHA256))
	aad = append(aad, keyAADLabel...)
	return append(aad, leafSHA256...)
}
