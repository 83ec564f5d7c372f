// Package demo builds a throwaway workspace with a dev PKI and starts local
// scenario servers, one per way client-certificate authentication fails, so
// a newcomer can see every diagnosis before owning a single certificate.
//
// It belongs to the workspace layer: it may import workspace and tlsengine, and
// must not import tui or the terminal UI libraries; the TUI gets the demo from
// cmd/mtlswb through tui.Options.
package demo
