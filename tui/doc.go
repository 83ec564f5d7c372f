// Package tui is mtlswb's terminal interface: a keystore browser for
// identities and CAs, a request composer, an inspector that explains every
// attempt, and a history of attempts.
//
// # Rules for terminal output
//
// Every string that came from a certificate, a server, a file or an error
// passes through tlsengine/safetext before it reaches lipgloss. Update never
// blocks: every workspace call, dial, import and key decryption runs in a
// tea.Cmd that captures copies of what it needs, and results carry ids so a
// late answer to a cancelled request is dropped.
//
// # What it owns, what it imports
//
// The package owns what is on screen: the Bubble Tea model, its screens, keys
// and styles. It may import workspace, tlsengine and the charm.land/ libraries,
// and only cmd/mtlswb imports it. Decisions the CLI makes too (which profile,
// which identity, what a request resolves to) belong in workspace, not here.
package tui
