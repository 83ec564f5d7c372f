// Package boundtoken reads OAuth 2.0 certificate-bound access tokens (RFC 8705
// §3) and says whether one is bound to a given client certificate.
//
// # What is checked, and what is not
//
// A bound token carries the SHA-256 thumbprint of the client certificate in
// its confirmation claim, cnf["x5t#S256"], as unpadded base64url. A resource
// server compares it with the certificate the client presented in the TLS
// handshake. This package does exactly that comparison and nothing more: it
// decodes the JWT without verifying its signature, so a "bound" verdict means
// "the token names this certificate", never "the token is genuine". That is
// the right tool for debugging why a resource server refuses a token; it is
// not an authorization decision.
//
// # The usual mistakes
//
// The thumbprint is the hash of the whole DER certificate (not of its public
// key), and it is base64url without padding. Authorization servers and hand
// written test tokens get the encoding wrong often enough — hex as printed by
// `openssl x509 -fingerprint -sha256`, padded or standard base64 — that Digest
// recognises those forms, so a verdict can say "right certificate, wrong
// encoding" instead of just "no match".
//
// The package uses only standard types, so the CLI, the echo server and the
// TUI share one implementation.
//
// It is part of the engine layer: it must not import workspace, tui, bbolt or
// the terminal UI libraries (see package tlsengine).
package boundtoken
