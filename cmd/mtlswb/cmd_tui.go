package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"golang.org/x/term"
)

// tuiProgram is the terminal UI's program. It is not linked into mtlswb:
// Go initialises every linked package before main, and the TUI's libraries
// would cost every command a fifth of its run time (see cmd/mtlswb-tui).
const tuiProgram = "mtlswb-tui"

func cmdTUI(c *cli, args []string) error {
	fs := c.flags()
	if _, err := c.parse(fs, args, ""); err != nil {
		return err
	}
	path, err := c.path()
	if err != nil {
		return err
	}
	if err := c.needTerminal(); err != nil {
		return err
	}
	return c.startTUI("--workspace", path)
}

// needTerminal refuses to start the TUI without a terminal, with the way out,
// instead of Bubble Tea's "could not open TTY".
func (c *cli) needTerminal() error {
	in, ok1 := c.stdin.(*os.File)
	out, ok2 := c.stdout.(*os.File)
	if ok1 && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd())) {
		return nil
	}
	return usagef("the terminal UI needs a terminal, and standard input or output is not one: run it in a terminal, or use the commands (`mtlswb help`)")
}

// startTUI runs the terminal UI's program with args in place of this
// process (see execProgram).
func (c *cli) startTUI(args ...string) error {
	self, _ := os.Executable()
	prog, err := findTUI(self, exec.LookPath)
	if err != nil {
		return err
	}
	return execProgram(prog, append([]string{tuiProgram}, args...))
}

// findTUI looks for the TUI's program next to mtlswb's own executable (where
// `make build` and `go install` put both), then on PATH.
func findTUI(self string, lookPath func(string) (string, error)) (string, error) {
	name := tuiProgram
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	dir := "the directory of mtlswb"
	if self != "" {
		dir = filepath.Dir(self)
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	if p, err := lookPath(tuiProgram); err == nil {
		return p, nil
	}
	return "", &hintError{
		err: fmt.Errorf("the terminal UI is the program %s, which is neither in %s nor on PATH", tuiProgram, dir),
		hints: []string{
			"install it beside mtlswb: go install github.com/mtlswb/mtlswb/cmd/...@latest (or `make build` in a checkout)",
			"every command works without it: mtlswb help",
		},
	}
}
