package keyagent

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startAgent serves a new agent in a private dir under t's temp dir.
func startAgent(t *testing.T) (*Server, Client) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mtlswb")
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer()
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return srv, Client{Dir: dir}
}

// waitDone waits for the agent to end by itself, failing after deadline.
func waitDone(t *testing.T, srv *Server, deadline time.Duration) {
	t.Helper()
	select {
	case <-srv.Done():
	case <-time.After(deadline):
		t.Fatalf("the agent still runs after %s", deadline)
	}
}

var key32 = bytes.Repeat([]byte{0x5a}, 32)

func TestAddGetLock(t *testing.T) {
	srv, c := startAgent(t)
	if _, err := c.Get("ws1"); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("get before add: %v, want ErrNotHeld", err)
	}
	st, err := c.Add("ws1", "/w/one.db", key32, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if st.Path != "/w/one.db" || st.Idle != time.Minute || st.HardUntil.Sub(st.IdleUntil) < 58*time.Minute {
		t.Errorf("status after add: %+v", st)
	}
	if _, err := c.Add("ws2", "/w/two.db", key32, time.Minute, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get("ws1")
	if err != nil || !bytes.Equal(got, key32) {
		t.Fatalf("get = %x, %v", got, err)
	}
	if held, err := c.Lock("ws1"); !held || err != nil {
		t.Fatalf("lock ws1 = %v, %v", held, err)
	}
	if _, err := c.Get("ws1"); !errors.Is(err, ErrNotHeld) {
		t.Errorf("get after lock: %v, want ErrNotHeld", err)
	}
	entries, pid, err := c.Status()
	if err != nil || len(entries) != 1 || entries[0].ID != "ws2" || pid != os.Getpid() {
		t.Errorf("status = %+v, pid %d, %v; want ws2 only", entries, pid, err)
	}
	// Locking the last key ends the agent.
	if held, _ := c.Lock(""); !held {
		t.Error("lock all: nothing held")
	}
	waitDone(t, srv, 5*time.Second)
	if _, err := c.Get("ws2"); !errors.Is(err, ErrNoAgent) {
		t.Errorf("get after the agent ended: %v, want ErrNoAgent", err)
	}
}

func TestExpiry(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		srv, c := startAgent(t)
		if _, err := c.Add("ws", "", key32, 150*time.Millisecond, time.Hour); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		waitDone(t, srv, 5*time.Second)
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Errorf("forgotten after %s, before its idle time", d)
		}
	})
	t.Run("hard maximum despite use", func(t *testing.T) {
		srv, c := startAgent(t)
		if _, err := c.Add("ws", "", key32, time.Hour, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			// Each get renews the idle time; only the maximum ends it.
			if _, err := c.Get("ws"); err != nil {
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatal("still held 5 s after a 300 ms maximum")
			}
		}
		waitDone(t, srv, 5*time.Second)
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Errorf("forgotten after %s, before its maximum", d)
		}
	})
	t.Run("use renews the idle time", func(t *testing.T) {
		_, c := startAgent(t)
		if _, err := c.Add("ws", "", key32, 400*time.Millisecond, time.Hour); err != nil {
			t.Fatal(err)
		}
		// Past the first idle deadline, kept alive by use.
		for start := time.Now(); time.Since(start) < 800*time.Millisecond; {
			if _, err := c.Get("ws"); err != nil {
				t.Fatalf("a used key expired: %v", err)
			}
		}
	})
}

func TestOtherUIDRefused(t *testing.T) {
	srv, c := startAgent(t)
	if _, err := c.Add("ws", "", key32, time.Minute, time.Hour); err != nil {
		t.Fatal(err)
	}
	// The kernel reports our own uid; an agent that serves only another
	// one must refuse us exactly as it refuses a stranger.
	srv.mu.Lock()
	srv.uid = os.Getuid() + 1
	srv.mu.Unlock()
	_, err := c.Get("ws")
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("get from another uid: %v, want a refusal", err)
	}
}

