//go:build unix

package main

import "syscall"

// detached runs the agent in its own session: no terminal, so no Ctrl-C or
// hang-up from the shell that ran `unlock`.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
