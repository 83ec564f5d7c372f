package workspace

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

var testPassphrase = []byte("correct horse battery staple")

// weakKDF makes the test's workspaces cheap to unlock (see
// AllowWeakKDFForTests) for the duration of the test.
func weakKDF(tb testing.TB) {
	tb.Helper()
	tb.Cleanup(AllowWeakKDFForTests())
}

// newStore creates a workspace in a temporary directory and checks the bbolt
// file's consistency when the test ends.
func newStore(tb testing.TB, encrypted bool) (*Store, *Keys) {
	tb.Helper()
	weakKDF(tb)
	path := filepath.Join(tb.TempDir(), "ws", "workspace.db")
	opts := CreateOptions{Passphrase: testPassphrase}
	if !encrypted {
		opts = CreateOptions{NoPassphrase: true}
	}
	s, err := Create(path, opts)
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	checkOnCleanup(tb, path)
	keys, err := s.Unlock(testPassphrase)
	if err != nil {
		tb.Fatalf("Unlock: %v", err)
	}
	return s, keys
}

func checkOnCleanup(tb testing.TB, path string) {
	tb.Cleanup(func() {
		if err := checkFile(path); err != nil {
			tb.Errorf("consistency check of %s: %v", path, err)
		}
	})
}

// checkFile runs bbolt's own consistency check (as `bbolt check` does).
func checkFile(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

func fileHash(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// requireUnchanged fails when fn changed the file's bytes.
func requireUnchanged(tb testing.TB, path string, fn func()) {
	tb.Helper()
	before := fileHash(tb, path)
	fn()
	if after := fileHash(tb, path); after != before {
		tb.Fatalf("workspace file changed (sha256 %s -> %s)", before[:12], after[:12])
	}
}

func mustRoot(tb testing.TB, cn string) pki.Pair {
	tb.Helper()
	p, err := pki.NewRoot(pki.Spec{CN: cn, IsCA: true, MaxPathLen: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func mustIssue(tb testing.TB, ca pki.Pair, spec pki.Spec) pki.Pair {
	tb.Helper()
	p, err := ca.Issue(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func caRecord(name string, p pki.Pair, withKey bool) NewRecord {
	r := NewRecord{Kind: KindCA, Name: name, Chain: []*x509.Certificate{p.Cert}, Source: "test"}
	if withKey {
		r.Key = p.Key
	}
	return r
}

func identityRecord(name string, p pki.Pair, chain ...*x509.Certificate) NewRecord {
	return NewRecord{Kind: KindIdentity, Name: name, Chain: append([]*x509.Certificate{p.Cert}, chain...), Key: p.Key, Source: "test"}
}

// fixture is a root CA and an identity it issued, stored in a workspace.
type fixture struct {
	s    *Store
	keys *Keys
	root pki.Pair
	joe  pki.Pair
}

func newFixture(tb testing.TB, encrypted bool) fixture {
	tb.Helper()
	s, keys := newStore(tb, encrypted)
	root := mustRoot(tb, "Dev Root")
	joe := mustIssue(tb, root, pki.Spec{CN: "joe", Client: true})
	if err := s.Add(keys, []NewRecord{caRecord("devroot", root, true), identityRecord("joe", joe, root.Cert)}); err != nil {
		tb.Fatalf("Add: %v", err)
	}
	return fixture{s: s, keys: keys, root: root, joe: joe}
}

func clientSpec(cn string) pki.Spec { return pki.Spec{CN: cn, Client: true} }
