package tlsengine

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/revocation"
)

// Request describes one attempt. URL is an https:// URL for a request (or
// another scheme of Schemes: tls://host:port stops after the handshake), or
// host:port (or a URL, whose host and protocol are used) when Probe is set.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	Probe  bool

	// ClientCert is the certificate (leaf first, then chain) and key to present;
	// nil presents none. ClientName names it in messages ("identity `joe`").
	ClientCert *tls.Certificate
	ClientName string

	// Roots are the trust anchors the server chain must lead to. RootNames
	// names them for hints. SystemRoots adds the operating system's roots.
	Roots       []*x509.Certificate
	RootNames   []string
	SystemRoots bool

	ServerName string // SNI and name checked; empty: the URL's host
	MinVersion uint16 // tls.VersionTLS12 when zero
	MaxVersion uint16 // tls.VersionTLS13 when zero
	Insecure   bool   // record verification but do not fail on it
	Timeout    time.Duration
	// Explain lets the diagnosis make a second, handshake-only attempt
	// with TLS 1.2 when a TLS 1.3 server closed without saying why; a probe
	// always may.
	Explain bool
	Follow  bool   // follow redirects (reported, not followed, otherwise)
	Proxy   string // http://host:port for an HTTP CONNECT proxy
	// Routes dial other addresses than the URL's (curl's --resolve and
	// --connect-to): the URL's host stays the server name and Host header.
	// The first route that matches an address wins. BodyTo receives the
	// whole response body. See curlopts.go.
	Routes []Route
	BodyTo io.Writer
	// MaxResponse is how much of an HTTP response body is read without
	// BodyTo (0: 64 MiB); a longer body is cut, flagged and warned about.
	MaxResponse int64

	// Candidates are the other identities the user has; diagnosis names the ones
	// the server would accept. KnownCAs are CAs the user has but did not trust
	// for this request; diagnosis names one that would verify the server.
	Candidates []NamedChain
	KnownCAs   []NamedChain

	// CRLs are CRL files or http(s) URLs to check the client certificate
	// against (--crl), besides its own distribution points and OCSP
	// responder.
	CRLs []string
	// RevocationCache keeps fetched CRLs and OCSP responses across
	// attempts, each while it is current; nil keeps them for this attempt.
	RevocationCache revocation.Cache
	// Offline: fetch nothing on the user's behalf (no missing server
	// intermediate from its AIA URL, no CRL, no OCSP). Files still count.
	Offline bool
	// Options is what a protocol other than HTTP sends after the
	// handshake, where it has a say; each protocol refuses the options it
	// does not use.
	Options Options
}

// NamedChain is a certificate chain (leaf first) known to the caller by name.
type NamedChain struct {
	Name  string
	Chain []*x509.Certificate
}

// Report is everything one attempt showed. Its JSON form is the CLI's --json
// output and what history stores.
//
// Fields that hold data from the server or a certificate hold it exactly,
// so that JSON loses nothing: the HTTP headers, location and body, the
// names in ServerChain and ClientCertSent (subjects, issuers, SANs),
// AcceptableCAs, and the Application's code, message and next. A
// renderer passes them through safetext before a terminal sees them. The
// sentences mtlswb writes (summaries, details, hints, evidence, warnings,
// verdicts, problems, the verification error) quote such data already
// sanitized: they are meant to be read as they are.
type Report struct {
	OK       bool        `json:"ok"`
	Request  RequestInfo `json:"request"`
	Failure  *Failure    `json:"failure"`
	Timing   Timing      `json:"timing"`
	TLS      TLSInfo     `json:"tls"`
	HTTP     *HTTPInfo   `json:"http"`
	Warnings []string    `json:"warnings"`
	// Application is the answer of a protocol other than HTTP, when its
	// exchange got one.
	Application *Application `json:"application,omitempty"`
	// Retry is a TLS 1.2 retry the diagnosis made (a probe, or send
	// --explain) when a TLS 1.3 server closed without saying why.
	Retry *Retry `json:"retry,omitempty"`
	// Unjudged is set on a probe (or tls://) whose handshake completed
	// although the server has not judged the client certificate at the TLS
	// layer: it asked for one and accepted none, or one that does not fit
	// its request. Only the application's answer (send) tells the verdict.
	Unjudged *Unjudged `json:"unjudged,omitempty"`
	// Identities says, for every candidate identity, whether the server's
	// CertificateRequest would have accepted it and why not.
	Identities []IdentityVerdict `json:"identities,omitempty"`
	StartedAt  time.Time         `json:"started_at"`
}

