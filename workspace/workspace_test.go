package workspace

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestDefaultPath(t *testing.T) {
	tests := map[string]struct {
		env, xdg, home string
		want           string
	}{
		"env wins":          {env: "/x/ws.db", xdg: "/data", home: "/home/u", want: "/x/ws.db"},
		"xdg":               {xdg: "/data", home: "/home/u", want: "/data/mtlswb/workspace.db"},
		"relative xdg skip": {xdg: "data", home: "/home/u", want: "/home/u/.local/share/mtlswb/workspace.db"},
		"home":              {home: "/home/u", want: "/home/u/.local/share/mtlswb/workspace.db"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("MTLSWB_WORKSPACE", tc.env)
			t.Setenv("XDG_DATA_HOME", tc.xdg)
			t.Setenv("HOME", tc.home)
			got, err := DefaultPath()
			if err != nil || got != tc.want {
				t.Fatalf("DefaultPath() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCreatePermissionsAndExists(t *testing.T) {
	weakKDF(t)
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "workspace.db")
	if Exists(path) {
		t.Fatal("Exists before Create")
	}
	if _, err := Create(path, CreateOptions{Passphrase: testPassphrase}); err != nil {
		t.Fatal(err)
	}
	checkOnCleanup(t, path)
	if !Exists(path) {
		t.Fatal("Exists after Create = false")
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", p, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the workspace (temporary file left behind?)", len(entries))
	}
	_, err := Create(path, CreateOptions{Passphrase: testPassphrase})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
}

func TestCreateRejectsBadOptions(t *testing.T) {
	weakKDF(t)
	tests := map[string]CreateOptions{
		"no passphrase given":    {},
		"both":                   {Passphrase: []byte("x"), NoPassphrase: true},
		"kdf above the ceiling":  {Passphrase: []byte("x"), KDF: &KDFParams{Time: 11, MemoryKiB: 64 << 10, Threads: 1}},
		"kdf with zero threads":  {Passphrase: []byte("x"), KDF: &KDFParams{Time: 1, MemoryKiB: 64 << 10}},
		"kdf memory too big":     {Passphrase: []byte("x"), KDF: &KDFParams{Time: 1, MemoryKiB: 2 << 20, Threads: 1}},
		"kdf with too many lane": {Passphrase: []byte("x"), KDF: &KDFParams{Time: 1, MemoryKiB: 64 << 10, Threads: 17}},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ws.db")
			if _, err := Create(path, opts); err == nil {
				t.Fatal("Create succeeded")
			}
			if Exists(path) {
				t.Fatal("a failed Create left a file")
			}
		})
	}
}

func TestKDFFloorWithoutTestHook(t *testing.T) {
	if weakAllowed() {
		t.Fatal("weak KDF hook still active from another test")
	}
	path := filepath.Join(t.TempDir(), "ws.db")
	_, err := Create(path, CreateOptions{Passphrase: []byte("x"), KDF: &KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}})
	if err == nil || !strings.Contains(err.Error(), "weaker than the minimum") {
		t.Fatalf("Create with a weak KDF: %v, want refusal", err)
	}
	restore := AllowWeakKDFForTests()
	defer restore()
	if _, err := Create(path, CreateOptions{Passphrase: []byte("x"), KDF: &KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}}); err != nil {
		t.Fatalf("Create with the hook: %v", err)
	}
}

func TestOpenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.db")
	_, err := Open(path)
	var nw *NoWorkspaceError
	if !errors.As(err, &nw) || !errors.Is(err, ErrNoWorkspace) || !strings.Contains(err.Error(), "mtlswb init") {
		t.Fatalf("Open(missing) = %v; want NoWorkspaceError telling to run mtlswb init", err)
	}
	if Exists(path) {
		t.Fatal("Open created the file")
	}
}

