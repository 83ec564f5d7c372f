//go:build e2e

package main

// Passphrase prompts in a real terminal: Ctrl-C and Ctrl-D cancel (exit
// 130, nothing changed, the terminal restored), a wrong passphrase may be
// typed again, and a command in the background refuses at once instead of
// stopping on SIGTTIN.

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// promptEnv is a workspace whose passphrase only a prompt can give.
type promptEnv struct {
	t   *testing.T
	bin string
	ws  string
}

func newPromptEnv(t *testing.T) *promptEnv {
	t.Helper()
	pe := &promptEnv{t: t, bin: buildE2EBinary(t), ws: filepath.Join(t.TempDir(), "ws.db")}
	cliRun(t, pe.bin, pe.env("MTLSWB_PASSPHRASE=e2e-pass"), "init")
	cliRun(t, pe.bin, pe.env("MTLSWB_PASSPHRASE=e2e-pass"), "pki", "ca", "root", "--cn", "E2E Root")
	return pe
}

func (pe *promptEnv) env(extra ...string) []string {
	return append([]string{"MTLSWB_WORKSPACE=" + pe.ws, "XDG_RUNTIME_DIR=" + filepath.Dir(pe.ws)}, extra...)
}

func (pe *promptEnv) hash() [32]byte {
	pe.t.Helper()
	b, err := os.ReadFile(pe.ws)
	if err != nil {
		pe.t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// shell runs script in tmux; `cat` at the end keeps the pane open and shows
// whether the terminal echoes again.
func (pe *promptEnv) shell(t *testing.T, script string) *tmux {
	return startTmux(t, pe.env(), 220, 30, fmt.Sprintf("bash -c '%s; cat'", script))
}

func TestE2EPromptCancel(t *testing.T) {
	pe := newPromptEnv(t)
	for _, key := range []string{"C-c", "C-d"} {
		t.Run(key, func(t *testing.T) {
			before := pe.hash()
			tm := pe.shell(t, pe.bin+` pki issue joe --ca root --cn joe; echo "exit=$?"`)
			tm.waitFor("prompt", "Enter workspace passphrase:")
			tm.typeText("half-typ")
			tm.keys(key)
			screen := tm.waitFor("cancelled", "cancelled", "exit=130")
			if strings.Contains(screen, "issued") || strings.Contains(screen, "error") {
				t.Errorf("a cancelled prompt printed more than \"cancelled\":\n%s", screen)
			}
			// What is typed now reaches cat, echoed: the terminal is
			// back in its normal mode and the command is gone.
			tm.typeText("typed-after")
			tm.keys("Enter")
			tm.waitFor("echo restored", "typed-after\ntyped-after")
			if pe.hash() != before {
				t.Error("a cancelled command changed the workspace")
			}
		})
	}
}

func TestE2EPromptRetries(t *testing.T) {
	pe := newPromptEnv(t)
	t.Run("wrong then right", func(t *testing.T) {
		tm := pe.shell(t, pe.bin+` pki issue joe --ca root --cn joe; echo "exit=$?"`)
		tm.waitFor("prompt", "Enter workspace passphrase:")
		tm.typeText("nope")
		tm.keys("Enter")
		tm.waitForCount("second try", "Enter workspace passphrase:", 2)
		tm.typeText("e2e-pass")
		tm.keys("Enter")
		tm.waitFor("issued", "exit=0")
	})
	t.Run("three wrong", func(t *testing.T) {
		before := pe.hash()
		tm := pe.shell(t, pe.bin+` pki issue ann --ca root --cn ann; echo "exit=$?"`)
		for i := 1; i <= 3; i++ {
			tm.waitForCount("prompt", "Enter workspace passphrase:", i)
			tm.typeText(fmt.Sprintf("wrong-%d", i))
			tm.keys("Enter")
		}
		tm.waitFor("gave up", "3 typed passphrases did not unlock", "exit=2")
		if pe.hash() != before {
			t.Error("three wrong passphrases changed the workspace")
		}
	})
}

func TestE2EPromptInBackground(t *testing.T) {
	pe := newPromptEnv(t)
	// set -m gives the background job its own process group, as an
	// interactive shell does for `cmd &`.
	tm := pe.shell(t, `set -m; `+pe.bin+` pki issue joe --ca root --cn joe & wait $!; echo "exit=$?"`)
	tm.waitFor("refused at once", "runs in the background", "mtlswb unlock", "MTLSWB_PASSPHRASE", "--passphrase-file", "exit=2")
}

// waitForCount polls the screen until s shows at least n times: the n-th
// prompt of a command that asks again.
func (tm *tmux) waitForCount(what, s string, n int) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		screen := tm.screen()
		if strings.Count(screen, s) >= n {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%s: %q did not show %d times within 15s:\n%s", what, s, n, screen)
		}
		exec.Command("tmux", "-S", tm.socket, "has-session", "-t", tm.session).Run()
	}
}
