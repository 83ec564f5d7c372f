package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/workspace"
)

// Tests that need a whole process (a SIGKILL, a signal, a file size limit,
// a memory and time budget) run this test binary as mtlswb: with
// asMtlswbEnv set it runs main before the testing package looks at its
// arguments, with the cheap test KDF.
const (
	asMtlswbEnv = "MTLSWB_TEST_RUN_AS_MTLSWB"
	fsizeEnv    = "MTLSWB_TEST_RLIMIT_FSIZE"
)

func init() {
	if os.Getenv(asMtlswbEnv) != "1" {
		return
	}
	workspace.AllowWeakKDFForTests()
	if n, err := strconv.ParseUint(os.Getenv(fsizeEnv), 10, 64); err == nil {
		// A full disk without root: writes past n bytes fail with EFBIG
		// (Go ignores SIGXFSZ).
		syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
	}
	main()
}

// child is one finished mtlswb process.
type child struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	maxRSS         int64 // bytes
}

func (c child) String() string {
	return "exit " + strconv.Itoa(c.code) + "\nstdout:\n" + c.stdout + "\nstderr:\n" + c.stderr
}

// mtlswbCommand prepares this binary as mtlswb with env on top of ours.
func mtlswbCommand(env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asMtlswbEnv+"=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader("")
	return cmd
}

// runChild runs mtlswb to the end, killing it after limit.
func runChild(t *testing.T, env map[string]string, limit time.Duration, args ...string) child {
	t.Helper()
	cmd := mtlswbCommand(env, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	c := child{stdout: out.String(), stderr: errOut.String(), elapsed: time.Since(start)}
	if cmd.ProcessState != nil {
		c.code = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			c.maxRSS = int64(ru.Maxrss) << 10 // Linux reports KiB
		}
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("mtlswb %s: %v", strings.Join(args, " "), err)
	}
	return c
}
