//go:build e2e

package main

// The README's first session, run exactly as written: its three sh blocks
// are typed into two real shells in tmux (the second terminal runs serve),
// in a directory laid out like the repository after `make build`, with the
// passphrase typed at each prompt.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shellBlocks returns the ```sh blocks of the README section heading.
func shellBlocks(t *testing.T, heading string) [][]string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	var blocks [][]string
	var cur []string
	in := false
	for _, l := range strings.Split(sec, "\n") {
		switch {
		case !in && l == "```sh":
			in, cur = true, nil
		case in && l == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			cur = append(cur, l)
		}
	}
	return blocks
}

// shell is one interactive bash in tmux that says "[done N]" after each
// command, so the test knows when one ended and with what status.
type shell struct {
	*tmux
	pass     string
	answered int
}

func startShell(t *testing.T, dir string, env []string, pass string) *shell {
	env = append(env, "PS1=$ ", `PROMPT_COMMAND=echo "[done $?]"`)
	sh := &shell{tmux: startTmux(t, env, 200, 50, "cd "+dir+" && exec bash --norc --noprofile"), pass: pass}
	sh.waitDone(1)
	return sh
}

// history is the whole pane, scrolled-off lines included.
func (sh *shell) history() string {
	out, _ := exec.Command("tmux", "-S", sh.socket, "capture-pane", "-p", "-J", "-S", "-", "-t", sh.session).CombinedOutput()
	return string(out)
}

// waitDone waits until n commands have finished, answering passphrase
// prompts on the way.
func (sh *shell) waitDone(n int) string {
	sh.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h := sh.history()
		if strings.Count(h, "[done ") >= n {
			return h
		}
		if prompts := strings.Count(h, "workspace passphrase: "); prompts > sh.answered {
			sh.answered = prompts
			sh.typeText(sh.pass)
			sh.keys("Enter")
		}
		if time.Now().After(deadline) {
			sh.t.Fatalf("command %d did not finish within 20s:\n%s", n, h)
		}
		exec.Command("tmux", "-S", sh.socket, "has-session", "-t", sh.session).Run()
	}
}

// run types each line as written and returns the pane after the last.
func (sh *shell) run(lines []string) string {
	sh.t.Helper()
	var h string
	for _, l := range lines {
		done := strings.Count(sh.history(), "[done ")
		sh.typeText(l)
		sh.keys("Enter")
		h = sh.waitDone(done + 1)
	}
	return h
}

func TestE2EReadmeFirstSession(t *testing.T) {
	// The session is the section's first three blocks: first terminal,
	// second terminal, first again (the import examples follow).
	blocks := shellBlocks(t, "## A first session")
	if len(blocks) < 3 {
		t.Fatalf("the first session has %d sh blocks, want 3", len(blocks))
	}
	bin := buildE2EBinary(t)
	repo := t.TempDir() // laid out as the repository after `make build`
	if err := os.Mkdir(filepath.Join(repo, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bin, filepath.Join(repo, "bin", "mtlswb")); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, "data"), "XDG_RUNTIME_DIR=" + filepath.Join(home, "run"),
		"MTLSWB_WORKSPACE=", "MTLSWB_PASSPHRASE=", "PATH=/usr/bin:/bin"}
	os.Mkdir(filepath.Join(home, "run"), 0o700)
	t.Cleanup(func() {
		exec.Command(filepath.Join(repo, "bin", "mtlswb"), "lock", "--all").Run()
	})

	first := startShell(t, repo, env, "readme-pass")
	h := first.run(blocks[0])
	if first.answered != 3 || !strings.Contains(h, "issued identity joe") {
		t.Fatalf("first block: %d passphrase prompts (want 3: init twice, unlock once):\n%s", first.answered, h)
	}

	second := startShell(t, repo, env, "readme-pass")
	for _, l := range blocks[1] {
		second.typeText(l)
		second.keys("Enter")
	}
	second.waitFor("serve started", "serving mTLS")
	if second.answered != 0 || strings.Contains(second.history(), "passphrase") {
		t.Fatalf("serve asked for the passphrase although the workspace was unlocked:\n%s", second.history())
	}

	h = first.run(blocks[2])
	for _, want := range []string{"OK  HTTP/2.0 200", "[done 0]", "client-cert-required", "[done 1]", "locked "} {
		if !strings.Contains(h, want) {
			t.Errorf("third block: %q missing:\n%s", want, h)
		}
	}
	if first.answered != 3 {
		t.Errorf("the sends asked for the passphrase (%d prompts in all)", first.answered)
	}
}
