// Package pki makes the certificates of a development PKI: roots,
// intermediates and leaves for clients and servers. The workspace's
// `pki` commands, the demo and every test build their certificates here, so
// expired, not-yet-valid, wrong-usage and wrong-issuer cases are one field
// change away from a good one.
//
// It owns certificate generation and is part of the engine layer: it must not
// import workspace, tui, bbolt or the terminal UI libraries (see package
// tlsengine), so the workspace, the demo and tests can all use it.
package pki