// TestOtherUserRefusedForReal connects as nobody (uid 65534) from a child
// process, which only root can start. The socket is made reachable on
// purpose, so that only the credential check stands in the way.
func TestOtherUserRefusedForReal(t *testing.T) {
	if os.Getenv("KEYAGENT_TEST_DIAL") != "" {
		return // the child's run of this test
	}
	if os.Getuid() != 0 {
		t.Skip("starting a process as another user needs root; TestOtherUIDRefused covers the check")
	}
	srv, c := startAgent(t)
	if _, err := c.Add("ws", "", key32, time.Minute, time.Hour); err != nil {
		t.Fatal(err)
	}
	open, err := os.MkdirTemp("", "keyagent-open-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(open)
	bin := filepath.Join(open, "keyagent.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(open, "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o755)
	os.Chmod(sock, 0o777)
	go srv.Serve(&Listener{UnixListener: ln, lock: mustOpen(t, os.DevNull), path: sock})

	cmd := exec.Command(bin, "-test.run=^TestDialAsChild$")
	cmd.Env = []string{"KEYAGENT_TEST_DIAL=" + sock}
	cmd.SysProcAttr = asUser(65534)
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "refused: this key agent serves uid 0 only") {
		t.Errorf("nobody was not refused:\n%s", out)
	}
	if strings.Contains(string(out), fmt.Sprintf("%x", key32)) {
		t.Error("the key reached another user")
	}
}

// TestDialAsChild is the other user's side of TestOtherUserRefusedForReal.
func TestDialAsChild(t *testing.T) {
	sock := os.Getenv("KEYAGENT_TEST_DIAL")
	if sock == "" {
		t.Skip("run by TestOtherUserRefusedForReal")
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	defer conn.Close()
	fmt.Fprintln(conn, `{"op":"get","id":"ws"}`)
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	fmt.Printf("answer: %s\n", buf[:n])
}

func mustOpen(t *testing.T, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSecondAgentFindsTheFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mtlswb")
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := Listen(dir); !errors.Is(err, ErrRunning) {
		t.Errorf("second Listen: %v, want ErrRunning", err)
	}
	fi, err := os.Stat(SocketPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", di.Mode().Perm())
	}
}

func TestUnsafeDirRefused(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o755)
	link := filepath.Join(base, "link")
	os.Symlink(open, link)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	for name, dir := range map[string]string{"group/world bits": open, "symlink": link, "file": file} {
		t.Run(name, func(t *testing.T) {
			var unsafe *UnsafeDirError
			if _, err := Listen(dir); !errors.As(err, &unsafe) {
				t.Errorf("Listen(%s): %v, want UnsafeDirError", dir, err)
			}
			if _, err := (Client{Dir: dir}).Get("x"); !errors.As(err, &unsafe) {
				t.Errorf("Get via %s: %v, want UnsafeDirError", dir, err)
			}
		})
	}
}

func TestDir(t *testing.T) {
	uid := fmt.Sprint(os.Getuid())
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"runtime dir":          {map[string]string{"XDG_RUNTIME_DIR": "/run/user/7"}, "/run/user/7/mtlswb"},
		"relative runtime dir": {map[string]string{"XDG_RUNTIME_DIR": "run", "TMPDIR": "/var/tmp"}, "/var/tmp/mtlswb-" + uid},
		"temp dir":             {map[string]string{"TMPDIR": "/var/tmp"}, "/var/tmp/mtlswb-" + uid},
		"nothing":              {map[string]string{}, "/tmp/mtlswb-" + uid},
	}
	for name, tc := range cases {
		if got := Dir(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%s: Dir = %s, want %s", name, got, tc.want)
		}
	}
}

func TestNoAgent(t *testing.T) {
	if _, err := (Client{Dir: filepath.Join(t.TempDir(), "none")}).Get("x"); !errors.Is(err, ErrNoAgent) {
		t.Errorf("missing dir: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "mtlswb")
	os.Mkdir(dir, 0o700)
	if _, err := (Client{Dir: dir}).Get("x"); !errors.Is(err, ErrNoAgent) {
		t.Errorf("no socket: %v", err)
	}
}
