package tlsengine

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// unjudged says why a handshake that completed is no verdict on the client
// certificate, or returns nil when it is one. A handshake-only attempt (a
// probe, tls://) sees the server's TLS-layer verdict only: a server that
// asked for a certificate optionally (nginx's optional, HAProxy's verify
// optional) completes the handshake without one, and nginx completes it
// even for a certificate it will refuse, then answers at the HTTP layer.
// When the server asked, and took none or one that does not fit its
// request, the probe must not report plain success.
func (a *attempt) unjudged(out outcome) *Unjudged {
	if out.answered() {
		return nil // the application answered: that is the verdict
	}
	a.mu.Lock()
	cr, sent, done := a.certReq, a.sent, a.handshakeDone
	a.mu.Unlock()
	if cr == nil || !done {
		return nil
	}
	const summary = "handshake completed; the server has not judged the certificate at the TLS layer — use send to see the verdict"
	hint := "send a request (mtlswb send https://" + safetext.Line(a.tgt.addr) + "/): the server judges the certificate in its answer (nginx's 400 and 495/496 pages, 401/403)"
	if !sent {
		return &Unjudged{Summary: summary, Hints: []string{
			"the server asked for a client certificate, none was sent, and it completed the handshake: it asks optionally, and the application decides",
			hint}}
	}
	var misfit []string
	if _, ok := acceptedIssuer(a.clientChain, cr.acceptable); !ok {
		misfit = append(misfit, fmt.Sprintf("its issuer %s is not among the CAs the server lists", issuer(a.clientLeaf)))
	}
	if v := validity(a.clientLeaf, a.now); v != "" {
		misfit = append(misfit, "it "+v)
	}
	if !allowsUsage(a.clientLeaf, x509.ExtKeyUsageClientAuth) {
		misfit = append(misfit, "its extended key usage does not allow clientAuth")
	}
	if !keyTypeAllowed(a.clientLeaf.PublicKey, cr.version, cr.schemes) {
		misfit = append(misfit, "its key cannot sign with any signature scheme the server allows")
	}
	if len(misfit) == 0 {
		return nil
	}
	return &Unjudged{Summary: summary, Hints: []string{
		fmt.Sprintf("%s does not fit the server's certificate request (%s), yet the handshake completed: the server leaves the verdict to the application",
			a.identity(), strings.Join(misfit, "; ")),
		hint}}
}
