package main

import (
	"fmt"

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
		// The demo's servers run in the terminal UI's process, for as long
		// as it is open.
		if err := c.needTerminal(); err != nil {
			return err
		}
		if *keep != "" {
			return c.startTUI("demo", "--keep", *keep)
		}
		return c.startTUI("demo")
	}
	d, err := demo.Start(*keep)
	if err != nil {
		return fmt.Errorf("start the demo: %w", err)
	}
	defer d.Close()
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
