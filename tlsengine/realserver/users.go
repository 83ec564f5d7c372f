package realserver

import (
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestUser is the unprivileged account daemons that refuse root run as when
// the tests run as root. It has no home and no shell.
const TestUser = "mtlswb-test"

// account is who a daemon runs as: the current user, or TestUser as root.
type account struct {
	name     string
	uid, gid uint32
	root     bool // the tests run as root, so the daemon runs as TestUser
}

var (
	accountOnce sync.Once
	accountVal  account
	accountErr  string
)

// runAs returns the account unprivileged daemons run as, creating TestUser
// with useradd the first time it is needed as root.
func runAs(t testing.TB) account {
	t.Helper()
	accountOnce.Do(func() {
		if os.Geteuid() != 0 {
			u, err := user.Current()
			if err != nil {
				accountErr = "who am I: " + err.Error()
				return
			}
			accountVal = account{name: u.Username, uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}
			return
		}
		u, err := user.Lookup(TestUser)
		if err != nil {
			out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TestUser).CombinedOutput()
			// Exit status 9: another test binary created it meanwhile.
			if err != nil && !strings.Contains(string(out), "already exists") {
				accountErr = "create the test user " + TestUser + " (daemons refuse to run as root): useradd: " + err.Error() + ": " + string(out)
				return
			}
			if u, err = user.Lookup(TestUser); err != nil {
				accountErr = "look up " + TestUser + ": " + err.Error()
				return
			}
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		accountVal = account{name: u.Username, uid: uint32(uid), gid: uint32(gid), root: true}
	})
	if accountErr != "" {
		t.Fatal(accountErr)
	}
	return accountVal
}

// credential makes cmd run as a; nothing to change when a is the current
// user.
func (a account) credential(cmd *exec.Cmd) *exec.Cmd {
	if a.root {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid}
	}
	return cmd
}

// give hands dir and everything in it to a, and lets a traverse (not list)
// the directories above it up to the system temp dir: t.TempDir makes them
// 0700 for the user running the tests.
func (a account) give(t testing.TB, dir string) {
	t.Helper()
	if !a.root {
		return
	}
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(a.uid), int(a.gid))
	})
	if err != nil {
		t.Fatal(err)
	}
	top := filepath.Clean(os.TempDir())
	for p := filepath.Dir(dir); strings.HasPrefix(p, top+string(filepath.Separator)); p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, fi.Mode().Perm()|0o111); err != nil {
			t.Fatal(err)
		}
	}
}
