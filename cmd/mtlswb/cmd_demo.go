package main

import (
	"fmt"

	"github.com/mtlswb/mtlswb/tui"
	"github.com/mtlswb/mtlswb/workspace/demo"
)

func cmdDemo(c *cli, args []string) error {
	fs := c.flags()
	keep := fs.String("keep", "", "build the demo workspace in `DIR` and keep it after exit")
	check := fs.Bool("check", false, "no TUI: send every scenario and check each gets its expected category")
	if _, err := c.parse(fs, args, "[--keep DIR] [--check]"); err != nil {
		return err
	}
	if !*check {
		if err := c.needTerminal(); err != nil {
			return err
		}
	}
	d, err := demo.Start(*keep)
	if err != nil {
		return fmt.Errorf("start the demo: %w", err)
	}
	defer d.Close()
	if *check {
		ok, err := d.Check(c.ctx, c.stdout)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("some scenarios did not give their expected category (see above)")
		}
		fmt.Fprintf(c.stdout, "all %d scenarios gave their expected result\n", len(d.Scenarios))
		return nil
	}
	err = tui.Run(c.ctx, tui.Options{WorkspacePath: d.Path, Guide: demo.Guide})
	if *keep != "" {
		fmt.Fprintf(c.stderr, "the demo workspace is kept at %s (its servers have stopped)\n", d.Path)
	}
	return err
}

// startDemo is the TUI's first-run "open the demo" choice.
func startDemo() (string, func(), error) {
	d, err := demo.Start("")
	if err != nil {
		return "", nil, err
	}
	return d.Path, func() { d.Close() }, nil
}