// RequestInfo echoes what was attempted, so a saved report stands alone.
type RequestInfo struct {
	Method   string `json:"method,omitempty"`
	URL      string `json:"url"`
	Probe    bool   `json:"probe,omitempty"`
	Identity string `json:"identity,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
	// Options are the protocol options sent (user, database...), with
	// the defaults the protocol chose filled in.
	Options *Options `json:"options,omitempty"`
	// Route says which address was dialled instead of the URL's, and by
	// which flag; SNI and Host stayed the URL's.
	Route string `json:"route,omitempty"`
}

// Retry is what a handshake-only retry with TLS 1.2 at most showed.
type Retry struct {
	MaxVersion string   `json:"max_version"`
	OK         bool     `json:"ok"`
	Category   Category `json:"category,omitempty"`
	Alert      int      `json:"alert,omitempty"`
	Summary    string   `json:"summary,omitempty"`
}

// Unjudged says why a completed handshake is no verdict on the client
// certificate, and how to get one.
type Unjudged struct {
	Summary string   `json:"summary"`
	Hints   []string `json:"hints"`
}

// Failure is the diagnosis of a failed attempt: the category, summary,
// detail and hints of the best-ranked cause, and every cause the evidence
// supports in Causes.
type Failure struct {
	Phase    Phase    `json:"phase"`
	Category Category `json:"category"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail"`
	Hints    []string `json:"hints"`
	// Alert is the TLS alert number received, 0 when none.
	Alert int `json:"alert,omitempty"`
	// Causes are the explanations the evidence supports, best first (by
	// confidence, then by how specific the rule is); the first is this
	// Failure's category. Empty for a request that could not be attempted.
	Causes []Cause `json:"causes,omitempty"`
}

// Phase says where an attempt stopped.
type Phase string

const (
	// PhaseSetup is a request that could not be attempted at all (see
	// Request.Validate); nothing was sent.
	PhaseSetup     Phase = "setup"
	PhaseDNS       Phase = "dns"
	PhaseConnect   Phase = "connect"
	PhaseHandshake Phase = "handshake"
	PhaseRequest   Phase = "request"
	PhaseResponse  Phase = "response"
)

// PhasePreamble comes between PhaseConnect and PhaseHandshake: what a
// protocol says in plain text before TLS (STARTTLS, PostgreSQL's
// SSLRequest). "starttls" is the word openssl's s_client uses for them all.
const PhasePreamble Phase = "starttls"

// Category is the fixed vocabulary of failures.
type Category string

