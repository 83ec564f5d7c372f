package tlsengine

import (
	"crypto/tls"
	"fmt"
)

// Apache's per-directory client authentication (SSLVerifyClient require in
// a <Location> or <Directory>) asks for the certificate after the request
// line. With TLS 1.2 it renegotiates, which the engine accepts once; with
// TLS 1.3 it uses post-handshake authentication (RFC 8446 4.6.2), which
// crypto/tls does not implement and so never offers. Apache then answers
// 403 with this reason, although no certificate was ever asked for in the
// handshake or sent.
const apachePHA = "Cannot perform Post-Handshake Authentication"

// postHandshakeAuthRule: the server wanted the client certificate after a
// TLS 1.3 handshake, by post-handshake authentication.
type postHandshakeAuthRule struct{}

func (postHandshakeAuthRule) Info() ruleInfo {
	return ruleInfo{Name: "tls13-post-handshake-auth", Categories: []Category{ClientCertRequired},
		Source: "RFC 8446 4.6.2 post-handshake authentication; Apache mod_ssl answers 403 \"" + apachePHA + "\" to a client that does not offer it"}
}

func (postHandshakeAuthRule) Applies(ev *evidence) bool {
	a := ev.answer
	if a == nil || (a.status != 403 && a.status != 401) || ev.certReq != nil || ev.version != tls.VersionTLS13 {
		return false
	}
	return a.bodySays(apachePHA) || ev.client.chosen
}

func (postHandshakeAuthRule) Propose(ev *evidence) []Cause {
	cl := ev.client
	retry := "retry with TLS 1.2 (--tls-max 1.2): the server then asks by renegotiation, which mtlswb answers"
	if cl.chosen {
		retry += " with " + cl.who
	} else {
		retry = "choose an identity and " + retry
	}
	c := Cause{Category: ClientCertRequired, phase: PhaseResponse, detail: answerDetail(ev),
		summary: "the server asks for the client certificate after the TLS 1.3 handshake (post-handshake authentication), which mtlswb cannot answer: no certificate was sent",
		hints: []string{retry,
			"or ask the server's operator to require the certificate for the whole site (Apache: SSLVerifyClient require at the virtual-host level, not in a <Location>), so it is asked for in the handshake"}}
	if ev.answer.bodySays(apachePHA) {
		c.Confidence = Certain
		c.detail = fmt.Sprintf("the TLS handshake succeeded; the server answered HTTP %d: Reason: %s.", ev.answer.status, apachePHA)
		c.Evidence = fmt.Sprintf("the server answered HTTP %d \"%s\" after a TLS 1.3 handshake in which it asked for no client certificate", ev.answer.status, apachePHA)
		return []Cause{c}
	}
	c.Confidence = Possible
	c.Evidence = fmt.Sprintf("the server answered HTTP %d after a TLS 1.3 handshake in which it asked for no client certificate, so %s was never sent; a server that wants one for this path only asks after the handshake", ev.answer.status, cl.who)
	c.summary = "the server may want the client certificate for this path only, asked for after the TLS 1.3 handshake (post-handshake authentication), which mtlswb cannot answer"
	return []Cause{c}
}
