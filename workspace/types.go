package workspace

import (
	"crypto"
	"crypto/x509"
	"time"
)

// Kind says what a record is.
type Kind string

const (
	KindCA       Kind = "ca"
	KindIdentity Kind = "identity"
)

// Entry is the public summary of a record: everything `ls` shows, readable
// without the passphrase and without parsing certificates.
type Entry struct {
	Kind      Kind      `json:"kind"`
	Name      string    `json:"name"`
	SubjectCN string    `json:"subject_cn"`
	IssuerCN  string    `json:"issuer_cn"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	KeyType   string    `json:"key_type"` // "ecdsa-p256", "rsa-2048", "ed25519"
	SHA256    string    `json:"sha256"`   // hex SHA-256 of the leaf DER
	// HasKey is true for identities and for CAs mtlswb created (they can issue).
	HasKey bool `json:"has_key"`
	// ClientAuth is true when the leaf's EKU allows client authentication
	// (clientAuth, anyExtendedKeyUsage, or no EKU at all).
	ClientAuth bool      `json:"client_auth"`
	SelfSigned bool      `json:"self_signed"`
	Labels     []string  `json:"labels,omitempty"`
	Source     string    `json:"source,omitempty"` // where it came from: a file name, "pki issue", ...
	Added      time.Time `json:"added"`
}

// Record is an entry with its certificates.
type Record struct {
	Entry
	// Chain is the leaf first, then the certificates that came with it, ordered
	// towards the root. For a CA it holds the CA certificate alone.
	Chain []*x509.Certificate
	Notes string
}

// NewRecord is what Add stores. Key is nil for a CA without a key.
type NewRecord struct {
	Kind   Kind
	Name   string
	Chain  []*x509.Certificate
	Key    crypto.Signer
	Source string
	Labels []string
	Notes  string
	// AwaitingKey stores an identity without its private key: a leaf
	// certificate imported alone, which a later import of its key
	// completes (see awaiting.go).
	AwaitingKey bool
}

// HistoryEntry is one attempt kept in the workspace. Request and Report are
// opaque JSON documents owned by the caller (the TUI and CLI store their
// request spec and a tlsengine.Report); the summary fields make browsing cheap.
type HistoryEntry struct {
	ID       uint64    `json:"id"`
	At       time.Time `json:"at"`
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	Identity string    `json:"identity"`
	OK       bool      `json:"ok"`
	Status   int       `json:"status"`
	Category string    `json:"category"`
	Request  []byte    `json:"request"`
	Report   []byte    `json:"report"`
}

// SavedRequest is a named request of the collection; Spec is the caller's
// JSON request document.
type SavedRequest struct {
	Name  string    `json:"name"`
	Spec  []byte    `json:"spec"`
	Saved time.Time `json:"saved"`
}

// RequestSpec is a request described by workspace names, as the composer,
// saved requests, history and `send` hold it. Resolve turns it into a
// tlsengine.Request.
type RequestSpec struct {
	Method      string   `json:"method,omitempty"`
	URL         string   `json:"url"`
	Headers     []string `json:"headers,omitempty"` // "Name: value"
	Body        string   `json:"body,omitempty"`
	Probe       bool     `json:"probe,omitempty"`
	Identity    string   `json:"identity,omitempty"` // empty: no client certificate
	CAs         []string `json:"cas,omitempty"`      // workspace CA names to trust
	SystemRoots bool     `json:"system_roots,omitempty"`
	ServerName  string   `json:"server_name,omitempty"`
	TLSMin      string   `json:"tls_min,omitempty"` // "1.2" or "1.3"
	TLSMax      string   `json:"tls_max,omitempty"`
	Insecure    bool     `json:"insecure,omitempty"`
	Timeout     string   `json:"timeout,omitempty"` // Go duration, e.g. "10s"
	Follow      bool     `json:"follow,omitempty"`
	Proxy       string   `json:"proxy,omitempty"`

	// What a protocol other than HTTP sends after the handshake
	// (tlsengine.Options): a saved request keeps them with its URL.
	User         string `json:"user,omitempty"`
	Database     string `json:"database,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	GRPCMethod   string `json:"grpc_method,omitempty"`
	SASLExternal bool   `json:"sasl_external,omitempty"`
}
