// Package certinfo describes a certificate the way `mtlswb show` and the TUI's
// detail pane present it: every field a person debugging client
// authentication looks for, already sanitized for the terminal.
//
// It owns the wording of certificate fields for every front end, and is part of
// the engine layer: it must not import workspace, tui, bbolt or the terminal UI
// libraries (see package tlsengine).
package certinfo
