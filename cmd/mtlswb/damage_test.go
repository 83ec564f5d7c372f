//go:build unix

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/workspace/damagetest"
)

// damagedCommands is every command that reads or writes the workspace, as a
// user would type it against the fixture of damagedWorkspace.
func damagedCommands(dir string) [][]string {
	return [][]string{
		{"ls"}, {"ls", "--json"}, {"show", "id-01"}, {"show", "root", "--json"},
		{"export", "id-01", "--no-encrypt"}, {"export", "id-02", "--format", "jwks"},
		{"rm", "id-03"}, {"rename", "id-04", "renamed"}, {"passwd"},
		{"import", filepath.Join(dir, "extra.pem")},
		{"pki", "issue", "new", "--ca", "root", "--cn", "new"}, {"pki", "ca", "root2", "--cn", "Root 2"},
		{"profile", "ls"}, {"profile", "add", "p2", "--host", "p2.example", "--identity", "id-01"},
		{"env", "ls"}, {"which", "https://api.example/"},
		{"send", "--identity", "id-01", "--timeout", "1s", "https://127.0.0.1:1/"},
		{"collection", "export"}, {"backup", filepath.Join(dir, "backup.db")},
		{"init"},
	}
}

// damagedWorkspace makes the fixture: a CA, eight identities, a profile;
// it returns the good file's bytes and the environment to run in.
func damagedWorkspace(t *testing.T) (*env, []byte) {
	t.Helper()
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Damage Root")
	for i := 1; i <= 8; i++ {
		e.ok("pki", "issue", fmt.Sprintf("id-%02d", i), "--ca", "root", "--cn", fmt.Sprintf("client %d", i))
	}
	e.ok("profile", "add", "api", "--host", "api.example", "--identity", "id-01")
	extra := e.ok("export", "id-05", "--no-encrypt").stdout
	e.file("extra.pem", []byte(extra))
	e.vars["MTLSWB_NEW_PASSPHRASE"] = "another passphrase"
	good, err := os.ReadFile(e.ws)
	if err != nil {
		t.Fatal(err)
	}
	return e, good
}

// requireDamageReported runs every command as its own process on a damaged
// workspace: each must exit 1 with the damaged-workspace message and no
// stack trace, within 5 s and 200 MB, leaving the file as it was.
func requireDamageReported(t *testing.T, e *env, ws string, cmds [][]string) {
	t.Helper()
	before, _ := os.ReadFile(ws)
	vars := map[string]string{"MTLSWB_WORKSPACE": ws}
	for k, v := range e.vars {
		vars[k] = v
	}
	for _, args := range cmds {
		c := runChild(t, vars, 10*time.Second, args...)
		name := strings.Join(args, " ")
		switch {
		case c.code != exitFailed:
			t.Errorf("mtlswb %s: exit %d, want 1\n%s", name, c.code, c)
		case !strings.Contains(c.stderr, "mtlswb: error: workspace damaged: "):
			t.Errorf("mtlswb %s: no damaged-workspace message\n%s", name, c)
		case strings.Contains(c.stderr+c.stdout, "goroutine ") || strings.Contains(c.stderr, "panic"):
			t.Errorf("mtlswb %s: stack trace\n%s", name, c)
		}
		if c.elapsed > 5*time.Second {
			t.Errorf("mtlswb %s took %v", name, c.elapsed)
		}
		if c.maxRSS > 200<<20 {
			t.Errorf("mtlswb %s used %d MB", name, c.maxRSS>>20)
		}
	}
	if after, _ := os.ReadFile(ws); string(after) != string(before) {
		t.Errorf("the damaged file changed")
	}
}

