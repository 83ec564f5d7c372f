// Command mtlswb-tui is mtlswb's terminal UI, as a program of its own.
// People run `mtlswb` (or `mtlswb tui`, `mtlswb demo`), which resolves the
// workspace, checks for a terminal and starts this program in its place.
//
// Why a second program: Go initialises every package a binary links before
// main runs, and the terminal UI's libraries (Bubble Tea, lipgloss, bubbles
// and what they pull in: key tables, width tables, a clipboard-tool search of
// PATH) cost every `mtlswb send` or `mtlswb ls` a fifth of its run time when
// linked into the command-line tool. Here they cost only the TUI's start.
//
// Usage, as mtlswb calls it:
//
//	mtlswb-tui --workspace FILE
//	mtlswb-tui demo [--keep DIR]
//
// # What it owns, what it imports
//
// Only start-up: it imports tui, workspace/demo and internal/harden, and
// holds no logic of its own; the screens live in package tui.
package main
