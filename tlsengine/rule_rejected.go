package tlsengine

import (
	"crypto/tls"
	"fmt"
)

// A rejection is a server refusing the client certificate without saying
// why. The rules in this file rank the explanations: the local checks of
// the identity sent, else "rejected for a reason only the server knows".

// rejection is what the server did and how sure it is that the client
// certificate was refused at all.
type rejection struct {
	said     string // what the server did, for a Failure's detail
	evidence string // the same in one sentence, for a Cause
	phase    Phase
	sure     Confidence
}

// nginxCertError is nginx's page for its internal status 495: the client
// certificate failed verification, and only its error log says why.
const nginxCertError = "The SSL certificate error"

// rejectionOf finds a rejection without a reason in the evidence.
func rejectionOf(ev *evidence) (rejection, bool) {
	switch {
	case ev.alert != nil:
		n := ev.alert.number
		// bad_certificate, certificate_unknown and access_denied give no
		// reason (RFC 8446 6.2); handshake_failure after a certificate was
		// sent is how some servers refuse it under TLS 1.2.
		if n == 42 || n == 46 || n == 49 || (n == 40 && ev.certReq != nil && ev.client.sent) {
			return rejection{said: alertSaid(ev), evidence: alertEvidence(ev), phase: PhaseHandshake, sure: Certain}, true
		}
	case ev.answer != nil:
		if ev.answer.status == 400 && ev.answer.bodySays(nginxCertError) && !ev.answer.bodySays(nginxNoCertificate) {
			said := fmt.Sprintf("the TLS handshake succeeded; the server answered HTTP %d with nginx's page \"%s\" (the reason is only in nginx's error log)",
				ev.answer.status, nginxCertError)
			return rejection{said: said, evidence: "the server answered HTTP 400 with nginx's page \"" + nginxCertError + "\"",
				phase: PhaseResponse, sure: Certain}, true
		}
	case closedAfterTLS13CertRequest(ev):
		// A TLS 1.3 server judges the client certificate after the client
		// considers the handshake done; one that closes without an alert
		// right then may have rejected it, or may have failed otherwise.
		return rejection{
			said:     "the server closed the connection right after the handshake without a reason (with TLS 1.3 this is how a rejected client certificate can look)",
			evidence: "the server closed the connection without an alert right after a TLS 1.3 handshake in which it asked for a client certificate",
			phase:    PhaseHandshake, sure: Likely}, true
	}
	return rejection{}, false
}

// closedAfterTLS13CertRequest: the connection closed without an alert after
// a TLS 1.3 handshake in which the server asked for a certificate.
func closedAfterTLS13CertRequest(ev *evidence) bool {
	return ev.closed && ev.alert == nil && ev.handshakeDone && ev.version == tls.VersionTLS13 && ev.certReq != nil
}

// rejectedWithoutReasonRule proposes the rejection itself: client-cert-
// rejected, or client-cert-required when nothing was sent. When a local
// check explains the rejection, this is only the possible alternative.
type rejectedWithoutReasonRule struct{}

func (rejectedWithoutReasonRule) Info() ruleInfo {
	return ruleInfo{Name: "rejected-without-reason", Categories: []Category{ClientCertRejected, ClientCertRequired},
		Source: "RFC 8446 6.2 bad_certificate (42), certificate_unknown (46), access_denied (49); nginx 495; a bare close after TLS 1.3 client auth"}
}

func (rejectedWithoutReasonRule) Applies(ev *evidence) bool {
	_, ok := rejectionOf(ev)
	return ok
}

func (rejectedWithoutReasonRule) Propose(ev *evidence) []Cause {
	r, _ := rejectionOf(ev)
	cl := ev.client
	var c Cause
	switch {
	case !cl.sent || cl.leaf == nil:
		c = clientCause(ev, ClientCertRequired, r.said)
		c.Confidence, c.Evidence = r.sure, r.evidence+"; no client certificate was sent"
	case cl.problems():
		c = clientCause(ev, ClientCertRejected, r.said)
		c.Confidence, c.Evidence = Possible, r.evidence+"; the server may also refuse it for a reason local checks cannot see"
	default:
		c = clientCause(ev, ClientCertRejected, r.said)
		c.Confidence, c.Evidence = r.sure, r.evidence+"; local checks of "+cl.who+" find nothing wrong"
	}
	c.phase = r.phase
	return []Cause{c}
}

