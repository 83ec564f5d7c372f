//go:build unix

package workspace

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace/damagetest"
)

// damagedFixture is a small workspace (a CA, a dozen identities, history, a
// saved request and a profile, spread over several pages) kept as bytes, so
// each case damages its own copy.
type damagedFixture struct {
	good  []byte
	names []string // every record
	dir   string
}

func newDamagedFixture(t *testing.T) *damagedFixture {
	t.Helper()
	s, keys := newStore(t, true)
	root := mustRoot(t, "Damage Root")
	recs := []NewRecord{caRecord("root", root, true)}
	for i := range 12 {
		p := mustIssue(t, root, clientSpec(fmt.Sprintf("client %02d", i)))
		r := identityRecord(fmt.Sprintf("id-%02d", i), p, root.Cert)
		r.Notes = fmt.Sprintf("notes long enough to spread the records over several pages %0300d", i)
		recs = append(recs, r)
	}
	if err := s.Add(keys, recs); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := s.AddHistory(HistoryEntry{}); err != nil {
			t.Fatalf("AddHistory %d: %v", i, err)
		}
	}
	if err := s.SaveRequest(SavedRequest{Name: "ping"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProfile(Profile{Name: "api", Hosts: []string{"api.example"}, Identity: "id-00", CAs: []string{"root"}}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	f := &damagedFixture{good: good, dir: t.TempDir()}
	for _, r := range recs {
		f.names = append(f.names, r.Name)
	}
	return f
}

// file writes data as a new workspace file and returns its path.
func (f *damagedFixture) file(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// storeOps is every Store method, run on path as a command would: open,
// then act. Each returns what the caller would see.
func storeOps(path string) map[string]func() error {
	root := mustRootNoTB("Op Root")
	store := func() (*Store, *Keys, error) {
		s, err := Open(path)
		if err != nil {
			return nil, nil, err
		}
		k, err := s.Unlock(testPassphrase)
		return s, k, err
	}
	ops := map[string]func(s *Store, k *Keys) error{
		"List":   func(s *Store, _ *Keys) error { _, err := s.List(); return err },
		"Get":    func(s *Store, _ *Keys) error { _, err := s.Get("id-03"); return err },
		"Signer": func(s *Store, k *Keys) error { _, err := s.Signer(k, "id-07"); return err },
		"VerifyChain": func(s *Store, _ *Keys) error {
			_, _, err := s.VerifyChain("id-05")
			return err
		},
		"Add":        func(s *Store, k *Keys) error { return s.Add(k, []NewRecord{caRecord("new-root", root, true)}) },
		"Remove":     func(s *Store, _ *Keys) error { return s.Remove("id-11", true) },
		"Rename":     func(s *Store, _ *Keys) error { return s.Rename("id-10", "renamed") },
		"Passphrase": func(s *Store, k *Keys) error { return s.ChangePassphrase(k, []byte("new one")) },
		"History":    func(s *Store, _ *Keys) error { _, err := s.History(0); return err },
		"AddHistory": func(s *Store, _ *Keys) error { _, err := s.AddHistory(HistoryEntry{}); return err },
		"Requests":   func(s *Store, _ *Keys) error { _, err := s.SavedRequests(); return err },
		"Profiles":   func(s *Store, _ *Keys) error { _, err := s.Profiles(); return err },
		"Generation": func(s *Store, _ *Keys) error { _, err := s.Generation(); return err },
		"Backup": func(s *Store, _ *Keys) error {
			dst := path + ".backup"
			defer os.Remove(dst)
			return s.Backup(dst, true)
		},
	}
	out := map[string]func() error{}
	for name, op := range ops {
		out[name] = func() error {
			s, k, err := store()
			if err != nil {
				return err
			}
			return op(s, k)
		}
	}
	return out
}

var opRoot pki.Pair

func mustRootNoTB(cn string) pki.Pair {
	if opRoot.Cert == nil {
		p, err := pki.NewRoot(pki.Spec{CN: cn, IsCA: true})
		if err != nil {
			panic(err)
		}
		opRoot = p
	}
	return opRoot
}

// requireDamaged runs every op on path and requires a DamagedError from
// each, quickly, with the file unchanged.
func requireDamaged(t *testing.T, path string) {
	t.Helper()
	requireMaybeUnchanged(t, path, true, func() {
		for name, op := range storeOps(path) {
			start := time.Now()
			err := op()
			var d *DamagedError
			if !errors.As(err, &d) {
				t.Errorf("%s = %v, want a DamagedError", name, err)
			} else if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: DamagedError does not match ErrCorrupt", name)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("%s took %v", name, el)
			}
		}
	})
}

// TestDamagedPaths: whatever stands at the workspace path that is not a
// workspace file is named, by every operation, without blocking on it.
func TestDamagedPaths(t *testing.T) {
	weakKDF(t)
	dir := t.TempDir()
	p := damagetest.SpecialPaths(t, dir)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, make([]byte, 3<<12), 0o600)
	for name, tc := range map[string]struct{ path, reason string }{
		"directory":    {p["directory"], "it is a directory, not a workspace file"},
		"fifo":         {p["fifo"], "it is a named pipe (FIFO), not a workspace file"},
		"symlink loop": {p["symlink loop"], "it is a symbolic link that loops"},
		"/dev/zero":    {p["/dev/zero"], "it is a character device, not a workspace file"},
		"empty":        {p["empty"], "the file is empty (0 bytes)"},
		"zeros":        {garbage, "it does not start like a bbolt database and no second header page was found: it is not a workspace file, or its start was overwritten"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Check(tc.path)
			var d *DamagedError
			if !errors.As(err, &d) || d.Reason != tc.reason {
				t.Fatalf("Check = %v, want reason %q", err, tc.reason)
			}
			for opName, op := range storeOps(tc.path) {
				if err := op(); !errors.As(err, &d) || d.Reason != tc.reason {
					t.Errorf("%s = %v, want reason %q", opName, err, tc.reason)
				}
			}
			if _, err := Create(tc.path, CreateOptions{NoPassphrase: true}); !errors.As(err, &d) {
				t.Errorf("Create over it = %v, want the DamagedError", err)
			}
		})
	}
}

