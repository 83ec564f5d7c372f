package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leftovers lists the temporary files (ours are dot-files with a tag and
// a pid) in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), ".new-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// TestExportNeverLeaks: a clear-key export replaces what is there only
// with --force, always as a new 0600 file, never through a link, never
// over a directory.
func TestExportNeverLeaks(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	export := func(out string, force bool) result {
		args := []string{"export", "joe", "--no-encrypt", "--out", out}
		if force {
			args = append(args, "--force")
		}
		return e.run(args...)
	}

	t.Run("existing 0644 file", func(t *testing.T) {
		out := e.file("open.pem", []byte("OLD"))
		os.Chmod(out, 0o644)
		if r := export(out, false); r.code != exitUsage || !strings.Contains(r.stderr, "already exists") {
			t.Fatalf("without --force:\n%s", r)
		}
		if b, _ := os.ReadFile(out); string(b) != "OLD" {
			t.Fatal("the file changed without --force")
		}
		if r := export(out, true); r.code != 0 {
			t.Fatalf("with --force:\n%s", r)
		}
		if m := mode(t, out); m.Perm() != 0o600 || !m.IsRegular() {
			t.Errorf("mode after --force = %v, want -rw-------", m)
		}
		if b, _ := os.ReadFile(out); !strings.Contains(string(b), "PRIVATE KEY") {
			t.Error("the export is not in the file")
		}
	})

	t.Run("planted symlink", func(t *testing.T) {
		victim := e.file("victim.txt", []byte("VICTIM"))
		link := filepath.Join(e.dir, "link.pem")
		os.Symlink(victim, link)
		if r := export(link, false); r.code != exitUsage {
			t.Fatalf("without --force over a link:\n%s", r)
		}
		if r := export(link, true); r.code != 0 {
			t.Fatalf("with --force:\n%s", r)
		}
		if b, _ := os.ReadFile(victim); string(b) != "VICTIM" {
			t.Fatal("the export was written through the link")
		}
		if m := mode(t, link); !m.IsRegular() || m.Perm() != 0o600 {
			t.Errorf("the link was not replaced by a 0600 file: %v", m)
		}
	})

	t.Run("directory at the target", func(t *testing.T) {
		d := filepath.Join(e.dir, "adir")
		os.Mkdir(d, 0o700)
		r := export(d, true)
		if r.code == 0 || !strings.Contains(r.stderr, "is a directory") {
			t.Fatalf("export over a directory:\n%s", r)
		}
		if !mode(t, d).IsDir() {
			t.Fatal("the directory was replaced")
		}
	})

	t.Run("disk full", func(t *testing.T) {
		out := e.file("full.pem", []byte("OLD"))
		vars := map[string]string{"MTLSWB_WORKSPACE": e.ws, "MTLSWB_PASSPHRASE": testPassphrase, fsizeEnv: "512"}
		c := runChild(t, vars, 10*time.Second, "export", "joe", "--no-encrypt", "--out", out, "--force")
		if c.code != exitFailed || !strings.Contains(c.stderr, "file too large") {
			t.Fatalf("export onto a full disk:\n%s", c)
		}
		if b, _ := os.ReadFile(out); string(b) != "OLD" {
			t.Fatal("a failed write destroyed the old file")
		}
		if l := leftovers(t, e.dir); len(l) > 0 {
			t.Fatalf("temporary files left: %v", l)
		}
	})
	if l := leftovers(t, e.dir); len(l) > 0 {
		t.Fatalf("temporary files left: %v", l)
	}
}

// TestRewriteThroughSymlinkedWorkspace: passwd on a workspace reached
// through a symlink rewrites the real file, and the link keeps working.
func TestRewriteThroughSymlinkedWorkspace(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	real := e.ws
	link := filepath.Join(e.dir, "link.db")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	e.ws = link
	e.vars["MTLSWB_NEW_PASSPHRASE"] = "new passphrase"
	e.ok("passwd")
	if m := mode(t, link); m&os.ModeSymlink == 0 {
		t.Fatalf("passwd replaced the link with %v", m)
	}
	if m := mode(t, real); m.Perm() != 0o600 {
		t.Fatalf("the rewritten file has mode %v", m)
	}
	e.vars["MTLSWB_PASSPHRASE"] = "new passphrase"
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	e.ws = real
	e.ok("export", "joe", "--no-encrypt")
	if l := leftovers(t, filepath.Dir(real)); len(l) > 0 {
		t.Fatalf("temporary files left: %v", l)
	}
}

// TestRewriteOnFullDisk: a passwd whose rewrite cannot be written leaves
// the workspace as it was, old passphrase and all, and no copy behind.
func TestRewriteOnFullDisk(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	before := e.hash()
	fi, _ := os.Stat(e.ws)
	vars := map[string]string{"MTLSWB_WORKSPACE": e.ws, "MTLSWB_PASSPHRASE": testPassphrase,
		"MTLSWB_NEW_PASSPHRASE": "new", fsizeEnv: strconv.FormatInt(fi.Size()/2, 10)}
	c := runChild(t, vars, 10*time.Second, "passwd")
	if c.code != exitFailed {
		t.Fatalf("passwd on a full disk:\n%s", c)
	}
	if e.hash() != before {
		t.Fatal("the workspace changed")
	}
	e.ok("export", "root")
	if l := leftovers(t, filepath.Dir(e.ws)); len(l) > 0 {
		t.Fatalf("temporary files left: %v", l)
	}
}

// TestStaleTempFilesCleaned: a copy a killed process left (its pid in the
// name, that pid gone) is removed by the next command; a live process's is
// kept.
func TestStaleTempFilesCleaned(t *testing.T) {
	e := newEnv(t)
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	alive := exec.Command(os.Args[0], "-test.run=^TestHelperBlock$")
	alive.Env = append(os.Environ(), "MTLSWB_TEST_BLOCK=1")
	stdin, _ := alive.StdinPipe()
	if err := alive.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); alive.Wait() }()
	dir, base := filepath.Split(e.ws)
	stale := filepath.Join(dir, "."+base+".new-"+strconv.Itoa(dead.Process.Pid)+"-0123456789ab")
	live := filepath.Join(dir, "."+base+".new-"+strconv.Itoa(alive.Process.Pid)+"-0123456789ab")
	for _, p := range []string{stale, live} {
		if err := os.WriteFile(p, []byte("sealed keystore copy"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.ok("ls")
	if _, err := os.Stat(stale); err == nil {
		t.Error("the dead process's copy is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live process's copy was removed: %v", err)
	}
	r := e.ok("doctor")
	if strings.Contains(r.stdout, "removed") {
		t.Errorf("doctor removed a live process's file:\n%s", r)
	}
}

// TestHelperBlock is a process that lives until its stdin closes.
func TestHelperBlock(t *testing.T) {
	if os.Getenv("MTLSWB_TEST_BLOCK") != "1" {
		return
	}
	var b [1]byte
	os.Stdin.Read(b[:])
}
