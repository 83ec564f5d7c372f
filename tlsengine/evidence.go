package tlsengine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/revocation"
)

// evidence is everything the diagnosis of one failed attempt may use,
// collected once by attempt.evidence. Rules read nothing else, so each rule
// is a pure function of this value and its tests build evidence directly.
type evidence struct {
	// What ended the attempt: err for a failure, answer for an HTTP status
	// of 400 or more. Exactly one is set.
	err    error
	answer *httpAnswer

	phase    Phase  // where the attempt stopped
	via      string // "proxy" when the error concerns the proxy, not the target
	canceled bool   // the caller canceled the attempt (a timeout is not that)

	// The error chain, typed where crypto/tls and net give types.
	dns          *net.DNSError
	proxy        *ProxyError
	redirect     *RedirectError // a followed redirect chain looped or ran too long
	alert        *alertSeen
	recordHeader *tls.RecordHeaderError // the answer to the ClientHello was not TLS
	serverReject bool                   // the handshake failed on the server chain's verdict (server.err)
	timeout      bool
	refused      bool // ECONNREFUSED
	unreachable  bool // EHOSTUNREACH, ENETUNREACH
	closed       bool // EOF, reset, broken pipe, aborted: the peer went away
	noVersion    bool // crypto/tls found no TLS version in common (it has no type for this)

	// The handshake.
	handshakeDone bool
	version       uint16 // negotiated, 0 before the ServerHello
	serverName    string // SNI sent and name verified
	first         []byte // the first bytes the server sent (at most 64)
	certReq       *certRequest
	server        *serverCheck // nil when the server's certificate never arrived
	// missingHeldBy names the caller's CAs (Request.KnownCAs) that hold the
	// intermediates server.missing.
	missingHeldBy []string

	client clientEvidence
	req    requestFacts
	timing Timing

	// ticketsReceived: the server sent TLS 1.3 session tickets after the
	// handshake (the engine counts them with ticketCounter). OpenSSL sends
	// them only once it has accepted the client's certificate, so a close
	// after them is no rejection.
	ticketsReceived bool
	// renegotiated: the server asked for the client certificate by a TLS
	// 1.2 renegotiation after the handshake (Apache's per-directory
	// SSLVerifyClient), so an alert then is the renegotiation's verdict.
	renegotiated bool
	// sinceHandshake is the time from the handshake's end to the failure,
	// 0 when no handshake completed: a server rejects a certificate at
	// once, a backend that times out takes seconds.
	sinceHandshake time.Duration
	// retry is what a TLS 1.2 retry of a TLS 1.3 attempt showed, when one
	// was made (evidence_local.go); nil otherwise.
	retry *retryOutcome
	// revocation is the identity's revocation status, checked when a
	// rejection without a reason made it worth the fetches; nil otherwise.
	revocation *revocation.Status
}

// alertSeen is a TLS alert the server sent.
type alertSeen struct {
	number uint8
	// afterHandshake: the alert came after the client's side of the
	// handshake completed, as TLS 1.3 servers send their verdict on the
	// client certificate.
	afterHandshake bool
}

// clientEvidence is the chosen identity, what was sent, and local checks.
type clientEvidence struct {
	chosen bool   // an identity was chosen for the request
	who    string // how messages name it ("identity `joe`")
	sent   bool   // a certificate went out in answer to a certificate request
	leaf   *x509.Certificate
	chain  []*x509.Certificate

	// Local checks of leaf (meaningful when leaf is set).
	validity   string // "" when valid now, else why not ("expired at ... (3 days ago)")
	clientAuth bool   // its extended key usage allows client authentication
	// issuerListed: an issuer in chain is among the server's acceptable CAs
	// (true when the server sent no request or no list).
	issuerListed bool
	// keyFits: the key can sign with a scheme the server's request allows
	// (true when the server sent no request or no list).
	keyFits bool
	// revoked: its issuer's CRL or OCSP responder says it is revoked
	// (evidence.revocation has the details).
	revoked bool
	// name is the identity's own name ("joe"), for commands in hints; ""
	// for a certificate from files.
	name string

	// fitting are hints naming other identities the server's certificate
	// request would accept (see attempt.acceptedCandidates).
	fitting []string

	// intermediates counts the CA certificates between leaf and its root,
	// in the chain sent and above it among the caller's CAs: a server
	// verifies a limited depth (nginx's and Apache's default allows one).
	intermediates int
	// missingIssuer is the intermediate the chain sent stops below: the
	// issuer of its last certificate, not self-signed, not sent, found
	// among the caller's CAs as completingCA (and in the chain of
	// identity carriedBy, when another identity carries it).
	missingIssuer *x509.Certificate
	completingCA  string
	carriedBy     string
}

// problems reports whether a local check of the sent certificate fails: then
// a rejection the server gave no reason for has a likely explanation.
func (c clientEvidence) problems() bool { return c.checksFail() || (c.sent && c.deepChain()) }

// checksFail reports whether a check of the certificate itself fails (its
// chain's depth aside).
func (c clientEvidence) checksFail() bool {
	return c.sent && c.leaf != nil && (!c.clientAuth || c.validity != "" || !c.issuerListed || c.revoked || !c.keyFits)
}