// TestCreateThroughDanglingLink: a symlink to a workspace not made yet is
// no workspace, and Create makes the file where it points.
func TestCreateThroughDanglingLink(t *testing.T) {
	weakKDF(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "ws.db")
	link := filepath.Join(dir, "link.db")
	os.Symlink("real/ws.db", link)
	if Exists(link) {
		t.Fatal("Exists(link to nothing) = true")
	}
	if _, err := Open(link); !errors.Is(err, ErrNoWorkspace) {
		t.Fatalf("Open = %v, want ErrNoWorkspace", err)
	}
	if _, err := Create(link, CreateOptions{NoPassphrase: true}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}
	if err := Check(target); err != nil {
		t.Fatalf("the workspace is not at the link's target: %v", err)
	}
	if _, err := Open(link); err != nil {
		t.Fatal(err)
	}
}

// TestTruncatedAtEveryPage cuts the file at every page boundary, as an
// interrupted copy or sync does: every operation says it is damaged, or,
// when only unused pages at the end were cut, works.
func TestTruncatedAtEveryPage(t *testing.T) {
	f := newDamagedFixture(t)
	l, err := readLayout(f.good)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(l.pageSize)
	for n := 0; n < len(f.good); n += ps {
		t.Run(fmt.Sprintf("%d-pages", n/ps), func(t *testing.T) {
			path := f.file(t, fmt.Sprintf("cut-%d.db", n/ps), f.good[:n])
			if uint64(n/ps) >= l.pages {
				if err := Check(path); err != nil {
					t.Fatalf("Check of a file cut after its last page = %v", err)
				}
				return
			}
			requireDamaged(t, path)
		})
	}
}

// flipSeed is the byte-flip tests' seed: random per run, logged, and
// replayable with MTLSWB_FLIP_SEED.
func flipSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MTLSWB_FLIP_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (set MTLSWB_FLIP_SEED to replay)", seed)
	return seed
}

// livePages lists the pages the good file's tree reaches: flips there hit
// data in use, where a flip in a free page would prove nothing.
func livePages(t *testing.T, good []byte) (*layout, []uint64) {
	t.Helper()
	l, err := readLayout(good)
	if err != nil {
		t.Fatal(err)
	}
	w := newWalker(l, true)
	if err := w.run(); err != nil {
		t.Fatal(err)
	}
	pages := []uint64{0, 1}
	for id := uint64(2); id < l.pages; id++ {
		if w.seen.has(id) {
			pages = append(pages, id)
		}
	}
	return l, pages
}

// TestByteFlips damages 200 copies, one random byte each in a page in use
// (half of them in the page structure): no operation may crash, hang or
// change a file it refused.
func TestByteFlips(t *testing.T) {
	f := newDamagedFixture(t)
	rng := rand.New(rand.NewPCG(flipSeed(t), 13))
	l, live := livePages(t, f.good)
	refused := 0
	for i := range 200 {
		data := slices.Clone(f.good)
		page := live[rng.IntN(len(live))]
		span := int(l.pageSize)
		if i%2 == 0 && page >= 2 {
			// Half the flips hit the page header and entry table, where
			// bbolt trusts offsets; the rest land anywhere in the page.
			_, _, count, _ := l.page(page)
			span = min(span, pageHeaderSize+count*elementSize)
		}
		off := int(page*l.pageSize) + rng.IntN(span)
		data[off] ^= byte(1 + rng.IntN(255))
		path := f.file(t, fmt.Sprintf("flip-%03d.db", i), data)
		var d *DamagedError
		if errors.As(Check(path), &d) {
			refused++
		}
		for name, op := range storeOps(path) {
			if i%4 != 0 && writingOps[name] {
				continue // each write costs fsyncs: a quarter of the files get them
			}
			before, _ := os.ReadFile(path)
			start := time.Now()
			err := op()
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("flip %d at %d: %s took %v", i, off, name, el)
			}
			if after, _ := os.ReadFile(path); err != nil && string(after) != string(before) {
				t.Errorf("flip %d at %d: %s failed (%v) but changed the file", i, off, name, err)
			}
		}
	}
	t.Logf("%d of 200 flipped files were refused as damaged", refused)
}

