package tlsengine

import (
	"context"
	"crypto/tls"
	"crypto/x509"

	"github.com/mtlswb/mtlswb/tlsengine/revocation"
)

// The evidence below costs more than reading what the attempt saw: a walk
// over the caller's CAs, fetches of CRLs and OCSP answers, a second
// handshake. Diagnosis gathers it only when the server gave no specific
// reason, which is when it can decide between causes.

// chainEvidence finds, for the identity's chain, how many intermediates
// lead to its root and the intermediate missing above the chain sent.
func (a *attempt) chainEvidence(c *clientEvidence) {
	top := c.chain[len(c.chain)-1]
	for i := 1; i < len(c.chain); i++ {
		if c.chain[i].IsCA && !selfSigned(c.chain[i]) {
			c.intermediates++
		}
	}
	for hops := 0; !selfSigned(top) && hops < 8; hops++ {
		name, ca := a.knownIssuerOf(top)
		if ca == nil {
			break
		}
		if !selfSigned(ca) {
			c.intermediates++
			if hops == 0 {
				c.missingIssuer, c.completingCA = ca, name
				c.carriedBy = a.carrierOf(ca)
			}
		}
		top = ca
	}
}

// knownIssuerOf finds the caller's CA that issued c, with its name.
func (a *attempt) knownIssuerOf(c *x509.Certificate) (string, *x509.Certificate) {
	for _, k := range a.req.KnownCAs {
		for _, ca := range k.Chain {
			if !ca.Equal(c) && issuedBy(c, ca) {
				return k.Name, ca
			}
		}
	}
	for i, r := range a.req.Roots {
		if !r.Equal(c) && issuedBy(c, r) {
			name := subject(r)
			if i < len(a.req.RootNames) {
				name = a.req.RootNames[i]
			}
			return name, r
		}
	}
	return "", nil
}

// carrierOf names another identity whose chain already carries ca.
func (a *attempt) carrierOf(ca *x509.Certificate) string {
	for _, id := range a.req.Candidates {
		if len(id.Chain) > 1 && contains(id.Chain[1:], ca) && id.Name != a.req.ClientName {
			return id.Name
		}
	}
	return ""
}

// gatherMore adds the costly evidence when the rest leaves the cause open.
func (a *attempt) gatherMore(ctx context.Context, ev *evidence) {
	if ctx == nil {
		ctx = context.Background()
	}
	if worthRevocation(ev) {
		ev.revocation = a.checkRevocation(ctx)
		ev.client.revoked = ev.revocation != nil && ev.revocation.State == revocation.Revoked
	}
	if worthRetry(ev) && (a.req.Explain || a.req.Probe) {
		ev.retry = a.retryTLS12(ctx)
	}
}

// worthRevocation: a certificate went out and the server refused it, or
// closed, without naming why (or named revocation, which the CRL can
// confirm).
func worthRevocation(ev *evidence) bool {
	if !ev.client.sent || ev.client.leaf == nil {
		return false
	}
	if _, ok := rejectionOf(ev); ok || alertIs(ev, 44) {
		return true
	}
	if ev.closed && ev.alert == nil && ev.handshakeDone {
		return true
	}
	return ev.answer != nil && ev.answer.status == 400
}

// worthRetry: a TLS 1.3 server that asked for a certificate closed after
// the handshake without an alert and before any session ticket. Under TLS
// 1.2 the same server judges the certificate inside the handshake, where a
// rejection comes with an alert: the retry tells a rejection from a crash.
func worthRetry(ev *evidence) bool {
	return ev.closed && ev.alert == nil && ev.handshakeDone && ev.version == tls.VersionTLS13 &&
		ev.certReq != nil && !ev.ticketsReceived && ev.req.minVersion <= tls.VersionTLS12
}

// retryOutcome is what the TLS 1.2 retry showed.
type retryOutcome struct {
	ok       bool // the handshake completed and the server sent no verdict
	alert    uint8
	category Category // the retry's own diagnosis; "" when ok
	summary  string
}

// retryTLS12 probes the target again with TLS 1.2 at most, the same
// identity and trust: a handshake only, so nothing is sent twice.
func (a *attempt) retryTLS12(ctx context.Context) *retryOutcome {
	req := a.req
	req.Probe, req.MaxVersion, req.Explain, req.CRLs = true, tls.VersionTLS12, false, nil
	rep := Run(ctx, req)
	out := &retryOutcome{ok: rep.OK}
	if f := rep.Failure; f != nil {
		out.alert, out.category, out.summary = uint8(f.Alert), f.Category, f.Summary
	}
	a.mu.Lock()
	a.retry = out
	a.mu.Unlock()
	return out
}

// retryInfo reports the retry, when one was made.
func (a *attempt) retryInfo() *Retry {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.retry
	if r == nil {
		return nil
	}
	return &Retry{MaxVersion: tls.VersionName(tls.VersionTLS12), OK: r.ok, Category: r.category, Alert: int(r.alert), Summary: r.summary}
}
