package main

import (
	"os"

	"golang.org/x/term"

	"github.com/mtlswb/mtlswb/tui"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/demo"
)

func cmdTUI(c *cli, args []string) error {
	fs := c.flags()
	if _, err := c.parse(fs, args, ""); err != nil {
		return err
	}
	path, err := c.path()
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		// A missing workspace is the first-run screen's; a wrong file is not.
		if err := checkWorkspacePath(path, false); err != nil {
			return err
		}
	}
	if err := c.needTerminal(); err != nil {
		return err
	}
	// A damaged workspace is said before the screen is taken over.
	if workspace.Exists(path) {
		if err := workspace.Check(path); err != nil {
			return err
		}
	}
	restore := saveTerminal(c.stdin.(*os.File), c.stdout)
	defer atForcedExit(restore)()
	defer func() {
		if r := recover(); r != nil {
			restore()
			panic(r)
		}
	}()
	return tui.Run(c.ctx, tui.Options{WorkspacePath: path, StartDemo: startDemo, DemoGuide: demo.Guide,
		AgentKeys: c.agentKeysQuiet,
		AgentLock: func(s *workspace.Store) { c.agent().Lock(s.ID()) },
	})
}

// needTerminal refuses to start the TUI without a terminal, with the way out,
// instead of Bubble Tea's "could not open TTY"; and on TERM=dumb, which
// cannot move the cursor, instead of filling it with escape sequences.
func (c *cli) needTerminal() error {
	if c.getenv("TERM") == "dumb" {
		return usagef("the terminal UI needs a terminal that can move the cursor, and TERM=dumb cannot: use the commands instead (`mtlswb help`; `mtlswb send URL --identity NAME` sends a request), or run it in a full terminal")
	}
	in, ok1 := c.stdin.(*os.File)
	out, ok2 := c.stdout.(*os.File)
	if ok1 && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd())) {
		return nil
	}
	return usagef("the terminal UI needs a terminal, and standard input or output is not one: run it in a terminal, or use the commands (`mtlswb help`)")
}
