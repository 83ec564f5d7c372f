// Package tlstest does for mTLS tests what net/http/httptest does for HTTP:
// a ready-made PKI, the mtlswb echo server and real `openssl s_server` peers
// on 127.0.0.1, and misbehaving listeners (one that never answers, one that
// speaks plain HTTP). Everything it starts stops in t.Cleanup.
//
// It is part of the engine layer, so the engine's own tests can use it: it must
// not import workspace, tui, bbolt or the terminal UI libraries (see package
// tlsengine).
package tlstest