// localCheck is a rule that explains a rejection with a local check of the
// certificate sent; failing reports whether its check fails and why.
func localCheck(ev *evidence, failing func(clientEvidence) (string, bool)) (rejection, string, bool) {
	cl := ev.client
	if !cl.sent || cl.leaf == nil {
		return rejection{}, "", false
	}
	r, ok := rejectionOf(ev)
	if !ok {
		return r, "", false
	}
	why, bad := failing(cl)
	return r, why, bad
}

func localCause(ev *evidence, cat Category, failing func(clientEvidence) (string, bool)) []Cause {
	r, why, _ := localCheck(ev, failing)
	c := clientCause(ev, cat, r.said)
	c.Confidence, c.Evidence, c.phase = Likely, r.evidence+"; local check: "+why, r.phase
	return []Cause{c}
}

// localNoClientAuthRule: the certificate sent may not authenticate a client.
type localNoClientAuthRule struct{}

func (localNoClientAuthRule) Info() ruleInfo {
	return ruleInfo{Name: "local-no-client-auth", Categories: []Category{ClientCertWrongUsage},
		Source: "RFC 5280 4.2.1.12: a certificate whose extended key usage lacks clientAuth may not authenticate a TLS client"}
}

func noClientAuth(cl clientEvidence) (string, bool) {
	return fmt.Sprintf("the extended key usage of %s (%s) does not allow clientAuth", cl.who, ekuNames(cl.leaf)), !cl.clientAuth
}

func (localNoClientAuthRule) Applies(ev *evidence) bool {
	_, _, bad := localCheck(ev, noClientAuth)
	return bad
}

func (localNoClientAuthRule) Propose(ev *evidence) []Cause {
	return localCause(ev, ClientCertWrongUsage, noClientAuth)
}

// localValidityRule: the certificate sent is expired or not yet valid.
type localValidityRule struct{}

func (localValidityRule) Info() ruleInfo {
	return ruleInfo{Name: "local-validity", Categories: []Category{ClientCertExpired},
		Source: "RFC 5280 4.1.2.5: a certificate outside its validity period does not verify"}
}

func outsideValidity(cl clientEvidence) (string, bool) {
	return cl.who + " " + cl.validity, cl.validity != ""
}

func (localValidityRule) Applies(ev *evidence) bool {
	_, _, bad := localCheck(ev, outsideValidity)
	return bad
}

func (localValidityRule) Propose(ev *evidence) []Cause {
	return localCause(ev, ClientCertExpired, outsideValidity)
}

// localIssuerNotListedRule: no issuer of the chain sent is among the CAs
// the server's certificate request listed.
type localIssuerNotListedRule struct{}

func (localIssuerNotListedRule) Info() ruleInfo {
	return ruleInfo{Name: "local-issuer-not-listed", Categories: []Category{ClientCertUnknownCA},
		Source: "RFC 8446 4.2.4 / RFC 5246 7.4.4 certificate_authorities: the CAs whose certificates the server accepts"}
}

func issuerNotListed(cl clientEvidence) (string, bool) {
	return fmt.Sprintf("%s is issued by %s, which the server's certificate request does not list", cl.who, issuer(cl.chain[len(cl.chain)-1])), !cl.issuerListed
}

func (localIssuerNotListedRule) Applies(ev *evidence) bool {
	_, _, bad := localCheck(ev, issuerNotListed)
	return bad
}

func (localIssuerNotListedRule) Propose(ev *evidence) []Cause {
	return localCause(ev, ClientCertUnknownCA, issuerNotListed)
}