// TestDamagedWorkspaceCommands: a directory, a FIFO, an empty file, a
// symlink loop and a link to /dev/zero at the workspace path, and the
// workspace cut at every page boundary below its last page.
func TestDamagedWorkspaceCommands(t *testing.T) {
	e, good := damagedWorkspace(t)
	dir := t.TempDir()
	cmds := damagedCommands(e.dir)
	for name, path := range damagetest.SpecialPaths(t, dir) {
		if name == "directory" {
			// Issue 11: a directory is the user's mistake, not damage:
			// its own message and exit 2 (TestWorkspacePathMistakes).
			continue
		}
		t.Run(name, func(t *testing.T) {
			vars := map[string]string{"MTLSWB_WORKSPACE": path}
			for k, v := range e.vars {
				vars[k] = v
			}
			for _, args := range append(cmds, []string{"doctor"}) {
				c := runChild(t, vars, 10*time.Second, args...)
				all := c.stdout + c.stderr
				if c.code != exitFailed || !strings.Contains(all, "workspace damaged: ") && !strings.Contains(all, "DAMAGED") {
					t.Errorf("mtlswb %s: want exit 1 and the damage named\n%s", strings.Join(args, " "), c)
				}
				if strings.Contains(all, "goroutine ") || c.elapsed > 5*time.Second || c.maxRSS > 200<<20 {
					t.Errorf("mtlswb %s: %v, %d MB\n%s", strings.Join(args, " "), c.elapsed, c.maxRSS>>20, c)
				}
			}
		})
	}
	// Page size and page count from the header, as bbolt writes it.
	ps := int(nativeUint32(good[24:]))
	pages := int(nativeUint64(good[16+40:]))
	if m1 := good[ps:]; nativeUint64(m1[16+48:]) > nativeUint64(good[16+48:]) {
		pages = int(nativeUint64(m1[16+40:]))
	}
	// Every boundary with a few commands each; the whole list on a sample.
	for n := 0; n < pages; n++ {
		t.Run(fmt.Sprintf("cut-at-page-%d", n), func(t *testing.T) {
			ws := filepath.Join(dir, fmt.Sprintf("cut-%d.db", n))
			os.WriteFile(ws, good[:n*ps], 0o600)
			some := [][]string{{"ls"}, {"show", "id-01"}, {"passwd"}, {"import", filepath.Join(e.dir, "extra.pem")}}
			if n%5 == 2 {
				some = cmds
			}
			requireDamageReported(t, e, ws, some)
		})
	}
}

func nativeUint32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func nativeUint64(b []byte) uint64 { return uint64(nativeUint32(b)) | uint64(nativeUint32(b[4:]))<<32 }

// TestByteFlipCommands runs every command in-process on 200 seeded
// one-byte flips of the workspace: none may panic or hang, and a command
// that fails must leave the file as it was.
func TestByteFlipCommands(t *testing.T) {
	e, good := damagedWorkspace(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MTLSWB_FLIP_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (set MTLSWB_FLIP_SEED to replay)", seed)
	rng := rand.New(rand.NewPCG(seed, 29))
	ps := int(nativeUint32(good[24:]))
	pages := int(nativeUint64(good[16+40:]))
	cmds := damagedCommands(e.dir)
	damaged := 0
	for i := range 200 {
		data := slices.Clone(good)
		// Pages in use only: most of a fresh file is free pages.
		off := rng.IntN(pages * ps)
		if i%2 == 0 {
			off = off/ps*ps + rng.IntN(160) // the header and first entries
		}
		data[off] ^= byte(1 + rng.IntN(255))
		if err := os.WriteFile(e.ws, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for j, args := range cmds {
			if i%4 != 0 && j >= 6 {
				break // the writing commands fsync: a quarter of the files get them
			}
			before, _ := os.ReadFile(e.ws)
			start := time.Now()
			r := e.run(args...)
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("flip %d at %d: %s took %v", i, off, strings.Join(args, " "), el)
			}
			if strings.Contains(r.stderr, "workspace damaged") {
				damaged++
			}
			if after, _ := os.ReadFile(e.ws); r.code != 0 && string(after) != string(before) && args[0] != "init" {
				t.Errorf("flip %d at %d: %s failed but changed the file\n%s", i, off, strings.Join(args, " "), r)
			}
		}
	}
	t.Logf("%d command runs reported a damaged workspace", damaged)
}

// TestDoctorRepairCLI: doctor names the damage and exits 1, --repair
// writes a sound workspace with the readable records, same passphrase,
// keeping the damaged file beside it.
func TestDoctorRepairCLI(t *testing.T) {
	e, good := damagedWorkspace(t)
	r := e.ok("doctor")
	if !strings.Contains(r.stdout, "The workspace is healthy.") || !strings.Contains(r.stdout, "every private key was decrypted") {
		t.Fatalf("doctor on a sound workspace:\n%s", r)
	}
	// Cut the file short: the last pages (and their records) are lost,
	// the rest must come back.
	ps := int(nativeUint32(good[24:]))
	pages := int(nativeUint64(good[16+40:]))
	os.WriteFile(e.ws, good[:(pages-1)*ps], 0o600)
	r = e.run("doctor")
	if r.code != exitFailed || !strings.Contains(r.stdout, "DAMAGED: the file is") {
		t.Fatalf("doctor on a cut file:\n%s", r)
	}
	r = e.ok("doctor", "--repair")
	if !strings.Contains(r.stdout, "repaired: a new workspace with") {
		t.Fatalf("doctor --repair:\n%s", r)
	}
	asides, _ := filepath.Glob(e.ws + ".damaged-*")
	if len(asides) != 1 {
		t.Fatalf("damaged copies beside the workspace: %v", asides)
	}
	if fi, err := os.Stat(e.ws); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("repaired file: %v, %v", fi.Mode(), err)
	}
	e.ok("doctor")
	e.ok("ls")
	for name := range e.list() {
		if rec := e.run("show", name); rec.code != 0 {
			t.Errorf("show %s after repair:\n%s", name, rec)
		}
	}
}