const (
	DNSFailure              Category = "dns-failure"
	ConnectionRefused       Category = "connection-refused"
	ConnectTimeout          Category = "connect-timeout"
	HandshakeTimeout        Category = "handshake-timeout"
	ConnectionReset         Category = "connection-reset"
	NotTLS                  Category = "not-tls"
	ServerCertUntrusted     Category = "server-cert-untrusted"
	ServerCertExpired       Category = "server-cert-expired"
	ServerCertNotYetValid   Category = "server-cert-not-yet-valid"
	ServerHostnameMismatch  Category = "server-hostname-mismatch"
	ServerChainIncomplete   Category = "server-chain-incomplete"
	ClientCertRequired      Category = "client-cert-required"
	ClientCertUnknownCA     Category = "client-cert-unknown-ca"
	ClientCertExpired       Category = "client-cert-expired"
	ClientCertRevoked       Category = "client-cert-revoked"
	ClientCertWrongUsage    Category = "client-cert-wrong-usage"
	ClientCertRejected      Category = "client-cert-rejected"
	ProtocolVersionMismatch Category = "protocol-version-mismatch"
	NoSharedCipher          Category = "no-shared-cipher"
	HTTPUnauthorized        Category = "http-unauthorized"
	HTTPForbidden           Category = "http-forbidden"
	HTTPError               Category = "http-error"

	// InvalidRequest: Run was given a Request that Validate rejects (bad URL,
	// method, version range, proxy...). Phase is PhaseSetup; nothing was sent.
	// Callers should call Validate first and treat its error as a usage error.
	InvalidRequest Category = "invalid-request"
	// Canceled: the caller's context was canceled (not timed out).
	Canceled Category = "canceled"
	// TLSError: a TLS failure that fits no other category (an alert such as
	// unrecognized_name or no_application_protocol, a local handshake error).
	// Detail carries the alert name or error.
	TLSError Category = "tls-error"
)

// Categories lists the vocabulary in a stable order (docs, tests).
var Categories = []Category{
	DNSFailure, ConnectionRefused, ConnectTimeout, HandshakeTimeout, ConnectionReset, NotTLS,
	ServerCertUntrusted, ServerCertExpired, ServerCertNotYetValid, ServerHostnameMismatch, ServerChainIncomplete,
	ClientCertRequired, ClientCertUnknownCA, ClientCertExpired, ClientCertRevoked, ClientCertWrongUsage, ClientCertRejected,
	ProtocolVersionMismatch, NoSharedCipher, HTTPUnauthorized, HTTPForbidden, HTTPError,
	InvalidRequest, Canceled, TLSError,
}

// Timing holds phase durations in milliseconds; a phase not reached is 0.
// DNS, connect (including a proxy's CONNECT), the preamble ("starttls_ms",
// absent for protocols that have none) and TLS time the last connection
// made; RequestSent runs from the connection being ready to the request
// written; TTFB from the request written to the first response byte (the
// server's think time); Total is the whole attempt, body included.
type Timing struct {
	DNSMs         float64 `json:"dns_ms"`
	ConnectMs     float64 `json:"connect_ms"`
	PreambleMs    float64 `json:"starttls_ms,omitempty"`
	TLSMs         float64 `json:"tls_ms"`
	RequestSentMs float64 `json:"request_sent_ms"`
	TTFBMs        float64 `json:"ttfb_ms"`
	// ExchangeMs is a protocol other than HTTP talking after the handshake
	// (PostgreSQL's startup, an SMTP EHLO, the wait for a TLS 1.3 verdict):
	// it has no request and first byte of its own to time.
	ExchangeMs float64 `json:"exchange_ms,omitempty"`
	TotalMs    float64 `json:"total_ms"`
}

// TLSInfo is what the handshake showed.
type TLSInfo struct {
	Version             string   `json:"version"`
	CipherSuite         string   `json:"cipher_suite"`
	ALPN                string   `json:"alpn"`
	ServerName          string   `json:"server_name"`
	Resumed             bool     `json:"resumed"`
	OCSPStapled         bool     `json:"ocsp_stapled"`
	ClientCertRequested bool     `json:"client_cert_requested"`
	AcceptableCAs       []string `json:"acceptable_cas"`
	// SignatureSchemes are the schemes the server's certificate request
	// allows, by their IANA names (rsa_pss_rsae_sha256, ed25519).
	SignatureSchemes []string `json:"signature_schemes"`
	// ClientCertRequestedBy is "renegotiation" when the server asked for
	// the client certificate by renegotiating after the handshake (TLS 1.2:
	// Apache's per-directory SSLVerifyClient), which the attempt accepted;
	// empty when it asked in the handshake.
	ClientCertRequestedBy string       `json:"client_cert_requested_by,omitempty"`
	ClientCertSent        *CertSummary `json:"client_cert_sent"`
	ClientCertNote        string       `json:"client_cert_note,omitempty"`
	// ClientCertRevocation is the revocation status of the identity sent
	// (its issuer's CRL, OCSP), when it was checked: with --crl, or when a
	// rejection without a reason made it worth checking.
	ClientCertRevocation *revocation.Status `json:"client_cert_revocation,omitempty"`
	ServerChain          []ChainLink        `json:"server_chain"`
	Verification         Verification       `json:"verification"`
}

