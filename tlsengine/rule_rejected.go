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
// a TLS 1.3 handshake in which the server asked for a certificate, and
// before any session ticket, which a server sends only once it has accepted
// the certificate.
func closedAfterTLS13CertRequest(ev *evidence) bool {
	return ev.closed && ev.alert == nil && ev.handshakeDone && ev.version == tls.VersionTLS13 && ev.certReq != nil &&
		!ev.ticketsReceived
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

// localCheckRule explains a rejection with a local check of the
// certificate sent. One rule per check, registered in rules.
type localCheckRule struct {
	name     string
	category Category
	source   string
	// failing says why the check fails for the certificate sent, and
	// whether it does.
	failing func(cl clientEvidence) (string, bool)
}

var (
	localNoClientAuthRule = localCheckRule{name: "local-no-client-auth", category: ClientCertWrongUsage,
		source: "RFC 5280 4.2.1.12: a certificate whose extended key usage lacks clientAuth may not authenticate a TLS client",
		failing: func(cl clientEvidence) (string, bool) {
			return fmt.Sprintf("the extended key usage of %s (%s) does not allow clientAuth", cl.who, ekuNames(cl.leaf)), !cl.clientAuth
		}}
	localValidityRule = localCheckRule{name: "local-validity", category: ClientCertExpired,
		source: "RFC 5280 4.1.2.5: a certificate outside its validity period does not verify",
		failing: func(cl clientEvidence) (string, bool) {
			return cl.who + " " + cl.validity, cl.validity != ""
		}}
	localIssuerNotListedRule = localCheckRule{name: "local-issuer-not-listed", category: ClientCertUnknownCA,
		source: "RFC 8446 4.2.4 / RFC 5246 7.4.4 certificate_authorities: the CAs whose certificates the server accepts",
		failing: func(cl clientEvidence) (string, bool) {
			return fmt.Sprintf("%s is issued by %s, which the server's certificate request does not list", cl.who, issuer(cl.chain[len(cl.chain)-1])), !cl.issuerListed
		}}
)

func (r localCheckRule) Info() ruleInfo {
	return ruleInfo{Name: r.name, Categories: []Category{r.category}, Source: r.source}
}

func (r localCheckRule) Applies(ev *evidence) bool {
	if !ev.client.sent || ev.client.leaf == nil {
		return false
	}
	if _, ok := rejectionOf(ev); !ok {
		return false
	}
	_, bad := r.failing(ev.client)
	return bad
}

func (r localCheckRule) Propose(ev *evidence) []Cause {
	rej, _ := rejectionOf(ev)
	why, _ := r.failing(ev.client)
	c := clientCause(ev, r.category, rej.said)
	c.Confidence, c.Evidence, c.phase = Likely, rej.evidence+"; local check: "+why, rej.phase
	return []Cause{c}
}
