// Package boundtokentest makes JWT access tokens for tests, the way
// net/http/httptest makes servers: header.payload.signature with base64url
// JSON, and a signature that is not a signature. boundtoken never verifies
// signatures, so these tokens exercise exactly what it checks.
//
// It belongs to the engine layer like boundtoken: no workspace, tui, bbolt or
// terminal UI libraries.
package boundtokentest
