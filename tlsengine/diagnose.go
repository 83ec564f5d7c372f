package tlsengine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// facts is a consistent copy of what the attempt saw, for diagnosis.
type facts struct {
	phase         Phase
	handshakeDone bool
	version       uint16
	certReq       *certRequest
	sent          bool
	server        *serverCheck
	first         []byte
	serverName    string
}

func (a *attempt) facts() facts {
	a.mu.Lock()
	defer a.mu.Unlock()
	fx := facts{phase: a.phase, handshakeDone: a.handshakeDone, certReq: a.certReq, sent: a.sent,
		server: a.server, serverName: a.serverName}
	if a.state != nil {
		fx.version = a.state.Version
	}
	if a.raw != nil {
		fx.first = append([]byte(nil), a.raw.first...)
	}
	return fx
}

// diagnose turns the error that ended an attempt into exactly one Failure.
// Typed errors are checked before anything else; strings are a last resort
// for the few conditions crypto/tls reports only in words.
func (a *attempt) diagnose(parent context.Context, err error) *Failure {
	fx := a.facts()
	f := &Failure{Phase: fx.phase}
	via := ""
	var pe *phaseError
	if errors.As(err, &pe) {
		f.Phase, via = pe.phase, pe.via
	}
	var (
		dnsErr *net.DNSError
		pxErr  *ProxyError
		cve    *tls.CertificateVerificationError
		rhe    tls.RecordHeaderError
	)
	alert, isAlert := AlertFromError(err)
	switch {
	case errors.Is(err, context.Canceled) && parent.Err() != nil:
		f.Category, f.Summary = Canceled, "the attempt was canceled before it finished"
		f.Hints = []string{"run it again to see the outcome"}
	case errors.As(err, &pxErr):
		f.Phase, f.Category = PhaseConnect, ConnectionRefused
		f.Summary = fmt.Sprintf("the proxy %s refused to open a tunnel to %s (%s)", safetext.Line(pxErr.Proxy), safetext.Line(a.tgt.addr), pxErr.Status)
		f.Hints = []string{"check the proxy's access rules and credentials (http://user:password@proxy:port)",
			"or send the request without the proxy"}
	case errors.As(err, &dnsErr):
		a.dnsFailure(f, dnsErr, via)
	case errors.As(err, &cve) && fx.server != nil && fx.server.err != nil:
		a.serverFailure(f, fx)
	case isAlert:
		a.alertFailure(f, fx, alert)
	case errors.As(err, &rhe):
		a.notTLS(f, fx, rhe)
	case isTimeout(err):
		a.timeout(f, via)
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Phase, f.Category = PhaseConnect, ConnectionRefused
		what := a.tgt.addr
		if via == "proxy" {
			what, _ = proxyAddr(a.req.Proxy)
			what = "the proxy " + what
		}
		f.Summary = fmt.Sprintf("nothing accepts connections on %s (connection refused)", safetext.Line(what))
		f.Hints = []string{"check the host and port, and that the server is running and listening on this address"}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		f.Phase, f.Category = PhaseConnect, ConnectionRefused
		f.Summary = fmt.Sprintf("no route to %s: the network cannot reach it", safetext.Line(a.tgt.addr))
		f.Hints = []string{"check the address, your network connection, VPN and firewall"}
	case closedEarly(err):
		a.closedEarly(f, fx)
	case strings.Contains(err.Error(), "unsupported protocol version"),
		strings.Contains(err.Error(), "no supported versions"):
		// crypto/tls has no type for these local version errors.
		a.versionMismatch(f, fx)
	default:
		a.otherFailure(f, fx)
	}
	raw := safetext.Line(err.Error())
	if f.Detail == "" {
		f.Detail = "error: " + raw
	} else {
		f.Detail += " (error: " + raw + ")"
	}
	return f
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func closedEarly(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

func (a *attempt) dnsFailure(f *Failure, e *net.DNSError, via string) {
	f.Phase, f.Category = PhaseDNS, DNSFailure
	host := safetext.Line(e.Name)
	if via == "proxy" {
		host = "the proxy host " + host
	}
	switch {
	case e.IsTimeout:
		f.Summary = fmt.Sprintf("the DNS lookup of %s timed out", host)
		f.Hints = []string{"check your DNS server and network connection"}
	case e.IsNotFound:
		f.Summary = fmt.Sprintf("the name %s does not exist in DNS", host)
		f.Hints = []string{"check the host name for typos", "if the name resolves only inside a VPN or through /etc/hosts, check that"}
	default:
		f.Summary = fmt.Sprintf("the DNS lookup of %s failed", host)
		f.Hints = []string{"check your DNS server and network connection"}
	}
}

func (a *attempt) timeout(f *Failure, via string) {
	limit := a.req.Timeout
	if limit == 0 {
		limit = defaultTimeout
	}
	switch f.Phase {
	case PhaseDNS:
		f.Category = DNSFailure
		f.Summary = fmt.Sprintf("the DNS lookup did not finish within %s", limit)
		f.Hints = []string{"check your DNS server and network connection"}
	case PhaseConnect:
		f.Category = ConnectTimeout
		target := a.tgt.addr
		if via == "proxy" {
			target, _ = proxyAddr(a.req.Proxy)
		}
		f.Summary = fmt.Sprintf("%s did not accept the TCP connection within %s", safetext.Line(target), limit)
		f.Hints = []string{"a firewall may be dropping the packets, or the host is down: check the address and port",
			"if you need a proxy or VPN to reach it, use it"}
	case PhaseHandshake:
		f.Category = HandshakeTimeout
		f.Summary = fmt.Sprintf("the server accepted the connection but did not complete the TLS handshake within %s", limit)
		f.Hints = []string{"check that this port speaks TLS directly: some services expect a plaintext greeting first (STARTTLS) or another protocol",
			"the server may be overloaded, or a middlebox may be holding the connection"}
	default:
		// The handshake worked, so this is the application's failure: it
		// belongs with the other HTTP failures of the fixed vocabulary.
		f.Category = HTTPError
		f.Summary = fmt.Sprintf("the TLS handshake succeeded but the HTTP response did not arrive within %s", limit)
		f.Hints = []string{"the server (or the application behind it) is slow or stuck: try a longer timeout, check its logs"}
	}
}

// closedEarly explains a connection the server closed without a TLS alert.
func (a *attempt) closedEarly(f *Failure, fx facts) {
	if fx.handshakeDone && fx.version == tls.VersionTLS13 && fx.certReq != nil {
		// TLS 1.3 servers judge the client certificate after the client
		// considers the handshake done; one that closes without an alert
		// right then has rejected it.
		f.Phase = PhaseHandshake
		f.Category = a.narrow(ClientCertRejected, fx)
		a.clientExplain(f, fx, "the server closed the connection right after the handshake without a reason (with TLS 1.3 this is how a rejected client certificate can look)")
		return
	}
	f.Category = ConnectionReset
	if f.Phase == PhaseHandshake {
		f.Summary = "the server closed the connection during the TLS handshake without saying why"
		f.Hints = []string{
			"the server (or a proxy in front of it) may route by server name (SNI): check the host name, or set the server name explicitly",
			"it may not speak TLS on this port, or may allow only certain TLS versions or ciphers: check its configuration and logs",
		}
		return
	}
	f.Summary = "the server closed the connection before sending a complete response"
	f.Hints = []string{"check the server's logs: the application may have crashed or refused the request"}
}

func (a *attempt) notTLS(f *Failure, fx facts, rhe tls.RecordHeaderError) {
	f.Phase, f.Category = PhaseHandshake, NotTLS
	first := fx.first
	if len(first) == 0 {
		first = rhe.RecordHeader[:]
	}
	what := "something that is not TLS"
	switch s := string(first); {
	case strings.HasPrefix(s, "HTTP/"), strings.HasPrefix(s, "<"):
		what = "plain HTTP"
	case strings.HasPrefix(s, "SSH-"):
		what = "SSH"
	case strings.HasPrefix(s, "220"):
		what = "an SMTP or FTP greeting"
	case strings.HasPrefix(s, "* OK"):
		what = "IMAP"
	case strings.HasPrefix(s, "+OK"):
		what = "POP3"
	}
	f.Summary = fmt.Sprintf("the server does not speak TLS on %s: its answer looks like %s", safetext.Line(a.tgt.addr), what)
	f.Detail = fmt.Sprintf("it answered the TLS ClientHello with %q", safetext.Line(string(first)))
	f.Hints = []string{"use the port where the server speaks TLS"}
	if what == "plain HTTP" {
		plain := "http://" + a.tgt.addr + "/"
		if u := a.tgt.url; u != nil {
			plain = "http://" + a.tgt.addr + u.EscapedPath()
		}
		f.Hints = append(f.Hints, fmt.Sprintf("this port serves plain HTTP, and mtlswb speaks only TLS: `curl %s` reaches it without TLS", safetext.Line(plain)))
	}
	if what == "an SMTP or FTP greeting" || what == "IMAP" || what == "POP3" {
		f.Hints = append(f.Hints, "this service may need STARTTLS, which mtlswb does not speak: use its implicit-TLS port")
	}
}

func (a *attempt) versionMismatch(f *Failure, _ facts) {
	f.Phase, f.Category = PhaseHandshake, ProtocolVersionMismatch
	minV, maxV := a.req.versions()
	f.Summary = fmt.Sprintf("client and server share no TLS version: you allowed %s", versionRange(minV, maxV))
	f.Hints = []string{"the server supports only other versions: widen the allowed range (minimum/maximum TLS version)",
		"TLS 1.0 and 1.1 are obsolete: if the server needs them, it needs upgrading"}
}

func versionRange(minV, maxV uint16) string {
	if minV == maxV {
		return "only " + tls.VersionName(minV)
	}
	return tls.VersionName(minV) + " to " + tls.VersionName(maxV)
}

func (a *attempt) otherFailure(f *Failure, fx facts) {
	switch f.Phase {
	case PhaseDNS:
		f.Category, f.Summary = DNSFailure, "the DNS lookup failed"
		f.Hints = []string{"check the host name and your network connection"}
	case PhaseConnect:
		f.Category, f.Summary = ConnectionRefused, fmt.Sprintf("could not connect to %s", safetext.Line(a.tgt.addr))
		f.Hints = []string{"check the host, port and your network connection"}
	case PhaseHandshake:
		f.Category, f.Summary = TLSError, "the TLS handshake failed"
		f.Hints = []string{"the error below is what crypto/tls reported; check the server's TLS configuration"}
		if fx.certReq != nil && fx.sent {
			f.Hints = append(f.Hints, "the identities section shows whether the server's certificate request fits your identity")
		}
	default:
		f.Category, f.Summary = HTTPError, "the HTTP exchange failed after the TLS handshake"
		f.Hints = []string{"the server's answer was not valid HTTP: check that this is an HTTPS endpoint, and the server's logs"}
	}
}

// serverFailure explains why the server's certificate was not accepted.
func (a *attempt) serverFailure(f *Failure, fx facts) {
	f.Phase = PhaseHandshake
	sc := fx.server
	err := errors.Unwrap(sc.err)
	var (
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	insecureHint := "only to look at the rest of the exchange: turn verification off (insecure); never trust data sent that way"
	switch {
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		c := ci.Cert
		if c == nil {
			c = sc.peer[0]
		}
		if a.now.Before(c.NotBefore) {
			f.Category = ServerCertNotYetValid
			f.Summary = fmt.Sprintf("the server's certificate %s is not valid yet: it starts %s", subject(c), stamp(c.NotBefore))
			f.Hints = []string{"check this computer's clock (it reads " + stamp(a.now) + ")",
				"or the server operator installed a certificate dated in the future"}
		} else {
			f.Category = ServerCertExpired
			f.Summary = fmt.Sprintf("the server's certificate %s expired at %s (%s ago)", subject(c), stamp(c.NotAfter), ago(a.now.Sub(c.NotAfter)))
			f.Hints = []string{"the server operator must renew the certificate",
				"check this computer's clock (it reads " + stamp(a.now) + ")", insecureHint}
		}
		if !c.Equal(sc.peer[0]) {
			f.Detail = fmt.Sprintf("the certificate at fault is in the chain, not the server's own (%s)", subject(sc.peer[0]))
		}
	case errors.As(err, &hn):
		f.Category = ServerHostnameMismatch
		c := hn.Certificate
		if c == nil {
			c = sc.peer[0]
		}
		f.Summary = fmt.Sprintf("the server's certificate is not valid for %q: it is valid for %s", safetext.Line(fx.serverName), validNames(c))
		f.Hints = []string{"use a host name the certificate covers in the URL",
			"or keep the address and set the server name (SNI) to one of the names above",
			"if the server hosts several sites, it may be serving its default certificate: the server name selects the site"}
	case sc.incomplete:
		f.Category = ServerChainIncomplete
		leaf := sc.peer[0]
		if len(sc.missing) > 0 {
			names := make([]string, len(sc.missing))
			for i, c := range sc.missing {
				names[i] = subject(c)
			}
			f.Summary = fmt.Sprintf("the server's chain is incomplete: it does not send the intermediate %s", nameList(names))
			f.Detail = "the chain verifies once the intermediate from your CAs is added, so the server's configuration is missing it"
			workaround := "as a workaround, trust the intermediate for this request"
			if held := a.knownNamesOf(sc.missing); len(held) > 0 {
				quoted := make([]string, len(held))
				for i, n := range held {
					quoted[i] = quoteName(n)
				}
				workaround = fmt.Sprintf("as a workaround, trust %s for this request (--ca %s, or the composer's trust picker)", nameList(quoted), safetext.Line(held[0]))
			}
			f.Hints = []string{
				"the server must send its certificate followed by the intermediate(s) (for nginx: ssl_certificate pointing at the full chain)",
				workaround,
			}
		} else {
			f.Summary = fmt.Sprintf("the server sent only its own certificate, issued by %s, which is not a trusted root: its chain is likely incomplete", issuer(leaf))
			f.Detail = "public CAs issue server certificates from intermediates; browsers often hide a missing one, other clients fail"
			f.Hints = []string{
				"the server must send its certificate followed by the intermediate(s) (for nginx: ssl_certificate pointing at the full chain)",
				"as a workaround, import the intermediate " + issuer(leaf) + " and trust it for this request",
			}
		}
	default:
		f.Category = ServerCertUntrusted
		top := sc.peer[len(sc.peer)-1]
		anchor := issuer(top)
		if selfSigned(top) {
			anchor = subject(top)
		}
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) || errors.As(err, new(x509.SystemRootsError)) {
			f.Summary = fmt.Sprintf("the server's certificate is not trusted: its chain leads to %s, which is not among the trusted CAs", anchor)
		} else {
			f.Summary = "the server's certificate chain is not valid: " + firstProblem(sc.links)
		}
		for _, name := range sc.wouldVerify {
			f.Hints = append(f.Hints, fmt.Sprintf("CA %s in your workspace would verify this server: trust it for this request", quoteName(name)))
		}
		if len(a.req.RootNames) > 0 {
			names := make([]string, len(a.req.RootNames))
			for i, n := range a.req.RootNames {
				names[i] = quoteName(n)
			}
			f.Detail = "trusted for this request: " + nameList(names)
		} else if len(a.req.Roots) == 0 {
			f.Detail = "trusted for this request: the system's CAs"
		}
		if len(sc.wouldVerify) == 0 {
			f.Hints = append(f.Hints, fmt.Sprintf("if you trust this server, import the CA %s (compare its fingerprint with one obtained another way) and trust it", anchor))
		}
		if len(sc.peer) == 1 && !selfSigned(top) {
			f.Hints = append(f.Hints, fmt.Sprintf("the server sent no intermediates: if %s is an intermediate CA, the server's chain is also incomplete", anchor))
		}
		f.Hints = append(f.Hints, insecureHint)
	}
}

func firstProblem(links []ChainLink) string {
	for _, l := range links {
		if len(l.Problems) > 0 {
			return l.Subject + ": " + l.Problems[0]
		}
	}
	return "see the chain"
}

// alertFailure explains an alert the server sent.
func (a *attempt) alertFailure(f *Failure, fx facts, alert uint8) {
	f.Phase, f.Alert = PhaseHandshake, int(alert)
	said := fmt.Sprintf("the server sent TLS alert %d (%s)", alert, AlertName(alert))
	if fx.handshakeDone {
		said += " after the handshake had completed: TLS 1.3 servers judge the client certificate then, so it arrives with the first read"
	}
	switch alert {
	case 116:
		f.Category = ClientCertRequired
	case 40:
		switch {
		case fx.certReq != nil && !fx.sent:
			// OpenSSL under TLS 1.2 answers a missing certificate with a
			// generic handshake_failure.
			f.Category = ClientCertRequired
		case fx.certReq != nil:
			f.Category = a.narrow(ClientCertRejected, fx)
		default:
			f.Category = NoSharedCipher
		}
	case 42, 46, 49:
		f.Category = a.narrow(ClientCertRejected, fx)
	case 43:
		f.Category = ClientCertWrongUsage
	case 44:
		f.Category = ClientCertRevoked
	case 45:
		f.Category = ClientCertExpired
	case 48:
		f.Category = ClientCertUnknownCA
	case 70:
		a.versionMismatch(f, fx)
		f.Detail = said
		return
	case 71:
		f.Category = NoSharedCipher
	default:
		f.Category = TLSError
	}
	switch f.Category {
	case NoSharedCipher:
		minV, maxV := a.req.versions()
		f.Summary = "client and server could not agree on how to secure the connection (cipher suite, key exchange group or signature algorithm)"
		f.Detail = said
		f.Hints = []string{"the server may demand algorithms Go does not offer, or only legacy ones: check its cipher configuration",
			"you allowed " + versionRange(minV, maxV) + ": the server may need another version"}
	case TLSError:
		f.Summary = fmt.Sprintf("the server aborted the handshake with alert %d (%s)", alert, AlertName(alert))
		f.Detail = said
		switch alert {
		case 112:
			f.Hints = []string{"the server does not know the server name (SNI) " + safetext.Line(fx.serverName) + ": use the name it serves"}
		case 120:
			f.Hints = []string{"the server supports neither h2 nor http/1.1 via ALPN: it may serve another protocol"}
		default:
			f.Hints = []string{"check the server's logs for why it sent this alert"}
		}
	default:
		a.clientExplain(f, fx, said)
	}
}

// narrow refines a generic rejection of the client certificate with what
// local checks of that certificate show.
func (a *attempt) narrow(base Category, fx facts) Category {
	if !fx.sent || a.clientLeaf == nil {
		return ClientCertRequired
	}
	switch {
	case !allowsUsage(a.clientLeaf, x509.ExtKeyUsageClientAuth):
		return ClientCertWrongUsage
	case validity(a.clientLeaf, a.now) != "":
		return ClientCertExpired
	}
	if fx.certReq != nil {
		if _, ok := acceptedIssuer(a.clientChain, fx.certReq.acceptable); !ok {
			return ClientCertUnknownCA
		}
	}
	return base
}

// clientExplain writes summary and hints for the client-certificate
// categories; said is what the server did.
func (a *attempt) clientExplain(f *Failure, fx facts, said string) {
	who := a.identity()
	leaf := a.clientLeaf
	f.Detail = said
	accepted := a.acceptedCandidates(fx.certReq)
	switch f.Category {
	case ClientCertRequired:
		if a.req.ClientCert == nil {
			f.Summary = "the server requires a client certificate and none was sent: no identity was chosen"
		} else if !fx.sent {
			f.Summary = fmt.Sprintf("the server requires a client certificate; %s was not sent", who)
		} else {
			f.Summary = fmt.Sprintf("the server requires a client certificate and did not take %s", who)
		}
		f.Hints = append(f.Hints, accepted...)
		if a.req.ClientCert == nil {
			f.Hints = append(f.Hints, "choose an identity (a client certificate and its key) for this server")
		}
	case ClientCertUnknownCA:
		f.Summary = fmt.Sprintf("the server rejected %s: it does not trust its issuer", who)
		if leaf != nil {
			f.Summary = fmt.Sprintf("the server rejected %s: it does not trust its issuer %s", who, issuer(a.clientChain[len(a.clientChain)-1]))
		}
		f.Hints = append(f.Hints, accepted...)
		if leaf != nil && !selfSigned(a.clientChain[len(a.clientChain)-1]) {
			f.Hints = append(f.Hints, "if the issuer is an intermediate CA, send it with the certificate (add it to the identity's chain)")
		}
		f.Hints = append(f.Hints, "or ask the server's operator to trust your issuing CA")
	case ClientCertExpired:
		if leaf != nil && validity(leaf, a.now) != "" {
			f.Summary = fmt.Sprintf("the server rejected %s: it %s", who, validity(leaf, a.now))
			f.Hints = append(f.Hints, "renew the certificate (issue a new one for the same name)")
		} else {
			f.Summary = fmt.Sprintf("the server says %s is expired or not yet valid", who)
			if leaf != nil {
				f.Hints = append(f.Hints, fmt.Sprintf("it is valid here until %s: the server's clock may be wrong, or a CA in its chain expired", stamp(leaf.NotAfter)))
			}
		}
		f.Hints = append(f.Hints, accepted...)
	case ClientCertRevoked:
		f.Summary = fmt.Sprintf("the server rejected %s: it says the certificate is revoked", who)
		f.Hints = append(f.Hints, "get a new certificate from the issuing CA")
		f.Hints = append(f.Hints, accepted...)
	case ClientCertWrongUsage:
		if leaf != nil && !allowsUsage(leaf, x509.ExtKeyUsageClientAuth) {
			f.Summary = fmt.Sprintf("the server rejected %s: its extended key usage (%s) does not allow client authentication", who, ekuNames(leaf))
		} else {
			f.Summary = fmt.Sprintf("the server rejected %s as the wrong kind of certificate", who)
		}
		f.Hints = append(f.Hints, "issue a client certificate with extended key usage clientAuth")
		f.Hints = append(f.Hints, accepted...)
	default:
		f.Summary = fmt.Sprintf("the server rejected %s", who)
		if leaf != nil {
			f.Hints = append(f.Hints, fmt.Sprintf("local checks find nothing wrong (valid until %s, clientAuth allowed, issued by %s): the server's log says why it refused",
				stamp(leaf.NotAfter), issuer(leaf)))
		}
		f.Hints = append(f.Hints, accepted...)
	}
	if fx.certReq != nil && len(fx.certReq.acceptable) > 0 && f.Category != ClientCertExpired && f.Category != ClientCertRevoked {
		f.Hints = append(f.Hints, "the server accepts certificates issued by: "+acceptableList(fx.certReq.acceptable))
	}
}

func acceptableList(cas [][]byte) string {
	const show = 5
	names := make([]string, 0, show+1)
	for i, ca := range cas {
		if i == show {
			names = append(names, fmt.Sprintf("%d more", len(cas)-show))
			break
		}
		names = append(names, dnString(ca))
	}
	return strings.Join(names, "; ")
}

// diagnoseHTTP explains an HTTP answer of 400 or more.
func (a *attempt) diagnoseHTTP(h *HTTPInfo) *Failure {
	fx := a.facts()
	f := &Failure{Phase: PhaseResponse}
	body := h.Body[:min(len(h.Body), 64<<10)]
	said := fmt.Sprintf("the TLS handshake succeeded; the server answered HTTP %d", h.Status)
	switch {
	case h.Status == 400 && strings.Contains(string(body), "No required SSL certificate was sent"):
		// nginx's ssl_verify_client completes the handshake and answers 400
		// (its internal 496); only its error log has more.
		f.Category = ClientCertRequired
		a.clientExplain(f, fx, said+" with nginx's page \"No required SSL certificate was sent\"")
		f.Phase = PhaseResponse
		return f
	case h.Status == 400 && strings.Contains(string(body), "The SSL certificate error"):
		// nginx's internal 495: the certificate failed verification, the
		// reason is only in its error log, so local checks narrow it down.
		f.Category = a.narrow(ClientCertRejected, fx)
		a.clientExplain(f, fx, said+" with nginx's page \"The SSL certificate error\" (the reason is only in nginx's error log)")
		return f
	case h.Status == 401:
		f.Category = HTTPUnauthorized
		f.Summary = "the server accepted the TLS connection, but the application refused the request as unauthenticated (401)"
		f.Hints = []string{"the application wants other credentials: check the WWW-Authenticate header and the body"}
		if fx.sent {
			f.Hints = append(f.Hints, fmt.Sprintf("if it authorizes by client certificate, %s may not be on its allow list", a.identity()))
		}
	case h.Status == 403:
		f.Category = HTTPForbidden
		f.Summary = "the server accepted the TLS connection, but the application forbids this request (403)"
		f.Hints = []string{"the identity is known but lacks permission for this path or method: check the application's access rules"}
		if fx.sent {
			f.Hints = append(f.Hints, fmt.Sprintf("if access is granted per client certificate, try another identity than %s", a.identity()))
		}
	default:
		f.Category = HTTPError
		f.Summary = fmt.Sprintf("the server answered HTTP %d", h.Status)
		f.Hints = []string{"the body and headers above say more"}
		if h.Status >= 500 {
			f.Hints = []string{"the server failed while handling the request: check its logs"}
		}
	}
	f.Detail = said
	if reason := bodyReason(h); reason != "" {
		f.Detail += ": " + reason
	}
	return f
}

// bodyReason is what an error body says, in one line: the message field of
// a JSON error (a JSON body's first line is only "{"), else the first
// non-empty line of text.
func bodyReason(h *HTTPInfo) string {
	if h.BodyBinary || h.BodyPreview == "" {
		return ""
	}
	var doc map[string]any
	if json.Unmarshal(h.Body, &doc) == nil {
		for _, k := range []string{"error_description", "message", "reason", "error", "detail", "title"} {
			if v, ok := doc[k].(string); ok && strings.TrimSpace(v) != "" {
				return clip(safetext.Line(strings.TrimSpace(v)), 200)
			}
		}
	}
	for _, line := range strings.Split(h.BodyPreview, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return clip(line, 200)
		}
	}
	return ""
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
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
