package tlsengine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

const defaultTimeout = 10 * time.Second

// Run makes one attempt and reports it. It never returns an error: every
// failure, including an invalid Request, is a Report with a Failure.
//
// Callers should call Validate first and treat its error as a usage error
// (nothing can be sent); Run called anyway with an invalid Request returns a
// Report whose Failure has Category InvalidRequest and Phase PhaseSetup.
func Run(ctx context.Context, req Request) Report {
	start := time.Now()
	tgt, err := req.check()
	rep := newReport(req, tgt, start)
	if err != nil {
		rep.Failure = invalidRequest(err)
		finish(&rep, start)
		return rep
	}
	runCtx, cancel := context.WithTimeout(ctx, req.timeout())
	defer cancel()

	a := newAttempt(req, tgt, start)
	a.verifier.ctx = runCtx
	rep.Warnings = append(rep.Warnings, a.preflight()...)
	out, err := a.run(runCtx)
	a.mu.Lock()
	a.endedAt = time.Now()
	a.mu.Unlock()
	if len(req.CRLs) > 0 {
		// Asked for: the status is reported whatever the outcome.
		a.checkRevocation(ctx)
	}
	rep.HTTP, rep.Application = out.http, out.app
	a.fill(&rep)
	switch {
	case refused(err):
		rep.Failure = a.explainRefusal(err)
	case err != nil:
		rep.Failure = a.diagnose(ctx, err, nil)
	case rep.HTTP != nil && rep.HTTP.Status >= 400:
		rep.Failure = a.diagnose(ctx, nil, rep.HTTP)
	}
	// Diagnosis may have checked revocation or retried with TLS 1.2.
	rep.TLS.ClientCertRevocation, rep.Retry = a.revocationStatus(), a.retryInfo()
	rep.OK = rep.Failure == nil
	if rep.OK {
		rep.Unjudged = a.unjudged(out)
	}
	finish(&rep, start)
	return rep
}

// newReport is a Report of req with nothing attempted yet.
func newReport(req Request, tgt target, start time.Time) Report {
	rep := Report{
		Request:   RequestInfo{URL: safetext.Line(redactURL(req.URL)), Probe: req.Probe, Identity: safetext.Line(req.ClientName), Insecure: req.Insecure},
		StartedAt: start,
		Warnings:  []string{},
	}
	if !req.Probe {
		rep.Request = tgt.proto.echo(req, rep.Request)
	}
	return rep
}

// explainRefusal reports a refusal in the words of the protocol that heard it.
func (a *attempt) explainRefusal(err error) *Failure {
	var rf *refusal
	errors.As(err, &rf)
	a.mu.Lock()
	f := &Failure{Phase: a.phase, Category: rf.category, Summary: safetext.Line(rf.summary), Hints: safetext.Lines(rf.hints)}
	a.mu.Unlock()
	var pe *phaseError
	if errors.As(err, &pe) {
		f.Phase = pe.phase
	}
	f.Detail = safetext.Line(rf.detail)
	if f.Detail == "" {
		f.Detail = "the server answered: " + safetext.Line(rf.said)
	}
	// The protocol heard the refusal in the server's own words: one cause,
	// certain, whose evidence is those words.
	f.Causes = []Cause{{Category: f.Category, Confidence: Certain, Evidence: f.Detail, rule: a.tgt.proto.name() + " refusal"}}
	return f
}

