package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBoundedReads names /dev/zero to every flag that reads a file: each
// stops at its limit, fast, and says which limit.
func TestBoundedReads(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	e.vars["MTLSWB_EXPORT_PASSPHRASE"] = "export pass"
	e.ok("export", "joe", "--format", "p12", "--out", filepath.Join(e.dir, "joe.p12"))
	delete(e.vars, "MTLSWB_EXPORT_PASSPHRASE")
	certFile := e.file("joe.pem", []byte(e.ok("export", "joe", "--no-encrypt").stdout))
	for _, tc := range []struct {
		name  string
		noEnv bool // drop MTLSWB_PASSPHRASE so the file is read
		args  []string
		want  string
	}{
		{"--passphrase-file", true, []string{"export", "joe", "--no-encrypt", "--passphrase-file", "/dev/zero"}, "larger than the 4 KiB limit"},
		{"--new-passphrase-file", false, []string{"passwd", "--new-passphrase-file", "/dev/zero"}, "larger than the 4 KiB limit"},
		{"export --pass-file", false, []string{"export", "joe", "--pass-file", "/dev/zero"}, "larger than the 4 KiB limit"},
		{"import --pass-file", false, []string{"import", "--name", "again", "--pass-file", "/dev/zero", filepath.Join(e.dir, "joe.p12")}, "larger than the 4 KiB limit"},
		{"-d @FILE", false, []string{"send", "--no-profile", "-d", "@/dev/zero", "--max-body", "1M", "https://127.0.0.1:1/"}, "request body is larger than the 1 MiB limit"},
		{"-d @FILE default", false, []string{"send", "--no-profile", "-d", "@/dev/zero", "https://127.0.0.1:1/"}, "request body is larger than the 64 MiB limit"},
		{"--cert", false, []string{"send", "--cert", "/dev/zero", "--key", certFile, "https://127.0.0.1:1/"}, "10 MiB limit"},
		{"--ca", false, []string{"send", "--cert", certFile, "--key", certFile, "--ca", "/dev/zero", "https://127.0.0.1:1/"}, "10 MiB limit"},
		{"import FILE", false, []string{"import", "/dev/zero"}, "10 MiB limit"},
		{"token @FILE", false, []string{"token", "check", "@/dev/zero", "--cert", certFile}, "token"},
		{"collection import", false, []string{"collection", "import", "/dev/zero"}, "not a collection file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := e.vars["MTLSWB_PASSPHRASE"]
			if tc.noEnv {
				delete(e.vars, "MTLSWB_PASSPHRASE")
				defer func() { e.vars["MTLSWB_PASSPHRASE"] = saved }()
			}
			start := time.Now()
			r := e.run(tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit 2 and %q:\n%s", tc.want, r)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("took %v", el)
			}
		})
	}
}

// TestPassphraseFromFIFO: process substitution and FIFOs keep working with
// the bounded reads.
func TestPassphraseFromFIFO(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	fifo := filepath.Join(e.dir, "pass.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.WriteString(testPassphrase + "\n")
			f.Close()
		}
	}()
	delete(e.vars, "MTLSWB_PASSPHRASE")
	r := e.run("export", "root", "--passphrase-file", fifo)
	if r.code != 0 {
		t.Fatalf("passphrase from a FIFO:\n%s", r)
	}
}

// TestPermissionWarnings: a workspace or passphrase file others can read
// gets a warning with the chmod that fixes it, and the command still runs.
func TestPermissionWarnings(t *testing.T) {
	e := newEnv(t)
	os.Chmod(e.ws, 0o644)
	r := e.ok("ls")
	want := "warning: the workspace file " + e.ws + " is open to other users (mode 0644): run `chmod 600 " + e.ws + "`"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("ls on a 0644 workspace:\n%s\nwant %q", r, want)
	}
	os.Chmod(e.ws, 0o600)
	os.Chmod(filepath.Dir(e.ws), 0o777)
	defer os.Chmod(filepath.Dir(e.ws), 0o700)
	if r := e.ok("ls"); !strings.Contains(r.stderr, "can be written by other users (mode 0777)") {
		t.Errorf("ls in a 0777 directory:\n%s", r)
	}
	os.Chmod(filepath.Dir(e.ws), 0o755)
	if r := e.ok("ls"); r.stderr != "" {
		t.Errorf("ls in a 0755 directory warned:\n%s", r)
	}
	pass := e.file("pass.txt", []byte(testPassphrase))
	os.Chmod(pass, 0o640)
	delete(e.vars, "MTLSWB_PASSPHRASE")
	r = e.ok("pki", "ca", "root", "--cn", "Root", "--passphrase-file", pass)
	if !strings.Contains(r.stderr, "warning: the passphrase file "+pass+" is open to other users (mode 0640): run `chmod 600 "+pass+"`") {
		t.Errorf("passphrase file 0640:\n%s", r)
	}
}

// TestSignalEndsBlockedCommand: a command stuck where it cannot watch for
// cancellation (opening a FIFO nobody writes) still ends on SIGTERM, within
// the grace period, leaving the workspace as it was.
func TestSignalEndsBlockedCommand(t *testing.T) {
	e := newEnv(t)
	before := e.hash()
	fifo := filepath.Join(e.dir, "never.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := mtlswbCommand(map[string]string{"MTLSWB_WORKSPACE": e.ws, "MTLSWB_PASSPHRASE": testPassphrase}, "passwd", "--new-passphrase-file", fifo)
	var out strings.Builder
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until it is blocked in open(2) on the FIFO: /proc says so.
	deadline := time.Now().Add(10 * time.Second)
	for !blockedOn(cmd.Process.Pid) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the command never reached the FIFO")
		}
		runtime.Gosched()
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(signalGrace + 5*time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGTERM did not end the command")
	}
	if el := time.Since(start); el > signalGrace+2*time.Second {
		t.Errorf("ended %v after SIGTERM", el)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitFailed || !strings.Contains(out.String(), "interrupted") {
		t.Errorf("exit %d, stderr:\n%s", code, out.String())
	}
	if e.hash() != before {
		t.Error("the workspace changed")
	}
}

// blockedOn reports whether a thread of pid waits in open(2) for a FIFO's
// other end (the kernel's wait_for_partner).
func blockedOn(pid int) bool {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/wchan")
	for _, p := range tasks {
		if b, err := os.ReadFile(p); err == nil && (strings.Contains(string(b), "wait_for_partner") || strings.Contains(string(b), "fifo")) {
			return true
		}
	}
	return false
}