// CertSummary identifies a certificate.
type CertSummary struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	SHA256  string `json:"sha256"`
}

// ChainLink is one certificate of the server's chain with its own verdict.
type ChainLink struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DNSNames  []string  `json:"dns_names"`
	// IPAddresses, URIs and EmailAddresses are the certificate's other
	// subject alternative names (an IP SAN is what a server dialled by
	// address is verified against; a URI SAN may be a SPIFFE ID).
	IPAddresses    []string `json:"ip_addresses,omitempty"`
	URIs           []string `json:"uris,omitempty"`
	EmailAddresses []string `json:"email_addresses,omitempty"`
	SHA256         string   `json:"sha256"`
	// Verdict is "ok" or the first problem found with this link, in words.
	Verdict string `json:"verdict"`
	// Problems lists every problem found with this link (empty when ok).
	Problems []string `json:"problems,omitempty"`
	// Source says where the link came from: "server", "aia" (an
	// intermediate the server did not send, fetched from its issuer's URL
	// in the authority information access) or "trust" (a root the
	// chain was completed with).
	Source string `json:"source,omitempty"`
}

// Verification is the verdict on the server's chain as default Go
// verification would give it.
type Verification struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// HTTPInfo is the response, when one arrived. Headers, Location, Body and
// a text BodyPreview are as the server sent them: sanitize them before a
// terminal shows them. Its JSON form adds the body and keeps every byte
// (httpjson.go).
type HTTPInfo struct {
	Status    int                 `json:"status"`
	Proto     string              `json:"proto"`
	Headers   map[string][]string `json:"headers"`
	BodyBytes int64               `json:"body_bytes"`
	// BodyPreview is the start of a text body (4 KiB), saying how much
	// more there is.
	BodyPreview string `json:"body_preview"`
	// BodyBinary is set when the body is not text; the preview is then a summary.
	BodyBinary bool `json:"body_binary,omitempty"`
	// BodyTruncated is set when the body went on past the read limit
	// (Request.MaxResponse): BodyBytes counts only what was read.
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	Location      string `json:"location,omitempty"`
	// Body is the raw body (up to the engine's limit) for viewers that render
	// it themselves; never printed as is. JSON: "body" and "body_encoding".
	Body []byte `json:"-"`
}

// Application is what a protocol other than HTTP answered after the
// handshake: where the protocol has one, the server's verdict on the
// identity (PostgreSQL's authentication request or FATAL, MQTT's CONNACK).
type Application struct {
	Protocol string `json:"protocol"`
	// Accepted is whether the server let the client go on.
	Accepted bool `json:"accepted"`
	// Code is the protocol's code for the answer (a reply code, a
	// SQLSTATE), when it has one.
	Code string `json:"code,omitempty"`
	// Message is the server's own words (or mtlswb's, quoting them).
	Message string `json:"message,omitempty"`
	// Next is what the server asked for next, when the exchange stopped
	// there on purpose (PostgreSQL's password request: mtlswb never
	// completes password authentication).
	Next string `json:"next,omitempty"`
}

// IdentityVerdict says whether a candidate identity would satisfy the
// server's CertificateRequest.
type IdentityVerdict struct {
	Name     string `json:"name"`
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason"`
}
