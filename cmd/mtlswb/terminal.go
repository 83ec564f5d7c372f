package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// resetModes leaves the alternate screen and turns off what a TUI turns
// on: mouse reporting, bracketed paste, a hidden cursor.
const resetModes = "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h"

// saveTerminal records the terminal's state before the TUI changes it and
// returns what puts it back: Bubble Tea restores it on every path it
// knows, this covers the others (a panic escaping it, a forced exit after
// a signal), so the shell is never left in raw mode.
func saveTerminal(in *os.File, out io.Writer) (restore func()) {
	state, err := term.GetState(int(in.Fd()))
	if err != nil {
		return func() {}
	}
	return func() {
		term.Restore(int(in.Fd()), state)
		io.WriteString(out, resetModes)
	}
}
