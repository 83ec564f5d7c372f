package workspace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// The tests below need a second process: bbolt's lock is a flock, which a
// goroutine of the same process would not contend for in the same way, and a
// crash is only real when the whole process dies. The test binary re-runs
// itself with -test.run=^TestHelperProcess$ and helperEnv naming what to do.
const (
	helperEnv     = "MTLSWB_WORKSPACE_TEST_HELPER"
	helperPathEnv = "MTLSWB_WORKSPACE_TEST_PATH"
)

// TestHelperProcess is the child's side; run normally it returns at once.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	path := os.Getenv(helperPathEnv)
	var err error
	switch mode {
	case "hold", "hold-read":
		err = helperHold(path, mode == "hold-read")
	case "add":
		err = helperAdd(path)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// helperHold keeps the bbolt file open (and so locked) until stdin closes.
func helperHold(path string, readOnly bool) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, ReadOnly: readOnly})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return db.Close()
}

// helperAdd adds batches of identities forever, printing a line after each
// committed Add, until it is killed.
func helperAdd(path string) error {
	s, err := Open(path)
	if err != nil {
		return err
	}
	keys, err := s.Unlock(testPassphrase)
	if err != nil {
		return err
	}
	ca, err := pki.NewRoot(pki.Spec{CN: "Crash Root", IsCA: true})
	if err != nil {
		return err
	}
	pid := os.Getpid()
	for i := 0; ; i++ {
		n := 1 + i%4
		recs := make([]NewRecord, n)
		for j := range recs {
			p, err := ca.Issue(pki.Spec{CN: fmt.Sprintf("c%d-%d-%d", pid, i, j), Client: true})
			if err != nil {
				return err
			}
			recs[j] = identityRecord(fmt.Sprintf("p%d-%d-%d", pid, i, j), p, ca.Cert)
		}
		if err := s.Add(keys, recs); err != nil {
			return err
		}
		fmt.Printf("added %d %s\n", n, strings.Join(names(recs), " "))
	}
}

func names(recs []NewRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Name
	}
	return out
}

// helper starts the test binary as a helper process in mode on path.
func helper(t *testing.T, mode, path string) (cmd *exec.Cmd, stdin io.WriteCloser, lines *bufio.Scanner) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stdin, bufio.NewScanner(stdout)
}

// holderPID is the pid a BusyError should name: only Linux can find it.
func holderPID(cmd *exec.Cmd) int {
	if runtime.GOOS != "linux" {
		return 0
	}
	return cmd.Process.Pid
}

func waitLine(t *testing.T, lines *bufio.Scanner, want string) {
	t.Helper()
	if !lines.Scan() {
		t.Fatalf("helper exited before saying %q: %v", want, lines.Err())
	}
	if got := lines.Text(); got != want {
		t.Fatalf("helper said %q, want %q", got, want)
	}
}

func TestBusyWhileAnotherProcessWrites(t *testing.T) {
	f := newFixture(t, true)
	cmd, stdin, lines := helper(t, "hold", f.s.Path())
	waitLine(t, lines, "ready")

	amy := mustIssue(t, f.root, clientSpec("amy"))
	ops := map[string]func() error{
		"Open":       func() error { _, err := Open(f.s.Path()); return err },
		"Add":        func() error { return f.s.Add(f.keys, []NewRecord{identityRecord("amy", amy)}) },
		"Generation": func() error { _, err := f.s.Generation(); return err },
	}
	// Each op waits out the lock timeout; in parallel they take one timeout.
	t.Run("ops", func(t *testing.T) {
		for name, op := range ops {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				err := op()
				elapsed := time.Since(start)
				var busy *BusyError
				if !errors.As(err, &busy) {
					t.Fatalf("%s = %v, want *BusyError", name, err)
				}
				if busy.PID != holderPID(cmd) || busy.Reading {
					t.Errorf("BusyError = %+v, want PID %d writing", busy, holderPID(cmd))
				}
				// The holder is this test binary, not mtlswb, and the
				// message says so (the name comes from /proc/PID/comm).
				want := fmt.Sprintf("workspace is busy: another program, %s (pid %d), is writing %s; wait for it to finish or close it", filepath.Base(os.Args[0]), holderPID(cmd), f.s.Path())
				if runtime.GOOS != "linux" {
					want = fmt.Sprintf("workspace is busy: another mtlswb is writing %s; wait for it to finish or close it", f.s.Path())
				}
				if err.Error() != want {
					t.Errorf("message = %q\nwant      %q", err.Error(), want)
				}
				if elapsed > 2500*time.Millisecond {
					t.Errorf("%s took %v to report busy, want <= 2.5s", name, elapsed)
				}
			})
		}
	})

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if err := f.s.Add(f.keys, []NewRecord{identityRecord("amy", amy)}); err != nil {
		t.Fatalf("Add after the other process closed: %v", err)
	}
}