func TestOpenNotAWorkspace(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not bolt "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	otherBolt := filepath.Join(dir, "other.db")
	db, err := bolt.Open(otherBolt, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	db.Close()
	for name, path := range map[string]string{"garbage": garbage, "other bbolt file": otherBolt} {
		t.Run(name, func(t *testing.T) {
			if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestUnlock(t *testing.T) {
	f := newFixture(t, true)
	if !f.s.Encrypted() {
		t.Fatal("Encrypted() = false")
	}
	s, err := Open(f.s.Path())
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		pass []byte
		want error
	}{
		"right":        {pass: testPassphrase},
		"wrong":        {pass: []byte("Correct horse battery staple"), want: ErrWrongPassphrase},
		"empty":        {pass: nil, want: ErrWrongPassphrase},
		"one byte off": {pass: append(bytes.Clone(testPassphrase), '!'), want: ErrWrongPassphrase},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var keys *Keys
			requireUnchanged(t, s.Path(), func() { keys, err = s.Unlock(tc.pass) })
			if !errors.Is(err, tc.want) {
				t.Fatalf("Unlock = %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				return
			}
			if _, err := s.Signer(keys, "joe"); err != nil {
				t.Fatalf("Signer after unlock: %v", err)
			}
		})
	}
}

func TestLockedKeys(t *testing.T) {
	f := newFixture(t, true)
	f.keys.Lock()
	if !f.keys.Locked() {
		t.Fatal("Locked() = false after Lock")
	}
	if _, err := f.s.Signer(f.keys, "joe"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Signer with locked keys = %v, want ErrLocked", err)
	}
	if _, err := f.s.Signer(nil, "joe"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Signer with nil keys = %v, want ErrLocked", err)
	}
	p := mustIssue(t, f.root, clientSpec("amy"))
	requireUnchanged(t, f.s.Path(), func() {
		if err := f.s.Add(nil, []NewRecord{identityRecord("amy", p)}); !errors.Is(err, ErrLocked) {
			t.Fatalf("Add with nil keys = %v, want ErrLocked", err)
		}
	})
	// A CA without a key needs no keys.
	other := mustRoot(t, "Other Root")
	if err := f.s.Add(nil, []NewRecord{caRecord("other", other, false)}); err != nil {
		t.Fatalf("Add of a keyless CA with nil keys: %v", err)
	}
}

func TestKeysFromAnotherWorkspace(t *testing.T) {
	a := newFixture(t, true)
	_, otherKeys := newStore(t, true)
	if _, err := a.s.Signer(otherKeys, "joe"); err == nil || !strings.Contains(err.Error(), "different workspace") {
		t.Fatalf("Signer with another workspace's keys = %v", err)
	}
}

func TestChangePassphrase(t *testing.T) {
	f := newFixture(t, true)
	newPass := []byte("new passphrase")
	gen0, _ := f.s.Generation()
	var oldWrapped []byte
	f.s.view(func(tx *bolt.Tx) error { oldWrapped = bytes.Clone(tx.Bucket(bucketMeta).Get(metaMK)); return nil })
	if err := f.s.ChangePassphrase(f.keys, newPass); err != nil {
		t.Fatal(err)
	}
	if gen1, _ := f.s.Generation(); gen1 != gen0+1 {
		t.Fatalf("generation %d -> %d, want +1", gen0, gen1)
	}
	if _, err := f.s.Unlock(testPassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase: %v, want ErrWrongPassphrase", err)
	}
	if bytes.Contains(readFile(t, f.s.Path()), oldWrapped) {
		t.Fatal("the master key wrapped under the old passphrase is still in the file")
	}
	keys, err := f.s.Unlock(newPass)
	if err != nil {
		t.Fatalf("new passphrase: %v", err)
	}
	signer, err := f.s.Signer(keys, "joe")
	if err != nil {
		t.Fatalf("key after passphrase change: %v", err)
	}
	if !signer.Public().(*ecdsa.PublicKey).Equal(f.joe.Cert.PublicKey) {
		t.Fatal("decrypted key does not match the certificate")
	}
	requireUnchanged(t, f.s.Path(), func() {
		if err := f.s.ChangePassphrase(keys, nil); err == nil {
			t.Fatal("empty new passphrase accepted")
		}
		keys.Lock()
		if err := f.s.ChangePassphrase(keys, []byte("x")); !errors.Is(err, ErrLocked) {
			t.Fatalf("ChangePassphrase with locked keys = %v", err)
		}
	})
}

func TestNoPassphrase(t *testing.T) {
	f := newFixture(t, false)
	if f.s.Encrypted() {
		t.Fatal("Encrypted() = true for a no-passphrase workspace")
	}
	keys, err := f.s.Unlock([]byte("ignored"))
	if err != nil {
		t.Fatalf("Unlock ignores the passphrase: %v", err)
	}
	if _, err := f.s.Signer(keys, "joe"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.TLSCertificate(nil, "joe"); err != nil {
		t.Fatalf("TLSCertificate with nil keys on a no-passphrase workspace: %v", err)
	}
	p := mustIssue(t, f.root, clientSpec("amy"))
	if err := f.s.Add(nil, []NewRecord{identityRecord("amy", p)}); err != nil {
		t.Fatalf("Add with nil keys on a no-passphrase workspace: %v", err)
	}
	var plainMK []byte
	f.s.view(func(tx *bolt.Tx) error { plainMK = bytes.Clone(tx.Bucket(bucketMeta).Get(metaMKPlain)); return nil })
	if len(plainMK) != mkSize {
		t.Fatalf("clear master key is %d bytes", len(plainMK))
	}
	// Setting a passphrase later encrypts the same master key.
	if err := f.s.ChangePassphrase(keys, []byte("now secret")); err != nil {
		t.Fatal(err)
	}
	s, err := Open(f.s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Encrypted() {
		t.Fatal("still unencrypted after setting a passphrase")
	}
	if _, err := s.Unlock(nil); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Unlock without passphrase: %v", err)
	}
	k2, err := s.Unlock([]byte("now secret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"joe", "amy"} {
		if _, err := s.Signer(k2, name); err != nil {
			t.Fatalf("Signer(%s): %v", name, err)
		}
	}
	// bbolt does not scrub freed pages; ChangePassphrase rewrites the file
	// so the clear key is gone, not merely unreferenced.
	if data := readFile(t, s.Path()); bytes.Contains(data, plainMK) || bytes.Contains(data, metaMKPlain) {
		t.Fatal("the clear master key is still in the file")
	}
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// putMeta rewrites a meta record behind the package's back, as a tampering
// user or a newer mtlswb would.
func putMeta(tb testing.TB, path string, key, value []byte) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(key, value) }); err != nil {
		tb.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s, _ := newStore(t, true)
	putMeta(t, s.Path(), metaSchema, u64(schemaVersion+1))
	var err error
	requireUnchanged(t, s.Path(), func() { _, err = Open(s.Path()) })
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "schema 2); upgrade mtlswb") {
		t.Fatalf("Open = %v, want ErrNewerSchema with the upgrade hint", err)
	}
}

func TestUnknownOlderSchemaRefused(t *testing.T) {
	s, _ := newStore(t, true)
	putMeta(t, s.Path(), metaSchema, u64(0))
	var err error
	requireUnchanged(t, s.Path(), func() { _, err = Open(s.Path()) })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open(schema 0) = %v, want ErrCorrupt", err)
	}
}

func TestTamperedKDFRefusedQuickly(t *testing.T) {
	tests := map[string]func(r map[string]any){
		"memory 4 GiB": func(r map[string]any) { r["m_kib"] = 4 << 20 },
		"time 1000":    func(r map[string]any) { r["t"] = 1000 },
		"threads 255":  func(r map[string]any) { r["p"] = 255 },
		"zero time":    func(r map[string]any) { r["t"] = 0 },
		"unknown alg":  func(r map[string]any) { r["alg"] = "scrypt" },
		"short salt":   func(r map[string]any) { r["salt"] = "AAAA" },
		"edited time":  func(r map[string]any) { r["t"] = 2 },
	}
	for name, tamper := range tests {
		t.Run(name, func(t *testing.T) {
			s, _ := newStore(t, true)
			var kdf []byte
			s.view(func(tx *bolt.Tx) error { kdf = bytes.Clone(tx.Bucket(bucketMeta).Get(metaKDF)); return nil })
			var r map[string]any
			if err := json.Unmarshal(kdf, &r); err != nil {
				t.Fatal(err)
			}
			tamper(r)
			b, _ := json.Marshal(r)
			putMeta(t, s.Path(), metaKDF, b)
			start := time.Now()
			_, err := s.Unlock(testPassphrase)
			if err == nil {
				t.Fatal("Unlock succeeded with tampered parameters")
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("Unlock = %v, want ErrCorrupt or ErrWrongPassphrase", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("Unlock took %v on tampered parameters", d)
			}
		})
	}
}

func TestMasterKeySwapFails(t *testing.T) {
	// A wrapped master key from another workspace, pasted in with its kdf
	// record, must not unlock this one: the AAD binds the workspace id.
	a, _ := newStore(t, true)
	b, _ := newStore(t, true)
	var kdf, mk []byte
	b.view(func(tx *bolt.Tx) error {
		kdf = bytes.Clone(tx.Bucket(bucketMeta).Get(metaKDF))
		mk = bytes.Clone(tx.Bucket(bucketMeta).Get(metaMK))
		return nil
	})
	putMeta(t, a.Path(), metaKDF, kdf)
	putMeta(t, a.Path(), metaMK, mk)
	if _, err := a.Unlock(testPassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Unlock with a transplanted master key = %v", err)
	}
}

func TestGenerationBumpsOnWritesOnly(t *testing.T) {
	f := newFixture(t, true)
	gen := func() uint64 {
		g, err := f.s.Generation()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0 := gen()
	f.s.List()
	f.s.Get("joe")
	f.s.Unlock(testPassphrase)
	f.s.History(0)
	if g := gen(); g != g0 {
		t.Fatalf("reads moved the generation %d -> %d", g0, g)
	}
	if err := f.s.Rename("joe", "joseph"); err != nil {
		t.Fatal(err)
	}
	if g := gen(); g != g0+1 {
		t.Fatalf("Rename: generation %d -> %d, want +1", g0, g)
	}
	if err := f.s.Rename("nobody", "x"); err == nil {
		t.Fatal("Rename of a missing record succeeded")
	}
	if g := gen(); g != g0+1 {
		t.Fatalf("failed Rename moved the generation to %d", g)
	}
}

func TestPrivateKeyNeverInClear(t *testing.T) {
	for _, encrypted := range []bool{true, false} {
		f := newFixture(t, encrypted)
		data := readFile(t, f.s.Path())
		for name, key := range map[string]any{"root": f.root.Key, "joe": f.joe.Key} {
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, der) {
				t.Errorf("encrypted=%v: PKCS#8 DER of %s's key is in the file", encrypted, name)
			}
			d, err := key.(*ecdsa.PrivateKey).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, d) {
				t.Errorf("encrypted=%v: the private scalar of %s's key is in the file", encrypted, name)
			}
		}
	}
}
