// Package workspace is mtlswb's keystore: one bbolt file holding trusted CAs,
// client identities (chain and private key), the history of attempts and
// saved requests.
//
// # Keys at rest
//
// A passphrase goes through Argon2id (parameters stored in the file, bounded
// on read) to a key that wraps a random 32-byte master key with
// XChaCha20-Poly1305. Private keys are sealed under an HKDF subkey of the
// master key, each bound to its leaf certificate's SHA-256. Changing the
// passphrase rewraps the master key only. Certificates and the summaries
// `ls` shows stay readable without the passphrase.
//
// # Sharing the file
//
// The CLI and the TUI may run at the same time. bbolt locks the whole file
// for as long as it is open, so no handle outlives a call: every method opens
// the file (waiting at most lockTimeout for the lock), runs one transaction
// and closes it. A method that fails leaves the file as it was.
//
// # What it owns, what it imports
//
// The package owns the workspace file and everything stored in it, and turns
// names into the standard types the engine takes. It may import tlsengine and
// its subpackages; it must not import tui or the charm.land/ and charmbracelet/
// terminal libraries, so the CLI can use the keystore without the terminal UI.
// TestImportLayers in cmd/mtlswb enforces this.
package workspace
