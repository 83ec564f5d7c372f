// Package tlsengine sends one traced request (or a handshake-only probe) over
// TLS with an optional client certificate, verifies the server's chain link by
// link, and explains every failure in a fixed vocabulary of categories.
//
// An attempt runs a fixed list of phases (phases.go): resolve, connect,
// the protocol's preamble, the TLS handshake, the late-alert read and the
// protocol's exchange. The protocol comes from the URL's scheme: HTTP for
// https://, raw TLS for tls:// and for a probe (protocol.go).
//
// It takes and returns standard-library types only: it knows nothing of the
// workspace file or the terminal UI, so the CLI, the TUI and tests all share
// one Report and cannot disagree about what happened.
//
// # What it owns, what it imports
//
// The engine owns the attempt: dial, handshake, verification, the HTTP
// exchange, diagnosis and the Report. It and every package below it import the
// standard library and a few small golang.org/x and file-format libraries,
// never workspace, tui, go.etcd.io/bbolt or the charm.land/ and
// charmbracelet/ terminal libraries.
// TestImportLayers in cmd/mtlswb enforces this.
package tlsengine
