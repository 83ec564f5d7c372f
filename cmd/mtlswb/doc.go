// Command mtlswb is the mTLS workbench: a keystore of client identities and
// CAs, a traced mTLS request engine that explains failures, and a terminal UI
// over both. With no arguments it opens the TUI; every feature is also a
// scriptable command.
//
// # What it owns, what it imports
//
// This package owns the command line: flags, exit codes, and the rendering of
// reports and errors. It may import tlsengine, workspace and workspace/demo,
// and nothing imports it. It must not import tui or the charm.land/ and
// charmbracelet/ libraries: Go initialises every linked package before main,
// and theirs would slow every command, so the terminal UI is the program
// cmd/mtlswb-tui, which `mtlswb`, `mtlswb tui` and `mtlswb demo` start in
// their place. Logic that the CLI and the TUI both need belongs in workspace
// or tlsengine, not here.
package main
