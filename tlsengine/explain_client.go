package tlsengine

import (
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// clientCause explains a client-certificate category: its summary and hints
// come from the local checks of the identity, its detail is said (what the
// server did). The rule sets confidence, evidence and phase.
func clientCause(ev *evidence, cat Category, said string) Cause {
	c := Cause{Category: cat, detail: said}
	cl := ev.client
	who, leaf := cl.who, cl.leaf
	switch cat {
	case ClientCertRequired:
		switch {
		case !cl.chosen:
			c.summary = "the server requires a client certificate and none was sent: no identity was chosen"
		case !cl.sent:
			c.summary = fmt.Sprintf("the server requires a client certificate; %s was not sent", who)
		default:
			c.summary = fmt.Sprintf("the server requires a client certificate and did not take %s", who)
		}
		c.hints = append(c.hints, cl.fitting...)
		if !cl.chosen {
			c.hints = append(c.hints, "choose an identity (a client certificate and its key) for this server")
		}
	case ClientCertUnknownCA:
		c.summary = fmt.Sprintf("the server rejected %s: it does not trust its issuer", who)
		if leaf != nil {
			// Name the identity's own issuer: the top of the chain sent is
			// an intermediate's issuer when the chain carries one.
			c.summary = fmt.Sprintf("the server rejected %s: it does not trust its issuer %s", who, issuer(leaf))
			if top := cl.chain[len(cl.chain)-1]; top != leaf {
				c.summary += fmt.Sprintf(" (sent with its chain up to %s)", issuer(top))
			}
		}
		c.hints = append(c.hints, missingIntermediateHints(cl)...)
		c.hints = append(c.hints, cl.fitting...)
		if leaf != nil && cl.missingIssuer == nil && !selfSigned(cl.chain[len(cl.chain)-1]) {
			c.hints = append(c.hints, "if the issuer is an intermediate CA, send it with the certificate (add it to the identity's chain)")
		}
		if cl.deepChain() {
			c.hints = append(c.hints, fmt.Sprintf("the chain has %d intermediates: a server that verifies fewer (nginx's default: %d) refuses it; ask for ssl_verify_depth %d (Apache: SSLVerifyDepth %d)",
				cl.intermediates, nginxDefaultDepth, cl.intermediates, cl.intermediates+1))
		}
		if leaf != nil {
			c.hints = append(c.hints, "or ask the server's operator to trust your issuing CA "+issuer(leaf))
		} else {
			c.hints = append(c.hints, "or ask the server's operator to trust your issuing CA")
		}
	case ClientCertExpired:
		if leaf != nil && cl.validity != "" {
			c.summary = fmt.Sprintf("the server rejected %s: it %s", who, cl.validity)
			c.hints = append(c.hints, "renew the certificate (issue a new one for the same name)")
		} else {
			c.summary = fmt.Sprintf("the server says %s is expired or not yet valid", who)
			if leaf != nil {
				c.hints = append(c.hints, fmt.Sprintf("it is valid here until %s: the server's clock may be wrong, or a CA in its chain expired", stamp(leaf.NotAfter)))
			}
		}
		c.hints = append(c.hints, cl.fitting...)
	case ClientCertRevoked:
		c.summary = fmt.Sprintf("the server rejected %s: it says the certificate is revoked", who)
		c.hints = append(c.hints, "get a new certificate from the issuing CA")
		if r := ev.revocation; r != nil && r.State != revocation.Unknown {
			c.hints = append(c.hints, "here: "+r.Summary())
		}
		c.hints = append(c.hints, cl.fitting...)
	case ClientCertWrongUsage:
		if leaf != nil && !cl.clientAuth {
			c.summary = fmt.Sprintf("the server rejected %s: its extended key usage (%s) does not allow client authentication", who, ekuNames(leaf))
		} else {
			c.summary = fmt.Sprintf("the server rejected %s as the wrong kind of certificate", who)
		}
		c.hints = append(c.hints, "issue a client certificate with extended key usage clientAuth")
		c.hints = append(c.hints, cl.fitting...)
	default:
		c.summary = fmt.Sprintf("the server rejected %s", who)
		if leaf != nil {
			c.hints = append(c.hints, fmt.Sprintf("local checks find nothing wrong (valid until %s, clientAuth allowed, issued by %s): the server's log says why it refused",
				stamp(leaf.NotAfter), issuer(leaf)))
		}
		if r := ev.revocation; r != nil && r.State == revocation.Good {
			c.hints = append(c.hints, "revocation: "+r.Summary())
		}
		c.hints = append(c.hints, cl.fitting...)
	}
	if cr := ev.certReq; cr != nil && len(cr.acceptable) > 0 && cat != ClientCertExpired && cat != ClientCertRevoked {
		c.hints = append(c.hints, "the server accepts certificates issued by: "+acceptableList(cr.acceptable))
	}
	return c
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

// missingIntermediateHints name the workspace CA that completes a chain
// sent without its intermediate, and how to attach it.
func missingIntermediateHints(cl clientEvidence) []string {
	if cl.missingIssuer == nil || cl.completingCA == "" {
		return nil
	}
	h := []string{fmt.Sprintf("%s is sent without its issuer %s, which your CA %s holds: the server may list only the CA above it",
		cl.who, subject(cl.missingIssuer), quoteName(cl.completingCA))}
	if cl.name != "" {
		h = append(h, fmt.Sprintf("attach it to the identity's chain: mtlswb chain add %s %s", safetext.Line(cl.name), safetext.Line(cl.completingCA)))
	}
	if cl.carriedBy != "" {
		h = append(h, fmt.Sprintf("identity %s already carries it in its chain", quoteName(cl.carriedBy)))
	}
	return h
}
