// Package keyagent keeps unlocked workspace master keys in a per-user
// process, so the passphrase (and Argon2id's 70–170 ms) is paid once per
// session instead of once per command, as ssh-agent and rbw-agent do.
//
// # What it guarantees
//
//   - The socket lives in a directory only its user can enter:
//     $XDG_RUNTIME_DIR/mtlswb, else <temp dir>/mtlswb-<uid>, created 0700 and
//     refused when another user owns it or others may enter it. The socket
//     itself is 0600.
//   - Both ends check the other's credentials (SO_PEERCRED on Linux,
//     LOCAL_PEERCRED on macOS): the agent answers only its own uid, and a
//     client talks only to an agent of its own uid.
//   - Keys live in memory only (locked against swap where the system
//     allows); nothing is written anywhere. Lock, expiry and exit wipe them,
//     as far as Go lets memory be wiped.
//   - A key is forgotten after an idle time (each use renews it) and, used
//     or not, at a hard maximum. The agent exits when it holds no key.
//
// # Protocol
//
// One JSON request line per connection, one JSON response line back. The
// agent knows nothing of workspaces: a key is opaque bytes under an id.
package keyagent

import (
	"errors"
	"time"
)

// Defaults of `mtlswb unlock`.
const (
	DefaultIdle = 15 * time.Minute
	DefaultMax  = 8 * time.Hour
	// MaxLifetime caps any key's hard maximum: a forgotten agent must
	// not hold a key for days.
	MaxLifetime = 24 * time.Hour
)

var (
	// ErrNoAgent: no agent is running for this user.
	ErrNoAgent = errors.New("no key agent is running")
	// ErrNotHeld: the agent runs but does not hold that key.
	ErrNotHeld = errors.New("the key agent does not hold this workspace's key")
	// ErrRunning: Listen found another agent serving the directory.
	ErrRunning = errors.New("a key agent is already running")
)

// Status is what the agent says about one key it holds.
type Status struct {
	ID   string `json:"id"`
	Path string `json:"path"`
	// Idle is how long an unused key is kept; IdleUntil when it goes
	// unless used again; HardUntil when it goes whatever happens.
	Idle      time.Duration `json:"idle"`
	IdleUntil time.Time     `json:"idle_until"`
	HardUntil time.Time     `json:"hard_until"`
}

// Until is when the key goes if it is not used again.
func (s Status) Until() time.Time {
	if s.HardUntil.Before(s.IdleUntil) {
		return s.HardUntil
	}
	return s.IdleUntil
}

type request struct {
	Op   string        `json:"op"` // add, get, lock, status
	ID   string        `json:"id,omitempty"`
	Path string        `json:"path,omitempty"`
	Key  []byte        `json:"key,omitempty"`
	Idle time.Duration `json:"idle,omitempty"`
	Max  time.Duration `json:"max,omitempty"`
}

type response struct {
	Err     string   `json:"err,omitempty"`
	Held    bool     `json:"held,omitempty"`
	Key     []byte   `json:"key,omitempty"`
	Entries []Status `json:"entries,omitempty"`
	PID     int      `json:"pid,omitempty"`
}

// maxMessage bounds a request or response line; a key is 32 bytes.
const maxMessage = 64 << 10
