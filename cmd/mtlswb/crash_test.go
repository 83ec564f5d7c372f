package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

// TestKillDuringWrites SIGKILLs mtlswb processes at random moments of every
// writing command, 300 times (MTLSWB_STRESS_KILLS for more, as `make
// stress` does), and after each kill requires a sound file (bbolt's own
// check included), every record readable with its key, and no temporary
// copy left once the next command has run.
func TestKillDuringWrites(t *testing.T) {
	kills := 300
	if n, err := strconv.Atoi(os.Getenv("MTLSWB_STRESS_KILLS")); err == nil {
		kills = n
	} else if testing.Short() {
		kills = 50
	}
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Kill Root")
	e.ok("pki", "issue", "id-01", "--ca", "root", "--cn", "one")
	root, err := pki.NewRoot(pki.Spec{CN: "Import Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	var imports []string
	for i := range 8 {
		p := mustPair(t)(root.Issue(pki.Spec{CN: fmt.Sprintf("imp %d", i), Client: true}))
		imports = append(imports, e.file(fmt.Sprintf("imp-%d.pem", i), append(certPEM(p.Cert), keyPEM(t, p)...)))
	}
	passphrases := []string{testPassphrase, "the other passphrase"}
	current := 0
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 31))
	commands := []func(i int) []string{
		func(i int) []string {
			return []string{"pki", "issue", fmt.Sprintf("k-%d", i), "--ca", "root", "--cn", fmt.Sprintf("k %d", i)}
		},
		func(i int) []string { return []string{"rm", fmt.Sprintf("k-%d", rng.IntN(max(i, 0)+1))} },
		func(i int) []string {
			return []string{"rename", fmt.Sprintf("k-%d", rng.IntN(max(i, 0)+1)), fmt.Sprintf("r-%d", i)}
		},
		func(i int) []string { return []string{"passwd"} },
		func(i int) []string {
			return []string{"import", "--name", fmt.Sprintf("imp-%d", i), imports[rng.IntN(len(imports))]}
		},
		func(i int) []string {
			return []string{"profile", "add", fmt.Sprintf("p-%d", i), "--host", fmt.Sprintf("h%d.example", i), "--identity", "id-01"}
		},
		func(i int) []string {
			return []string{"send", "--identity", "id-01", "--timeout", "1s", "https://127.0.0.1:1/"}
		},
	}
	vars := func() map[string]string {
		return map[string]string{
			"MTLSWB_WORKSPACE":      e.ws,
			"MTLSWB_PASSPHRASE":     passphrases[current],
			"MTLSWB_NEW_PASSPHRASE": passphrases[1-current],
		}
	}
	// How long each command takes here, start-up included: the kills are
	// spread over that time, so they land in unlocking, the write and its
	// fsyncs as much as in start-up. A passwd run here swaps passphrases.
	took := make([]time.Duration, len(commands))
	for j, c := range commands {
		r := runChild(t, vars(), 10*time.Second, c(-1-j)...)
		took[j] = r.elapsed
		if c(0)[0] == "passwd" && r.code == 0 {
			current = 1 - current
		}
	}
	finished := 0
	for i := range kills {
		j := rng.IntN(len(commands))
		args := commands[j](i)
		cmd := mtlswbCommand(vars(), args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(took[j])*6/5 + 1))
		timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
		if cmd.Wait() == nil {
			finished++
		}
		timer.Stop()

		d, err := workspace.Examine(e.ws)
		if err != nil {
			t.Fatalf("kill %d (%v): %v", i, args, err)
		}
		if err := d.CheckKeys([]byte(passphrases[current])); errors.Is(err, workspace.ErrWrongPassphrase) {
			current = 1 - current // the killed passwd got as far as its rename
			err = d.CheckKeys([]byte(passphrases[current]))
		}
		if err != nil {
			t.Fatalf("kill %d (%v): unlock: %v", i, args, err)
		}
		if !d.Healthy() {
			t.Fatalf("kill %d (%v): the workspace is not sound: %+v", i, args, d.Diagnosis)
		}
		e.vars["MTLSWB_PASSPHRASE"] = passphrases[current]
		e.ok("ls")
		if l := leftovers(t, filepath.Dir(e.ws)); len(l) > 0 {
			t.Fatalf("kill %d (%v): temporary files left after the next command: %v", i, args, l)
		}
	}
	t.Logf("%d kills; %d commands finished before theirs; command times %v", kills, finished, took)
}