func TestReaderBlocksWritersOnly(t *testing.T) {
	f := newFixture(t, true)
	cmd, stdin, lines := helper(t, "hold-read", f.s.Path())
	waitLine(t, lines, "ready")

	if _, err := f.s.List(); err != nil {
		t.Fatalf("List beside a reader: %v", err)
	}
	var busy *BusyError
	err := f.s.Rename("joe", "joseph")
	if !errors.As(err, &busy) || busy.PID != holderPID(cmd) || busy.Reading != (runtime.GOOS == "linux") {
		t.Fatalf("Rename beside a reader = %v, want BusyError naming pid %d reading", err, cmd.Process.Pid)
	}
	stdin.Close()
	cmd.Wait()
}

func TestBusyMessage(t *testing.T) {
	for _, tc := range []struct {
		err  BusyError
		want string
	}{
		{BusyError{Path: "/w.db"}, "workspace is busy: another mtlswb is writing /w.db; wait for it to finish or close it"},
		{BusyError{Path: "/w.db", PID: 7, Program: "mtlswb"}, "workspace is busy: another mtlswb (pid 7) is writing /w.db; wait for it to finish or close it"},
		{BusyError{Path: "/w.db", PID: 7, Program: "bbolt", Reading: true}, "workspace is busy: another program, bbolt (pid 7), is reading /w.db; wait for it to finish or close it"},
		{BusyError{Path: "/w.db", PID: 7, Program: "\x1b]0;x\a"}, "workspace is busy: another program, ^[]0;x^G (pid 7), is writing /w.db; wait for it to finish or close it"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("message = %q\nwant      %q", got, tc.want)
		}
	}
}

// TestCrashSafety SIGKILLs a process in the middle of its Adds, again and
// again, and checks after each kill that the file is consistent, that every
// Add the child reported as done survived, and that every key decrypts.
func TestCrashSafety(t *testing.T) {
	kills := 32
	if testing.Short() {
		kills = 8
	}
	s, keys := newStore(t, true)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var acked []string
	for i := range kills {
		cmd, _, lines := helper(t, "add", s.Path())
		// Kill after a random number of committed Adds; the kill then lands
		// somewhere inside the next one (encoding, writing pages, fsync).
		want := 1 + rng.IntN(6)
		for n := 0; n < want; n++ {
			if !lines.Scan() {
				t.Fatalf("kill %d: helper stopped after %d Adds: %v", i, n, lines.Err())
			}
			fields := strings.Fields(lines.Text())
			acked = append(acked, fields[2:]...)
		}
		// Spin a random while so kills spread over the whole Add, commit and
		// fsync included, rather than always landing at the same point.
		spin := 0
		for range rng.IntN(2_000_000) {
			spin++
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		if err := checkFile(s.Path()); err != nil {
			t.Fatalf("kill %d: consistency check: %v", i, err)
		}
		if _, err := Open(s.Path()); err != nil {
			t.Fatalf("kill %d: Open: %v", i, err)
		}
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool, len(list))
	for _, e := range list {
		have[e.Name] = true
		if _, err := s.Signer(keys, e.Name); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
	}
	for _, name := range acked {
		if !have[name] {
			t.Errorf("%s was reported added but is missing after the kills", name)
		}
	}
	t.Logf("%d kills, %d acknowledged records, %d in the workspace", kills, len(acked), len(list))
}