var writingOps = map[string]bool{"Add": true, "Remove": true, "Rename": true, "Passphrase": true, "AddHistory": true, "Backup": true}

// TestDoctorRepairsIntactRecords flips a byte in a page in use and repairs
// the file: every record whose pages the flip missed must come back whole,
// key included, in a sound file. (A flip in a header page or in the page
// holding the workspace's own records is left out: the first falls back to
// the previous transaction, the second loses the master key by design.)
func TestDoctorRepairsIntactRecords(t *testing.T) {
	f := newDamagedFixture(t)
	l, live := livePages(t, f.good)
	w := newWalker(l, true)
	onPages := map[string][]uint64{}
	metaPages := map[uint64]bool{l.meta.root: true}
	w.onKV = func(path []string, page uint64, k, _ []byte) {
		// A leaf bigger than a page continues on overflow pages after
		// its first one, and a key or value may lie on any of them: a
		// flip there damages the record itself, which nothing in the
		// file can undo, so every page of the leaf counts as its own.
		p, _, _, _ := l.page(page)
		for id := page; id < page+max(1, uint64(len(p))/l.pageSize); id++ {
			switch path[0] {
			case string(bucketEntries), string(bucketRecords):
				onPages[string(k)] = append(onPages[string(k)], id)
			case string(bucketMeta):
				metaPages[id] = true
			}
		}
	}
	w.run()
	rng := rand.New(rand.NewPCG(flipSeed(t), 17))
	repaired := 0
	for i := range 60 {
		page := live[rng.IntN(len(live))]
		if page < 2 || metaPages[page] {
			continue
		}
		data := slices.Clone(f.good)
		off := int(page*l.pageSize) + rng.IntN(int(l.pageSize))
		data[off] ^= byte(1 + rng.IntN(255))
		path := f.file(t, fmt.Sprintf("repair-%03d.db", i), data)
		var intact []string
		for _, n := range f.names {
			if !slices.Contains(onPages[n], page) {
				intact = append(intact, n)
			}
		}
		d, err := Examine(path)
		if err != nil {
			t.Fatalf("flip %d at %d: Examine: %v", i, off, err)
		}
		if err := d.CheckKeys(testPassphrase); err != nil {
			t.Fatalf("flip %d at %d: CheckKeys: %v", i, off, err)
		}
		if !d.Healthy() {
			if _, err := d.Repair(); err != nil {
				t.Fatalf("flip %d at %d: Repair: %v", i, off, err)
			}
			repaired++
		}
		if err := Check(path); err != nil {
			t.Fatalf("flip %d at %d: the repaired file: %v", i, off, err)
		}
		s, err := Open(path)
		if err != nil {
			t.Fatalf("flip %d at %d: Open after repair: %v", i, off, err)
		}
		keys, err := s.Unlock(testPassphrase)
		if err != nil {
			t.Fatalf("flip %d at %d: Unlock after repair: %v", i, off, err)
		}
		for _, n := range intact {
			rec, err := s.Get(n)
			if err == nil && rec.HasKey {
				_, err = s.Signer(keys, n)
			}
			if err != nil {
				t.Errorf("flip %d at %d (page %d): intact record %s lost: %v", i, off, page, n, err)
			}
		}
	}
	t.Logf("%d damaged files repaired", repaired)
}

// requireLoopRefused builds page structures that loop and checks the walk
// ends: a branch page pointing at itself, which sends bbolt's cursor down
// forever, and two branch entries naming one leaf, which makes a ForEach
// repeat it.
func TestLoopingPagesAreRefused(t *testing.T) {
	f := newDamagedFixture(t)
	l, err := readLayout(f.good)
	if err != nil {
		t.Fatal(err)
	}
	// Find a branch page (the records bucket spans several leaves).
	var branch uint64
	for id := uint64(2); id < l.pages && branch == 0; id++ {
		if _, flags, count, err := l.page(id); err == nil && flags == pageBranch && count >= 2 {
			branch = id
		}
	}
	if branch == 0 {
		t.Fatal("the fixture has no branch page; add records")
	}
	eo := int(branch)*int(l.pageSize) + pageHeaderSize
	for name, patch := range map[string]func(b []byte){
		"self":  func(b []byte) { ne.PutUint64(b[eo+8:], branch) },
		"twice": func(b []byte) { copy(b[eo+elementSize+8:eo+elementSize+16], b[eo+8:eo+16]) },
	} {
		t.Run(name, func(t *testing.T) {
			data := slices.Clone(f.good)
			patch(data)
			path := f.file(t, "loop-"+name+".db", data)
			requireDamaged(t, path)
		})
	}
}
