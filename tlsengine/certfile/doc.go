// Package certfile reads certificates and private keys from the files people
// bring, whatever their format, and writes the common export formats.
//
// # Reading
//
// The format is detected from the content, never the file name: PEM (any
// number of blocks, in any order, with any text around them, as
// `openssl x509 -text` writes), DER certificates and keys (PKCS#1, SEC1,
// PKCS#8), encrypted PKCS#8 (PBES2), legacy OpenSSL `Proc-Type: 4,ENCRYPTED`
// keys, PKCS#12 (modern AES/PBKDF2 and legacy RC2/3DES), PKCS#7 certificate
// bundles and bare base64 of any of the binary forms. A passphrase is asked for
// only when a file turns out to be encrypted, and at most once per file.
//
// Files are untrusted input: every key-derivation cost is bounded before any
// work is done (a crafted file must not hang the import), and every string
// that reaches an error message is sanitized for the terminal.
//
// # Grouping
//
// Group pairs keys with their certificates and builds each identity's chain
// from the other certificates; what is left over is a CA.
//
// # Writing
//
// EncodePEM, EncodeCertsPEM, EncodeP12 and JWK write what other tools read.
//
// The package knows nothing of the workspace: standard-library types in and out.
//
// It is part of the engine layer: it must not import workspace, tui, bbolt or
// the terminal UI libraries (see package tlsengine).
package certfile