// finish stamps the total time and turns nil lists into empty ones, so the
// JSON form has one shape whatever happened.
func finish(rep *Report, start time.Time) {
	rep.Timing.TotalMs = ms(time.Since(start))
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	if rep.TLS.AcceptableCAs == nil {
		rep.TLS.AcceptableCAs = []string{}
	}
	if rep.TLS.SignatureSchemes == nil {
		rep.TLS.SignatureSchemes = []string{}
	}
	if rep.TLS.ServerChain == nil {
		rep.TLS.ServerChain = []ChainLink{}
	}
	if rep.Failure != nil && rep.Failure.Hints == nil {
		rep.Failure.Hints = []string{}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// attempt is the state of one Run: what the dialer, the handshake callbacks
// and the HTTP trace saw, which the diagnosis then reads.
type attempt struct {
	req         Request
	tgt         target
	start       time.Time
	now         time.Time // the clock certificates are judged by
	verifier    *verifier
	clientLeaf  *x509.Certificate
	clientChain []*x509.Certificate

	mu            sync.Mutex
	phase         Phase
	timing        Timing
	connReady     time.Time
	wroteRequest  time.Time
	state         *tls.ConnectionState
	serverName    string
	server        *serverCheck
	certReq       *certRequest
	sent          bool
	supportErr    error
	handshakeDone bool
	raw           *rawConn
	tlsConn       *tls.Conn // of the last successful handshake
	warnings      []string
	// handshakeEnd is when the last handshake completed, endedAt when the
	// attempt ended: how long the server kept the connection before it
	// closed it.
	handshakeEnd, endedAt time.Time
	// renegotiated: the server asked for the client certificate by
	// renegotiating after the handshake (TLS 1.2), which the attempt
	// accepted once.
	renegotiated bool
	// tickets counts the session tickets the server sent on the last
	// connection (see ticketCounter).
	tickets int
	// revocation is the identity's revocation status once checked
	// (checkRevocation).
	revokeOnce sync.Once
	revocation *revocation.Status
	// retry is the TLS 1.2 retry's outcome, when diagnosis made one.
	retry  *retryOutcome
	routed string // the route taken, see curlopts.go
}

// certRequest is the server's CertificateRequest.
type certRequest struct {
	acceptable [][]byte
	schemes    []tls.SignatureScheme
	version    uint16
}

func newAttempt(req Request, tgt target, start time.Time) *attempt {
	a := &attempt{req: req, tgt: tgt, start: start, now: start, phase: PhaseDNS}
	a.verifier = newVerifier(req, start)
	if req.ClientCert != nil {
		a.clientLeaf, _ = leafOf(req.ClientCert)
		a.clientChain = chainOf(req.ClientCert)
	}
	return a
}

func (a *attempt) setPhase(p Phase) {
	a.mu.Lock()
	a.phase = p
	a.mu.Unlock()
}

func (a *attempt) warn(format string, args ...any) {
	a.mu.Lock()
	a.warnings = append(a.warnings, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

// identity names the chosen client certificate in messages.
func (a *attempt) identity() string {
	switch {
	case a.req.ClientName != "":
		return "identity " + quoteName(a.req.ClientName)
	case a.clientLeaf != nil:
		return "your client certificate (" + subject(a.clientLeaf) + ")"
	}
	return "your client certificate"
}

// tlsConfig is the client configuration for one connection to serverName.
func (a *attempt) tlsConfig(serverName string) *tls.Config {
	minV, maxV := a.req.versions()
	return &tls.Config{
		ServerName: serverName,
		// Built-in verification is off only so that VerifyConnection can run
		// the same verification itself and record a verdict per certificate;
		// it then fails exactly as the default would, unless Insecure.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return a.verifyConnection(cs, serverName)
		},
		// Always choose the certificate ourselves: Go's default silently
		// withholds a certificate whose issuer the server did not list, which
		// turns "wrong CA" into a baffling "certificate required".
		GetClientCertificate: a.getClientCertificate,
		MinVersion:           minV,
		MaxVersion:           maxV,
		NextProtos:           a.tgt.proto.alpn(),
		// Apache's per-directory SSLVerifyClient asks for the certificate
		// by renegotiating after the request line (TLS 1.2); curl accepts
		// it, so the attempt does too, once, as browsers do.
		Renegotiation: tls.RenegotiateOnceAsClient,
		// Only to count the tickets: the cache never hands a session back
		// (see ticketCounter).
		ClientSessionCache: ticketCounter{a},
	}
}

// ticketCounter is a session cache that keeps nothing: it counts the
// session tickets the server sends. Without a cache crypto/tls offers no
// psk_key_exchange_modes and TLS 1.3 servers send no tickets at all; with
// one, an OpenSSL server sends its tickets only once it has accepted the
// client's certificate, so tickets before a close are evidence that the
// close was no rejection. Get never returns a session: a resumed handshake
// skips client authentication, which is what the user is testing.
type ticketCounter struct{ a *attempt }

func (ticketCounter) Get(string) (*tls.ClientSessionState, bool) { return nil, false }

func (t ticketCounter) Put(_ string, s *tls.ClientSessionState) {
	if s == nil {
		return
	}
	t.a.mu.Lock()
	t.a.tickets++
	t.a.mu.Unlock()
}

func (a *attempt) verifyConnection(cs tls.ConnectionState, serverName string) error {
	sc := a.verifier.check(cs.PeerCertificates, serverName)
	a.mu.Lock()
	a.server = &sc
	a.mu.Unlock()
	if sc.err == nil {
		return nil
	}
	if a.req.Insecure {
		a.warn("the server's certificate does not verify (%s); continuing because verification is off (insecure)",
			safetext.Line(errors.Unwrap(sc.err).Error()))
		return nil
	}
	return sc.err
}

func (a *attempt) getClientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	cr := &certRequest{version: cri.Version}
	for _, ca := range cri.AcceptableCAs {
		cr.acceptable = append(cr.acceptable, append([]byte(nil), ca...))
	}
	cr.schemes = append(cr.schemes, cri.SignatureSchemes...)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.certReq = cr
	if a.handshakeDone {
		// Asked for after the handshake: a TLS 1.2 renegotiation.
		a.renegotiated = true
	}
	if a.req.ClientCert == nil {
		a.sent = false
		// An empty certificate message: the server decides whether that is
		// acceptable.
		return &tls.Certificate{}, nil
	}
	if err := cri.SupportsCertificate(a.req.ClientCert); err != nil {
		a.supportErr = err
		a.warnings = append(a.warnings, fmt.Sprintf(
			"the server's certificate request does not fit %s (%s); sending it anyway because you chose it",
			a.identity(), safetext.Line(err.Error())))
	}
	a.sent = true
	return a.req.ClientCert, nil
}

// fill copies what the attempt saw into rep.
func (a *attempt) fill(rep *Report) {
	a.mu.Lock()
	defer a.mu.Unlock()
	rep.Timing = a.timing
	rep.Warnings = append(rep.Warnings, a.warnings...)
	rep.Request.Route = safetext.Line(a.routed)
	info := &rep.TLS
	info.ServerName = safetext.Line(a.serverName)
	if cs := a.state; cs != nil {
		if cs.Version != 0 {
			info.Version = tls.VersionName(cs.Version)
		}
		if cs.CipherSuite != 0 {
			info.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
		}
		info.ALPN = safetext.Line(cs.NegotiatedProtocol)
		info.Resumed = cs.DidResume
		info.OCSPStapled = len(cs.OCSPResponse) > 0
	}
	if a.server == nil {
		info.Verification.Error = "not verified: the handshake stopped before the server's certificate arrived"
	} else {
		info.ServerChain = a.server.links
		info.Verification.OK = a.server.err == nil
		if a.server.err != nil {
			info.Verification.Error = safetext.Line(a.server.err.Error())
		}
	}
	info.ClientCertRevocation = a.revocation
	if cr := a.certReq; cr != nil {
		info.ClientCertRequested = true
		info.AcceptableCAs = make([]string, 0, len(cr.acceptable))
		for _, ca := range cr.acceptable {
			info.AcceptableCAs = append(info.AcceptableCAs, distinguishedName(ca))
		}
		info.SignatureSchemes = make([]string, 0, len(cr.schemes))
		for _, s := range cr.schemes {
			info.SignatureSchemes = append(info.SignatureSchemes, SchemeName(s))
		}
		if a.renegotiated {
			info.ClientCertRequestedBy = "renegotiation"
		}
		rep.Identities = a.verdicts(cr)
	}
	switch {
	case a.sent && a.clientLeaf != nil:
		info.ClientCertSent = summarize(a.clientLeaf)
		if a.supportErr != nil {
			info.ClientCertNote = "sent although the server's certificate request does not list its issuer or key type"
		}
	case a.certReq != nil && a.req.ClientCert == nil:
		info.ClientCertNote = "none sent: no identity chosen"
	case a.certReq != nil:
		info.ClientCertNote = "none sent"
	case a.handshakeDone:
		if a.req.ClientCert != nil {
			info.ClientCertNote = "not sent: the server did not ask for a client certificate"
		} else {
			info.ClientCertNote = "the server did not ask for a client certificate"
		}
	case a.req.ClientCert != nil:
		info.ClientCertNote = "not sent: the handshake stopped before the server asked for it"
	default:
		info.ClientCertNote = "no identity chosen"
	}
}
