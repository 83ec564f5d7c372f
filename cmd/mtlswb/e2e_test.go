//go:build e2e

package main

// The real-terminal end-to-end test: the built binary runs in tmux, driven
// with send-keys and read with capture-pane, against a temp workspace and a
// local `mtlswb serve`. Every wait polls the screen until a deadline.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmux is one tmux session running the TUI.
type tmux struct {
	t       *testing.T
	session string
	socket  string
}

func startTmux(t *testing.T, env []string, width, height int, command string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for the end-to-end test: run scripts/ensure-tools.sh")
	}
	tm := &tmux{t: t, session: "mtlswb-e2e", socket: filepath.Join(t.TempDir(), "tmux.sock")}
	args := []string{"-S", tm.socket, "new-session", "-d", "-s", tm.session, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, command)
	tm.cmd(args...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last screen:\n%s", tm.screen())
		}
		exec.Command("tmux", "-S", tm.socket, "kill-server").Run()
	})
	return tm
}

func (tm *tmux) cmd(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (tm *tmux) screen() string {
	out, _ := exec.Command("tmux", "-S", tm.socket, "capture-pane", "-p", "-t", tm.session).CombinedOutput()
	return string(out)
}

// keys sends tmux key names ("Enter", "C-s", "Escape") or literal text.
func (tm *tmux) keys(keys ...string) {
	tm.t.Helper()
	tm.cmd(append([]string{"send-keys", "-t", tm.session}, keys...)...)
}

// typeText sends text literally (no key-name lookup).
func (tm *tmux) typeText(s string) {
	tm.t.Helper()
	tm.cmd("send-keys", "-t", tm.session, "-l", s)
}

// waitFor polls the screen until every want is on it.
func (tm *tmux) waitFor(what string, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := tm.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%s: %q did not appear on screen within 15s:\n%s", what, missing, s)
		}
		// Poll the terminal, not a timer: each capture-pane is a real wait
		// for tmux, and the loop ends at the deadline.
		exec.Command("tmux", "-S", tm.socket, "has-session", "-t", tm.session).Run()
	}
}

// cliRun runs the built binary as the user would in another terminal.
func cliRun(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mtlswb %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `mtlswb serve` and waits until it says it is serving.
func startServe(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "serving mTLS") {
				ready <- nil
				for sc.Scan() {
				}
				return
			}
		}
		ready <- fmt.Errorf("serve exited before serving")
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start within 10s")
	}
	return addr
}

func buildE2EBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mtlswb")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestE2ETUI(t *testing.T) {
	bin := buildE2EBinary(t)
	dir := t.TempDir()
	env := []string{"MTLSWB_WORKSPACE=" + filepath.Join(dir, "ws.db"), "MTLSWB_PASSPHRASE=e2e-pass"}
	cliRun(t, bin, env, "init")
	cliRun(t, bin, env, "pki", "ca", "root", "--cn", "E2E Root")
	cliRun(t, bin, env, "pki", "issue", "server", "--ca", "root", "--cn", "localhost", "--server", "--dns", "localhost", "--ip", "127.0.0.1")
	cliRun(t, bin, env, "pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	addr := startServe(t, bin, env, "--identity", "server", "--ca", "root")
	url := "https://" + addr + "/e2e"

	// The TUI gets no passphrase from the environment: it must ask.
	tm := startTmux(t, []string{"MTLSWB_WORKSPACE=" + filepath.Join(dir, "ws.db")}, 120, 40, bin)
	tm.waitFor("identities screen", "Client identities", "joe", "server")

	// The CLI in another terminal keeps working while the TUI is open, and
	// the TUI shows what it did without a restart.
	cliRun(t, bin, env, "pki", "issue", "newcomer", "--ca", "root", "--cn", "newcomer")
	tm.waitFor("identity added by the CLI", "newcomer")

	// Filter, then open the detail.
	tm.keys("/")
	tm.typeText("jo")
	tm.waitFor("filtered list", "1/1")
	tm.keys("Enter") // ends editing the filter
	tm.keys("Enter") // opens the detail
	tm.waitFor("identity detail", "x5t#S256", "CN=joe")

	// Compose and send a request that succeeds. (No Escape before a key:
	// a terminal reads ESC followed quickly by "3" as alt+3.)
	tm.keys("3")
	tm.waitFor("composer", "Pre-flight", "URL")
	tm.keys("C-u")
	tm.typeText(url)
	tm.keys("Tab", "Tab", "Tab", "Right")
	tm.waitFor("identity chosen", "◂ joe ▸")
	tm.keys("Tab", "Enter")
	tm.waitFor("trust picker", "system roots", "E2E Root")
	tm.keys("Down", "Space", "Enter")
	tm.waitFor("trust chosen", "root  (enter")
	tm.keys("C-s")
	tm.waitFor("passphrase prompt", "Unlock the workspace")
	tm.typeText("e2e-pass")
	tm.keys("Enter")
	tm.waitFor("successful response", "200", "CN=joe")

	// The same request without an identity fails, and the Verdict says why.
	tm.keys("3")
	tm.waitFor("back in the composer", "Pre-flight")
	tm.keys("BTab", "Left")
	tm.waitFor("no identity", "◂ (none) ▸")
	tm.keys("C-s")
	tm.waitFor("verdict of the failure", "Verdict", "client-cert-required")

	// Both attempts are in History.
	tm.keys("4")
	tm.waitFor("history", "client-cert-required", "200")
	tm.keys("q")

	// A damaged workspace (cut short, as an interrupted copy leaves it):
	// the TUI names the damage and exits 1 before taking the screen, no
	// stack trace, and the terminal is left in cooked mode.
	good, err := os.ReadFile(filepath.Join(dir, "ws.db"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.db")
	os.WriteFile(cut, good[:len(good)/2], 0o600)
	dm := startTmux(t, []string{"MTLSWB_WORKSPACE=" + cut}, 120, 40,
		bin+`; echo "exit=$?"; stty -a | tr ' ' '\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo; exec cat`)
	screen := dm.waitFor("damaged workspace", "workspace damaged: ", "exit=1", "icanon echo")
	if strings.Contains(screen, "goroutine") || strings.Contains(screen, "panic") {
		t.Fatalf("a stack trace on a damaged workspace:\n%s", screen)
	}
}