// requestFacts are the parts of the Request that messages quote.
type requestFacts struct {
	target     string        // host:port dialled
	host       string        // the URL's host, before --servername
	path       string        // the URL's path, "" for a probe
	proxy      string        // the CONNECT proxy's host:port, "" without one
	limit      time.Duration // the attempt's time limit
	minVersion uint16
	maxVersion uint16
	// trustNames names the roots trusted for this request; systemTrust is
	// set when no roots were given, so the system's are used.
	trustNames  []string
	systemTrust bool
	now         time.Time // the clock certificates are judged by
}

// httpAnswer is an HTTP response of 400 or more.
type httpAnswer struct {
	status int
	body   []byte // the first 64 KiB: enough for any server's error page
	reason string // what the body says, in one line (bodyReason)
}

// bodySays reports whether the answer's body contains s.
func (h *httpAnswer) bodySays(s string) bool { return strings.Contains(string(h.body), s) }

// evidence collects what the attempt saw. err ended the attempt (parent is
// the caller's context, to tell a cancel from a timeout), or h is the HTTP
// answer that failed it.
func (a *attempt) evidence(parent context.Context, err error, h *HTTPInfo) *evidence {
	ev := &evidence{err: err}
	a.mu.Lock()
	ev.phase, ev.handshakeDone, ev.certReq = a.phase, a.handshakeDone, a.certReq
	ev.server, ev.serverName, ev.timing = a.server, a.serverName, a.timing
	ev.client.sent = a.sent
	ev.ticketsReceived, ev.renegotiated = a.tickets > 0, a.renegotiated
	if a.handshakeDone && !a.handshakeEnd.IsZero() && a.endedAt.After(a.handshakeEnd) {
		ev.sinceHandshake = a.endedAt.Sub(a.handshakeEnd)
	}
	if a.state != nil {
		ev.version = a.state.Version
	}
	if a.raw != nil {
		ev.first = append([]byte(nil), a.raw.first...)
	}
	a.mu.Unlock()

	ev.req = a.requestFacts()
	ev.client = a.clientEvidence(ev.client.sent, ev.certReq)
	if ev.server != nil && len(ev.server.missing) > 0 {
		ev.missingHeldBy = a.knownNamesOf(ev.server.missing)
	}
	if h != nil {
		ev.phase = PhaseResponse
		ev.answer = &httpAnswer{status: h.Status, body: h.Body[:min(len(h.Body), 64<<10)], reason: bodyReason(h)}
		return ev
	}
	ev.classify(parent, err)
	return ev
}

// classify records what the error chain says.
func (ev *evidence) classify(parent context.Context, err error) {
	var pe *phaseError
	if errors.As(err, &pe) {
		ev.phase, ev.via = pe.phase, pe.via
	}
	ev.canceled = errors.Is(err, context.Canceled) && parent != nil && parent.Err() != nil
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		ev.dns = dnsErr
	}
	var pxErr *ProxyError
	if errors.As(err, &pxErr) {
		ev.proxy = pxErr
	}
	var rdErr *RedirectError
	if errors.As(err, &rdErr) {
		ev.redirect = rdErr
	}
	if n, ok := AlertFromError(err); ok {
		ev.alert = &alertSeen{number: n, afterHandshake: ev.handshakeDone}
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) {
		ev.recordHeader = &rhe
	}
	var cve *tls.CertificateVerificationError
	ev.serverReject = errors.As(err, &cve) && ev.server != nil && ev.server.err != nil
	var ne net.Error
	ev.timeout = errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	ev.refused = errors.Is(err, syscall.ECONNREFUSED)
	ev.unreachable = errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
	ev.closed = errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
	// crypto/tls reports these local version errors only in words.
	ev.noVersion = strings.Contains(err.Error(), "unsupported protocol version") ||
		strings.Contains(err.Error(), "no supported versions")
}

func (a *attempt) requestFacts() requestFacts {
	rf := requestFacts{target: a.tgt.addr, host: a.tgt.host, limit: a.req.Timeout, now: a.now, systemTrust: len(a.req.Roots) == 0}
	if rf.limit == 0 {
		rf.limit = defaultTimeout
	}
	rf.minVersion, rf.maxVersion = a.req.versions()
	if a.tgt.url != nil {
		rf.path = a.tgt.url.EscapedPath()
	}
	if a.req.Proxy != "" {
		rf.proxy, _ = proxyAddr(a.req.Proxy)
	}
	rf.trustNames = append([]string(nil), a.req.RootNames...)
	return rf
}

func (a *attempt) clientEvidence(sent bool, cr *certRequest) clientEvidence {
	c := clientEvidence{chosen: a.req.ClientCert != nil, who: a.identity(), name: a.req.ClientName, sent: sent,
		leaf: a.clientLeaf, chain: a.clientChain, issuerListed: true, keyFits: true}
	if cr != nil {
		c.fitting = a.acceptedCandidates(cr)
	}
	if c.leaf == nil {
		return c
	}
	c.validity = validity(c.leaf, a.now)
	c.clientAuth = allowsUsage(c.leaf, x509.ExtKeyUsageClientAuth)
	a.chainEvidence(&c)
	if cr != nil {
		_, c.issuerListed = acceptedIssuer(c.chain, cr.acceptable)
		c.keyFits = keyTypeAllowed(c.leaf.PublicKey, cr.version, cr.schemes)
	}
	return c
}

// knownNamesOf names the caller's CAs (Request.KnownCAs) that hold certs.
func (a *attempt) knownNamesOf(certs []*x509.Certificate) []string {
	var names []string
	for _, k := range a.req.KnownCAs {
		for _, c := range k.Chain {
			if contains(certs, c) {
				names = append(names, k.Name)
				break
			}
		}
	}
	return names
}
