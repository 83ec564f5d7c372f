package workspace

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

const benchIdentities = 10_000

// reportCPU adds a cpu-ms/op metric: the process's CPU time over the timed
// loop. Call it before the loop; it reports when the benchmark ends.
func reportCPU(b *testing.B) {
	start := processCPU()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}

var (
	bigOnce    sync.Once
	bigRecs    []NewRecord
	bigGenTime time.Duration
	bigDir     string
	bigPath    string
	bigErr     error
)

// bigRecords makes 10,000 identities (and their CA) once per test binary:
// generating them takes longer than storing them.
func bigRecords(b *testing.B) []NewRecord {
	b.Helper()
	bigOnce.Do(func() {
		start := time.Now()
		root, err := pki.NewRoot(pki.Spec{CN: "Bench Root", IsCA: true})
		if err != nil {
			bigErr = err
			return
		}
		bigRecs = make([]NewRecord, 0, benchIdentities+1)
		bigRecs = append(bigRecs, caRecord("bench-root", root, true))
		for i := range benchIdentities {
			p, err := root.Issue(pki.Spec{CN: fmt.Sprintf("client %05d", i), Client: true})
			if err != nil {
				bigErr = err
				return
			}
			bigRecs = append(bigRecs, identityRecord(fmt.Sprintf("id-%05d", i), p, root.Cert))
		}
		bigGenTime = time.Since(start)
		if bigDir, bigErr = os.MkdirTemp("", "mtlswb-bench-"); bigErr != nil {
			return
		}
		bigPath = filepath.Join(bigDir, "workspace.db")
		restore := AllowWeakKDFForTests()
		defer restore()
		s, err := Create(bigPath, CreateOptions{Passphrase: testPassphrase})
		if err != nil {
			bigErr = err
			return
		}
		keys, err := s.Unlock(testPassphrase)
		if err != nil {
			bigErr = err
			return
		}
		bigErr = s.Add(keys, bigRecs)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigRecs
}

// bigStore is a workspace holding bigRecords.
func bigStore(b *testing.B) *Store {
	b.Helper()
	bigRecords(b)
	s, err := Open(bigPath)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAdd10000 stores 10,000 identities in one Add: encoding, sealing
// every key, and one committed transaction. gen-s is the (untimed) cost of
// making the 10,000 certificates and keys.
func BenchmarkAdd10000(b *testing.B) {
	recs := bigRecords(b)
	reportCPU(b)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		restore := AllowWeakKDFForTests()
		s, err := Create(filepath.Join(b.TempDir(), fmt.Sprintf("ws-%d.db", i)), CreateOptions{Passphrase: testPassphrase})
		if err != nil {
			b.Fatal(err)
		}
		keys, err := s.Unlock(testPassphrase)
		restore()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.Add(keys, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(bigGenTime.Seconds(), "gen-s")
}

func BenchmarkList10000(b *testing.B) {
	s := bigStore(b)
	reportCPU(b)
	for b.Loop() {
		list, err := s.List()
		if err != nil || len(list) != benchIdentities+1 {
			b.Fatalf("List: %d entries, %v", len(list), err)
		}
	}
}

// BenchmarkListJSON10000 is the library part of `ls --json`: Open, List and
// encoding every entry.
func BenchmarkListJSON10000(b *testing.B) {
	bigStore(b)
	reportCPU(b)
	for b.Loop() {
		s, err := Open(bigPath)
		if err != nil {
			b.Fatal(err)
		}
		list, err := s.List()
		if err != nil {
			b.Fatal(err)
		}
		if err := json.NewEncoder(io.Discard).Encode(list); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenGet(b *testing.B) {
	bigStore(b)
	reportCPU(b)
	for b.Loop() {
		s, err := Open(bigPath)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get("id-05000"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGeneration(b *testing.B) {
	s := bigStore(b)
	reportCPU(b)
	for b.Loop() {
		if _, err := s.Generation(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnlockDefaultKDF measures Unlock with DefaultKDF; the target is
// 50–250 ms on a 2-core machine.
func BenchmarkUnlockDefaultKDF(b *testing.B) {
	def := DefaultKDF
	s, err := Create(filepath.Join(b.TempDir(), "ws.db"), CreateOptions{Passphrase: testPassphrase, KDF: &def})
	if err != nil {
		b.Fatal(err)
	}
	reportCPU(b)
	for b.Loop() {
		keys, err := s.Unlock(testPassphrase)
		if err != nil {
			b.Fatal(err)
		}
		keys.Lock()
	}
}

func BenchmarkSigner(b *testing.B) {
	s := bigStore(b)
	keys, err := s.Unlock(testPassphrase)
	if err != nil {
		b.Fatal(err)
	}
	reportCPU(b)
	for b.Loop() {
		if _, err := s.Signer(keys, "id-05000"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckWalk10000 is the page walk a changed file gets before use.
func BenchmarkCheckWalk10000(b *testing.B) {
	s := bigStore(b)
	for b.Loop() {
		soundFiles.Clear()
		os.Remove(sidecar(s.Path()))
		if err := Check(s.Path()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckKnown10000 is the check of a file found sound before.
func BenchmarkCheckKnown10000(b *testing.B) {
	s := bigStore(b)
	if err := Check(s.Path()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		soundFiles.Clear()
		if err := Check(s.Path()); err != nil {
			b.Fatal(err)
		}
	}
}
