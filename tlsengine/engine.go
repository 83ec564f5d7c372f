package tlsengine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

const (
	defaultTimeout = 10 * time.Second
	// bodyKeepLimit is how much of a body HTTPInfo.Body keeps; bodyReadLimit
	// is how much is read (and counted) at all, so a huge download cannot
	// hold the attempt forever.
	bodyKeepLimit = 1 << 20
	bodyReadLimit = 64 << 20
	previewLimit  = 4 << 10
	// lateAlertWait bounds how long a TLS 1.3 probe waits for the server's
	// verdict on the client certificate; lateAlertGrace is how long it keeps
	// waiting once the server has sent anything (its session tickets, which
	// servers send only after accepting the client's certificate).
	lateAlertWait  = 500 * time.Millisecond
	lateAlertGrace = 30 * time.Millisecond
)

// Run makes one attempt and reports it. It never returns an error: every
// failure, including an invalid Request, is a Report with a Failure.
//
// Callers should call Validate first and treat its error as a usage error
// (nothing can be sent); Run called anyway with an invalid Request returns a
// Report whose Failure has Category InvalidRequest and Phase PhaseSetup.
func Run(ctx context.Context, req Request) Report {
	start := time.Now()
	rep := newReport(req, start)
	tgt, err := req.check()
	if err != nil {
		rep.Failure = invalidRequest(err)
		finish(&rep, start)
		return rep
	}
	runCtx, cancel := context.WithTimeout(ctx, req.timeout())
	defer cancel()

	a := newAttempt(req, tgt, start)
	rep.Warnings = append(rep.Warnings, a.preflight()...)
	if req.Probe {
		err = a.probe(runCtx)
	} else {
		rep.HTTP, err = a.request(runCtx)
	}
	a.fill(&rep)
	switch {
	case err != nil:
		rep.Failure = a.diagnose(ctx, err)
	case rep.HTTP != nil && rep.HTTP.Status >= 400:
		rep.Failure = a.diagnoseHTTP(rep.HTTP)
	}
	rep.OK = rep.Failure == nil
	finish(&rep, start)
	return rep
}

