package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/keyagent"
)

// withAgent points e at a private agent directory and makes `unlock`
// start the agent inside the test process instead of spawning the binary.
func withAgent(t *testing.T, e *env) {
	t.Helper()
	e.vars["XDG_RUNTIME_DIR"] = filepath.Join(t.TempDir(), "run")
	saved := startAgent
	startAgent = func(dir string) error {
		ln, err := keyagent.Listen(dir)
		if err != nil {
			return err
		}
		srv := keyagent.NewServer()
		go srv.Serve(ln)
		t.Cleanup(srv.Stop)
		return nil
	}
	t.Cleanup(func() { startAgent = saved })
}

// needsPrompt reports whether r failed because it would have asked for the
// passphrase (these tests have no terminal).
func needsPrompt(r result) bool {
	return r.code == 2 && strings.Contains(r.stderr, "no terminal to ask on")
}

func TestUnlockThenNoPassphrase(t *testing.T) {
	e := newEnv(t)
	withAgent(t, e)
	e.ok("pki", "ca", "root", "--cn", "Root")
	if r := e.run("unlock", "--status"); r.code != 1 || !strings.Contains(r.stdout, "nothing is unlocked") {
		t.Errorf("status before unlock: %s", r)
	}
	r := e.ok("unlock")
	if !strings.Contains(r.stdout, "unlocked ") || !strings.Contains(r.stdout, "15m after each use") {
		t.Errorf("unlock said: %s", r)
	}

	delete(e.vars, "MTLSWB_PASSPHRASE")
	for _, args := range [][]string{
		{"pki", "issue", "joe", "--ca", "root", "--cn", "joe"},
		{"export", "joe", "--no-encrypt", "--out", filepath.Join(e.dir, "joe.pem")},
		{"rm", "joe"},
		{"import", "--name", "joe-again", filepath.Join(e.dir, "joe.pem")},
		{"pki", "issue", "ann", "--ca", "root", "--cn", "ann"},
	} {
		if r := e.run(args...); r.code != 0 {
			t.Errorf("mtlswb %s after unlock: %s", strings.Join(args, " "), r)
		}
	}
	if r := e.ok("unlock", "--status"); !strings.Contains(r.stdout, "(this workspace)") {
		t.Errorf("status after unlock: %s", r)
	}
	// Unlocking again renews without asking.
	e.ok("unlock", "--for", "1h")

	r = e.ok("lock")
	if !strings.Contains(r.stdout, "locked ") {
		t.Errorf("lock said: %s", r)
	}
	if r := e.run("pki", "issue", "bob", "--ca", "root", "--cn", "bob"); !needsPrompt(r) {
		t.Errorf("after lock the passphrase must be asked again: %s", r)
	}
	if r := e.ok("lock"); !strings.Contains(r.stdout, "was not unlocked") {
		t.Errorf("second lock: %s", r)
	}
}

func TestUnlockExpires(t *testing.T) {
	e := newEnv(t)
	withAgent(t, e)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.ok("unlock", "--for", "300ms")
	delete(e.vars, "MTLSWB_PASSPHRASE")
	// Status does not count as a use, so polling it does not keep the
	// key alive.
	deadline := time.Now().Add(10 * time.Second)
	for e.run("unlock", "--status").code == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the key was still held 10s after a 300ms unlock")
		}
	}
	if r := e.run("pki", "issue", "x", "--ca", "root", "--cn", "x"); !needsPrompt(r) {
		t.Errorf("after expiry the passphrase must be asked again: %s", r)
	}
}

func TestUnlockFlags(t *testing.T) {
	e := newEnv(t)
	withAgent(t, e)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"unlock", "--for", "0s"}, "positive duration"},
		{[]string{"unlock", "--max", "48h"}, "longer than the 24h0m0s"},
		{[]string{"unlock", "--for", "2h", "--max", "1h"}, "--for 2h0m0s is longer than --max 1h0m0s"},
	} {
		if r := e.run(tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want exit 2 and %q: %s", tc.args, tc.want, r)
		}
	}
	nopass := &env{t: t, dir: t.TempDir(), vars: map[string]string{"XDG_RUNTIME_DIR": e.vars["XDG_RUNTIME_DIR"]}}
	nopass.ws = filepath.Join(nopass.dir, "ws.db")
	nopass.ok("init", "--no-passphrase")
	if r := nopass.ok("unlock"); !strings.Contains(r.stdout, "has no passphrase") {
		t.Errorf("unlock without passphrase: %s", r)
	}
}

func TestWords(t *testing.T) {
	for d, want := range map[time.Duration]string{15 * time.Minute: "15m", 8 * time.Hour: "8h", 90 * time.Second: "1m30s", 300 * time.Millisecond: "0s"} {
		if got := words(d); got != want {
			t.Errorf("words(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestNoPromptWithoutKey: commands that need no private key never ask for
// the passphrase, and neither does a send that fails before the handshake.
func TestNoPromptWithoutKey(t *testing.T) {
	e := newEnv(t)
	withAgent(t, e)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	e.ok("pki", "ca", "other", "--cn", "Other")
	otherPEM := e.file("other.pem", []byte(e.ok("export", "other").stdout))
	e.ok("rm", "other")
	delete(e.vars, "MTLSWB_PASSPHRASE")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{
		{"import", "--as", "ca", "--name", "other", otherPEM},
		{"ls"},
		{"show", "joe"},
		{"which", "https://example.test/"},
		{"unlock", "--status"}, // exit 1: nothing unlocked, and no prompt either
	} {
		if r := e.run(args...); needsPrompt(r) || r.code == 2 {
			t.Errorf("mtlswb %s asked for the passphrase: %s", strings.Join(args, " "), r)
		}
	}
	r := e.run("send", "--identity", "joe", "--ca", "root", "https://"+closed+"/")
	if needsPrompt(r) || r.code != 1 || !strings.Contains(r.stdout, "connection-refused") {
		t.Errorf("send to a closed port must report the refusal, not ask: %s", r)
	}
}
