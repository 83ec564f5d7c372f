package main

import (
	"github.com/mtlswb/mtlswb/tui"
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
	return tui.Run(c.ctx, tui.Options{WorkspacePath: path, StartDemo: startDemo})
}
