package tlsengine

import (
	"fmt"
	"strings"
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
			c.summary = fmt.Sprintf("the server rejected %s: it does not trust its issuer %s", who, issuer(cl.chain[len(cl.chain)-1]))
		}
		c.hints = append(c.hints, cl.fitting...)
		if leaf != nil && !selfSigned(cl.chain[len(cl.chain)-1]) {
			c.hints = append(c.hints, "if the issuer is an intermediate CA, send it with the certificate (add it to the identity's chain)")
		}
		c.hints = append(c.hints, "or ask the server's operator to trust your issuing CA")
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
