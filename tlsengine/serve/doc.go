// Package serve is mtlswb's mTLS echo server: it answers every request with
// JSON describing the client certificate it received, and logs one line per
// connection saying why a handshake failed.
//
// crypto/tls verifies the client certificates, so the alerts clients see are
// exactly what a Go server sends; the server handshakes each connection
// itself, before net/http sees it, to capture the reason for the log.
//
// With Config.BoundTokens it also plays an RFC 8705 resource server: a
// request must carry a bearer JWT whose cnf["x5t#S256"] names the client
// certificate of its connection. It decodes the token without verifying its
// signature (anyone can make a token that passes), because its job is to
// show why a real resource server would refuse a token, not to guard one.
//
// It is part of the engine layer: it must not import workspace, tui, bbolt or
// the terminal UI libraries (see package tlsengine).
package serve
