// Command mtlswb is the mTLS workbench: a keystore of client identities and
// CAs, a traced mTLS request engine that explains failures, and a terminal UI
// over both. With no arguments it opens the TUI; every feature is also a
// scriptable command.
//
// # What it owns, what it imports
//
// This package owns the command line: flags, exit codes, and the rendering of
// reports and errors. It is the one package that may import all the others
// (tlsengine, workspace, workspace/demo, tui) and nothing imports it. Logic that
// the CLI and the TUI both need belongs in workspace or tlsengine, not here.
package main
