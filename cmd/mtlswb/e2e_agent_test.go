//go:build e2e

package main

// `mtlswb unlock` in a real terminal: the passphrase is typed once, then
// commands and a TUI session run without a prompt; after `lock` the prompt
// is back. The agent is the real binary's, in a private XDG_RUNTIME_DIR.

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestE2EUnlockOnce(t *testing.T) {
	pe := newPromptEnv(t)
	env := pe.env()
	t.Cleanup(func() { cliRun(t, pe.bin, env, "lock", "--all") })
	cliRun(t, pe.bin, append(env, "MTLSWB_PASSPHRASE=e2e-pass"), "pki", "issue", "server", "--ca", "root", "--cn", "localhost", "--server", "--dns", "localhost", "--ip", "127.0.0.1")
	addr := startServe(t, pe.bin, append(env, "MTLSWB_PASSPHRASE=e2e-pass"), "--identity", "server", "--ca", "root")

	tm := pe.shell(t, pe.bin+` unlock; echo "unlock-exit=$?"`)
	tm.waitFor("prompt", "Enter workspace passphrase:")
	tm.typeText("e2e-pass")
	tm.keys("Enter")
	tm.waitFor("unlocked", "unlocked ", "unlock-exit=0")

	// Five commands that need the key, with no terminal at all: any
	// prompt would fail them.
	cliRun(t, pe.bin, env, "pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	cliRun(t, pe.bin, env, "pki", "issue", "ann", "--ca", "root", "--cn", "ann")
	cliRun(t, pe.bin, env, "export", "ann", "--no-encrypt", "--out", filepath.Join(t.TempDir(), "ann.pem"))
	if out := cliRun(t, pe.bin, env, "send", "--identity", "joe", "--ca", "root", "https://"+addr+"/once"); !strings.Contains(out, "200") {
		t.Errorf("send with the agent's key:\n%s", out)
	}
	cliRun(t, pe.bin, env, "probe", "--identity", "joe", "--ca", "root", addr)
	if out := cliRun(t, pe.bin, env, "unlock", "--status"); !strings.Contains(out, "(this workspace)") {
		t.Errorf("status:\n%s", out)
	}

	// The TUI sends with an identity and never shows its passphrase modal.
	tui := startTmux(t, env, 120, 40, pe.bin)
	tui.waitFor("identities screen", "Client identities", "joe")
	tui.keys("3")
	tui.waitFor("composer", "Pre-flight", "URL")
	tui.keys("C-u")
	tui.typeText("https://" + addr + "/tui")
	tui.keys("Tab", "Tab", "Tab", "Right")
	tui.waitFor("identity chosen", "◂ ann ▸")
	tui.keys("Tab", "Enter")
	tui.waitFor("trust picker", "system roots", "E2E Root")
	tui.keys("Down", "Space", "Enter")
	tui.keys("C-s")
	screen := tui.waitFor("successful response", "200", "CN=ann")
	if strings.Contains(screen, "Unlock the workspace") {
		t.Error("the TUI asked for the passphrase while the agent held the key")
	}
	tui.keys("q")

	// After lock, the passphrase is asked again.
	cliRun(t, pe.bin, env, "lock")
	tm2 := pe.shell(t, pe.bin+` pki issue bob --ca root --cn bob; echo "exit=$?"`)
	tm2.waitFor("prompt again", "Enter workspace passphrase:")
	tm2.keys("C-c")
	tm2.waitFor("cancelled", "exit=130")
}