// newReport is a Report of req with nothing attempted yet.
func newReport(req Request, start time.Time) Report {
	rep := Report{
		Request:   RequestInfo{URL: safetext.Line(redactURL(req.URL)), Probe: req.Probe, Identity: safetext.Line(req.ClientName), Insecure: req.Insecure},
		StartedAt: start,
		Warnings:  []string{},
	}
	if !req.Probe {
		rep.Request.Method = strings.ToUpper(req.method())
	}
	return rep
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

// Validate reports whether Run can attempt r at all: a usable URL (https://
// for a request; host[:port] or a URL for a probe), method, headers, version
// range, proxy and client certificate. Its errors say what to fix.
func (r Request) Validate() error {
	_, err := r.check()
	return err
}

func (r Request) method() string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// target is where an attempt goes.
type target struct {
	url        *url.URL // nil for a probe
	host, port string
	addr       string // host:port to dial
	serverName string // SNI and the name the certificate must match
}

func (r Request) check() (target, error) {
	tgt, err := r.parseTarget()
	if err != nil {
		return tgt, err
	}
	if !r.Probe {
		if !httpguts.ValidHeaderFieldName(r.method()) {
			return tgt, fmt.Errorf("invalid method %q: use a method name such as GET or POST", safetext.Line(r.Method))
		}
		for k, vs := range r.Header {
			if !httpguts.ValidHeaderFieldName(k) {
				return tgt, fmt.Errorf("invalid header name %q: use letters, digits and -", safetext.Line(k))
			}
			for _, v := range vs {
				if !httpguts.ValidHeaderFieldValue(v) {
					return tgt, fmt.Errorf("invalid value for header %s: it contains control characters", safetext.Line(k))
				}
			}
		}
	}
	if r.Timeout < 0 {
		return tgt, fmt.Errorf("invalid timeout %s: use a positive duration, or zero for the default %s", r.Timeout, defaultTimeout)
	}
	minV, maxV := r.versions()
	for _, v := range []uint16{minV, maxV} {
		switch v {
		case tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13:
		default:
			return tgt, fmt.Errorf("unknown TLS version 0x%04x: use TLS 1.0 to 1.3", v)
		}
	}
	if minV > maxV {
		return tgt, fmt.Errorf("the minimum TLS version %s is above the maximum %s: swap them or drop one", tls.VersionName(minV), tls.VersionName(maxV))
	}
	if r.Proxy != "" {
		if _, err := proxyAddr(r.Proxy); err != nil {
			return tgt, err
		}
	}
	if r.ClientCert != nil {
		if _, err := leafOf(r.ClientCert); err != nil {
			return tgt, fmt.Errorf("client certificate %s: %w", safetext.Line(r.ClientName), err)
		}
		if r.ClientCert.PrivateKey == nil {
			return tgt, fmt.Errorf("client certificate %s has no private key: load the key with the certificate", safetext.Line(r.ClientName))
		}
	}
	for i, c := range r.Roots {
		if c == nil {
			return tgt, fmt.Errorf("trusted CA #%d is empty: pass parsed certificates only", i+1)
		}
	}
	for _, set := range [][]NamedChain{r.Candidates, r.KnownCAs} {
		for _, nc := range set {
			for _, c := range nc.Chain {
				if c == nil {
					return tgt, fmt.Errorf("%s has an empty certificate in its chain", quoteName(nc.Name))
				}
			}
		}
	}
	if len(r.RootNames) > len(r.Roots) {
		return tgt, fmt.Errorf("%d root names for %d roots: give one name per root", len(r.RootNames), len(r.Roots))
	}
	return tgt, nil
}

func (r Request) versions() (uint16, uint16) {
	minV, maxV := r.MinVersion, r.MaxVersion
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	if maxV == 0 {
		maxV = tls.VersionTLS13
	}
	return minV, maxV
}

func (r Request) parseTarget() (target, error) {
	var t target
	raw := strings.TrimSpace(r.URL)
	if raw == "" {
		return t, errors.New("no URL given: use https://host[:port]/path, or host:port for a probe")
	}
	shown := safetext.Line(redactURL(raw)) // never echo a password
	switch {
	case strings.Contains(raw, "://"):
		u, err := url.Parse(raw)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its message repeats the URL, password included
			}
			return t, fmt.Errorf("invalid URL %q: %s", shown, safetext.Line(err.Error()))
		}
		if u.Scheme != "https" {
			return t, fmt.Errorf("URL %q has scheme %q: mtlswb speaks TLS, use https://", shown, safetext.Line(u.Scheme))
		}
		if u.Hostname() == "" {
			return t, fmt.Errorf("URL %q has no host: use https://host[:port]/path", shown)
		}
		t.url, t.host, t.port = u, u.Hostname(), u.Port()
	case r.Probe:
		host, port, err := net.SplitHostPort(raw)
		if err != nil {
			// A bare host (or IPv6 address) is fine for a probe: port 443.
			host, port = strings.Trim(raw, "[]"), ""
		}
		t.host, t.port = host, port
	default:
		return t, fmt.Errorf("invalid URL %q: a request needs https://host[:port]/path", shown)
	}
	if t.port == "" {
		t.port = "443"
	}
	if p, err := strconv.Atoi(t.port); err != nil || p < 1 || p > 65535 {
		return t, fmt.Errorf("invalid port %q in %q: use 1 to 65535", safetext.Line(t.port), shown)
	}
	if t.host == "" || strings.ContainsAny(t.host, " /?#@") {
		return t, fmt.Errorf("invalid host in %q: use host:port", shown)
	}
	t.addr = net.JoinHostPort(t.host, t.port)
	t.serverName = t.host
	if r.ServerName != "" {
		t.serverName = r.ServerName
	}
	return t, nil
}

// redactURL hides a password in a URL: reports are saved and shown.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 && strings.Contains(s[:i], ":") {
		return "xxxxx@" + s[i+1:]
	}
	return s
}

// proxyAddr returns the host:port of an http:// CONNECT proxy URL.
func proxyAddr(proxy string) (string, error) {
	u, err := url.Parse(proxy)
	if err != nil || u.Scheme != "http" || u.Hostname() == "" {
		return "", fmt.Errorf("invalid proxy %q: use http://host:port (an HTTP CONNECT proxy)", safetext.Line(redactURL(proxy)))
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

func invalidRequest(err error) *Failure {
	return &Failure{
		Phase: PhaseSetup, Category: InvalidRequest,
		Summary: "the request is invalid, nothing was sent",
		Detail:  safetext.Line(err.Error()),
		Hints:   []string{"fix the request as the detail says and try again"},
	}
}

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
	routed        string // the route taken, see curlopts.go
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
		NextProtos:           []string{"h2", "http/1.1"},
	}
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
	if cr := a.certReq; cr != nil {
		info.ClientCertRequested = true
		info.AcceptableCAs = make([]string, 0, len(cr.acceptable))
		for _, ca := range cr.acceptable {
			info.AcceptableCAs = append(info.AcceptableCAs, dnString(ca))
		}
		info.SignatureSchemes = make([]string, 0, len(cr.schemes))
		for _, s := range cr.schemes {
			info.SignatureSchemes = append(info.SignatureSchemes, s.String())
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
