package tlsengine

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// The server-chain rules explain why the client refused the server's
// certificate. x509.Verify reports one reason, so exactly one of them
// applies: serverFault says which.

type serverFaultKind int

const (
	noServerFault serverFaultKind = iota
	serverFaultValidity
	serverFaultHostname
	serverFaultIncomplete
	serverFaultUntrusted
)

// serverFault classifies the verification error of a refused server chain.
func serverFault(ev *evidence) serverFaultKind {
	if !ev.serverReject || len(ev.server.peer) == 0 {
		// No certificate to name: the fallback reports the error as it is.
		return noServerFault
	}
	err := errors.Unwrap(ev.server.err)
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return serverFaultValidity
	case errors.As(err, new(x509.HostnameError)):
		return serverFaultHostname
	case ev.server.incomplete:
		return serverFaultIncomplete
	}
	return serverFaultUntrusted
}

const insecureHint = "only to look at the rest of the exchange: turn verification off (insecure); never trust data sent that way"

// serverValidityRule: a certificate of the server's chain is outside its
// validity period at this computer's time.
type serverValidityRule struct{}

func (serverValidityRule) Info() ruleInfo {
	return ruleInfo{Name: "server-cert-validity", Categories: []Category{ServerCertExpired, ServerCertNotYetValid},
		Source: "RFC 5280 6.1.3 (a)(2): every certificate of the path must be valid at the current time"}
}

func (serverValidityRule) Applies(ev *evidence) bool { return serverFault(ev) == serverFaultValidity }

func (serverValidityRule) Propose(ev *evidence) []Cause {
	sc, now := ev.server, ev.req.now
	var ci x509.CertificateInvalidError
	errors.As(errors.Unwrap(sc.err), &ci)
	c := ci.Cert
	if c == nil {
		c = sc.peer[0]
	}
	cause := Cause{Confidence: Certain, phase: PhaseHandshake}
	if now.Before(c.NotBefore) {
		cause.Category = ServerCertNotYetValid
		cause.Evidence = fmt.Sprintf("local check: the server's certificate %s starts %s, after this computer's time", subject(c), stamp(c.NotBefore))
		cause.summary = fmt.Sprintf("the server's certificate %s is not valid yet: it starts %s", subject(c), stamp(c.NotBefore))
		cause.hints = []string{"check this computer's clock (it reads " + stamp(now) + ")",
			"or the server operator installed a certificate dated in the future"}
	} else {
		cause.Category = ServerCertExpired
		cause.Evidence = fmt.Sprintf("local check: the server's certificate %s expired %s ago", subject(c), ago(now.Sub(c.NotAfter)))
		cause.summary = fmt.Sprintf("the server's certificate %s expired at %s (%s ago)", subject(c), stamp(c.NotAfter), ago(now.Sub(c.NotAfter)))
		cause.hints = []string{"the server operator must renew the certificate",
			"check this computer's clock (it reads " + stamp(now) + ")", insecureHint}
	}
	if !c.Equal(sc.peer[0]) {
		cause.detail = fmt.Sprintf("the certificate at fault is in the chain, not the server's own (%s)", subject(sc.peer[0]))
	}
	return []Cause{cause}
}

// serverHostnameRule: the server's certificate does not name the host.
type serverHostnameRule struct{}

func (serverHostnameRule) Info() ruleInfo {
	return ruleInfo{Name: "server-hostname", Categories: []Category{ServerHostnameMismatch},
		Source: "RFC 9110 4.3.4 and RFC 6125 6: the certificate must name the host the client meant to reach"}
}

func (serverHostnameRule) Applies(ev *evidence) bool { return serverFault(ev) == serverFaultHostname }

func (serverHostnameRule) Propose(ev *evidence) []Cause {
	var hn x509.HostnameError
	errors.As(errors.Unwrap(ev.server.err), &hn)
	c := hn.Certificate
	if c == nil {
		c = ev.server.peer[0]
	}
	name := safetext.Line(ev.serverName)
	return []Cause{{Category: ServerHostnameMismatch, Confidence: Certain, phase: PhaseHandshake,
		Evidence: fmt.Sprintf("local check: the server's certificate is valid for %s, not for %q", validNames(c), name),
		summary:  fmt.Sprintf("the server's certificate is not valid for %q: it is valid for %s", name, validNames(c)),
		hints: []string{"use a host name the certificate covers in the URL",
			"or keep the address and set the server name (SNI) to one of the names above",
			"if the server hosts several sites, it may be serving its default certificate: the server name selects the site"}}}
}

// serverChainIncompleteRule: the server's chain lacks an intermediate.
type serverChainIncompleteRule struct{}

func (serverChainIncompleteRule) Info() ruleInfo {
	return ruleInfo{Name: "server-chain-incomplete", Categories: []Category{ServerChainIncomplete},
		Source: "RFC 8446 4.4.2 / RFC 5246 7.4.2: the server sends its chain up to (not necessarily including) the root"}
}

func (serverChainIncompleteRule) Applies(ev *evidence) bool {
	return serverFault(ev) == serverFaultIncomplete
}

