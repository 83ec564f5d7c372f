package tlsengine

import "fmt"

// localRevokedRule: the server refused the certificate (or closed) without
// naming why, and the identity's issuer says it is revoked: its CRL (a
// distribution point, or --crl) or its OCSP responder.
type localRevokedRule struct{}

func (localRevokedRule) Info() ruleInfo {
	return ruleInfo{Name: "local-revoked", Categories: []Category{ClientCertRevoked},
		Source: "RFC 5280 5 (CRLs) and RFC 6960 (OCSP): a revoked certificate fails the server's path validation; nginx says only \"The SSL certificate error\""}
}

func (localRevokedRule) Applies(ev *evidence) bool {
	return ev.client.revoked && ev.revocation != nil && !alertIs(ev, 44) && worthRevocation(ev)
}

func (localRevokedRule) Propose(ev *evidence) []Cause {
	said := "the server gave no reason"
	phase := ev.phase
	if r, ok := rejectionOf(ev); ok {
		said, phase = r.said, r.phase
	} else if ev.answer != nil {
		said = answerDetail(ev)
	}
	c := clientCause(ev, ClientCertRevoked, said)
	c.Confidence, c.phase = Likely, phase
	c.Evidence = fmt.Sprintf("local check: %s is %s", ev.client.who, ev.revocation.Summary())
	c.summary = fmt.Sprintf("the server refused %s, which its issuer has revoked", ev.client.who)
	return []Cause{c}
}
