// Package safetext makes untrusted text safe to print on a terminal.
//
// Certificate subjects, server headers and bodies, file contents and error
// strings quoting them are attacker-controlled. A terminal acts on escape
// sequences in them (OSC 52 writes the clipboard, CSI 2J clears the screen,
// CSI 6n types into stdin), and lipgloss passes them through verbatim; ansi.Strip
// keeps CR, BS and C1 controls. So every such string goes through this one
// function before it reaches a terminal, and what was hidden becomes visible.
//
// It imports the standard library only: every other package, the engine
// included, depends on it.
package safetext