func (serverChainIncompleteRule) Propose(ev *evidence) []Cause {
	sc := ev.server
	leaf := sc.peer[0]
	fullChain := "the server must send its certificate followed by the intermediate(s) (for nginx: ssl_certificate pointing at the full chain)"
	c := Cause{Category: ServerChainIncomplete, Confidence: Certain, phase: PhaseHandshake}
	if len(sc.missing) == 0 {
		c.Evidence = fmt.Sprintf("local check: the server sent only its own certificate, issued by %s, which no trusted or known CA is", issuer(leaf))
		c.summary = fmt.Sprintf("the server sent only its own certificate, issued by %s, which is not a trusted root: its chain is likely incomplete", issuer(leaf))
		c.detail = "public CAs issue server certificates from intermediates; browsers often hide a missing one, other clients fail"
		c.hints = []string{fullChain, "as a workaround, import the intermediate " + issuer(leaf) + " and trust it for this request"}
		return []Cause{c}
	}
	names := make([]string, len(sc.missing))
	for i, m := range sc.missing {
		names[i] = subject(m)
	}
	c.summary = fmt.Sprintf("the server's chain is incomplete: it does not send the intermediate %s", nameList(names))
	if sc.fetchedFrom != "" {
		c.Evidence = fmt.Sprintf("local check: the chain verifies once %s, fetched from %s (the caIssuers URL of the certificate it issued), is added", nameList(names), sc.fetchedFrom)
		c.detail = fmt.Sprintf("mtlswb fetched the missing intermediate from %s, as browsers do without saying; curl, Go, Java and OpenSSL clients fail instead", sc.fetchedFrom)
		c.hints = []string{fullChain, "as a workaround, import that intermediate (download it from " + sc.fetchedFrom + ", then mtlswb import) and trust it for this request"}
		return []Cause{c}
	}
	c.Evidence = fmt.Sprintf("local check: the chain verifies once %s from your CAs is added", nameList(names))
	c.detail = "the chain verifies once the intermediate from your CAs is added, so the server's configuration is missing it"
	workaround := "as a workaround, trust the intermediate for this request"
	if held := ev.missingHeldBy; len(held) > 0 {
		quoted := make([]string, len(held))
		for i, n := range held {
			quoted[i] = quoteName(n)
		}
		workaround = fmt.Sprintf("as a workaround, trust %s for this request (--ca %s, or the composer's trust picker)", nameList(quoted), safetext.Line(held[0]))
	}
	c.hints = []string{fullChain, workaround}
	return []Cause{c}
}

// serverUntrustedRule: the server's chain leads to no trusted CA, or is
// invalid in a way the other server rules do not name.
type serverUntrustedRule struct{}

func (serverUntrustedRule) Info() ruleInfo {
	return ruleInfo{Name: "server-chain-untrusted", Categories: []Category{ServerCertUntrusted},
		Source: "RFC 5280 6.1: the path must end at a trust anchor and every link must verify"}
}

func (serverUntrustedRule) Applies(ev *evidence) bool { return serverFault(ev) == serverFaultUntrusted }

func (serverUntrustedRule) Propose(ev *evidence) []Cause {
	sc := ev.server
	top := sc.peer[len(sc.peer)-1]
	anchor := issuer(top)
	if selfSigned(top) {
		anchor = subject(top)
	}
	c := Cause{Category: ServerCertUntrusted, Confidence: Certain, phase: PhaseHandshake}
	err := errors.Unwrap(sc.err)
	if errors.As(err, new(x509.UnknownAuthorityError)) || errors.As(err, new(x509.SystemRootsError)) {
		c.Evidence = fmt.Sprintf("local check: the server's chain leads to %s, which is not a trusted CA", anchor)
		c.summary = fmt.Sprintf("the server's certificate is not trusted: its chain leads to %s, which is not among the trusted CAs", anchor)
	} else {
		c.Evidence = "local check: " + firstProblem(sc.links)
		c.summary = "the server's certificate chain is not valid: " + firstProblem(sc.links)
	}
	for _, name := range sc.wouldVerify {
		c.hints = append(c.hints, fmt.Sprintf("CA %s in your workspace would verify this server: trust it for this request", quoteName(name)))
	}
	if len(ev.req.trustNames) > 0 {
		names := make([]string, len(ev.req.trustNames))
		for i, n := range ev.req.trustNames {
			names[i] = quoteName(n)
		}
		c.detail = "trusted for this request: " + nameList(names)
	} else if ev.req.systemTrust {
		c.detail = "trusted for this request: the system's CAs"
	}
	if len(sc.wouldVerify) == 0 {
		c.hints = append(c.hints, fmt.Sprintf("if you trust this server, import the CA %s (compare its fingerprint with one obtained another way) and trust it", anchor))
	}
	if len(sc.peer) == 1 && !selfSigned(top) {
		c.hints = append(c.hints, fmt.Sprintf("the server sent no intermediates: if %s is an intermediate CA, the server's chain is also incomplete", anchor))
	}
	c.hints = append(c.hints, insecureHint)
	return []Cause{c}
}

func firstProblem(links []ChainLink) string {
	for _, l := range links {
		if len(l.Problems) > 0 {
			return safetext.Line(l.Subject) + ": " + l.Problems[0]
		}
	}
	return "see the chain"
}
