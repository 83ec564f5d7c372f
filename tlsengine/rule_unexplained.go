package tlsengine

import (
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// unexplainedRule is the fallback: it runs only when no other rule applies,
// and says what is known (an alert, an HTTP status, the phase) without
// guessing why.
type unexplainedRule struct{}

func (unexplainedRule) Info() ruleInfo {
	return ruleInfo{Name: "unexplained", Categories: []Category{TLSError, HTTPError, DNSFailure, ConnectionRefused},
		Source: "no rule recognizes the evidence: report it as it is"}
}

func (unexplainedRule) Applies(*evidence) bool { return true }

func (unexplainedRule) Propose(ev *evidence) []Cause {
	switch {
	case ev.alert != nil:
		return []Cause{alertAborted(ev)}
	case ev.answer != nil:
		c := Cause{Category: HTTPError, Confidence: Certain, Evidence: fmt.Sprintf("the server answered HTTP %d", ev.answer.status),
			summary: fmt.Sprintf("the server answered HTTP %d", ev.answer.status),
			detail:  answerDetail(ev),
			hints:   []string{"the body and headers above say more"}}
		if ev.answer.status >= 500 {
			c.hints = []string{"the server failed while handling the request: check its logs"}
		}
		return []Cause{c}
	}
	c := Cause{Confidence: Certain, Evidence: fmt.Sprintf("the %s phase failed with an error no rule recognizes: %s", ev.phase, clip(safetext.Line(ev.err.Error()), 200))}
	switch ev.phase {
	case PhaseDNS:
		c.Category, c.summary = DNSFailure, "the DNS lookup failed"
		c.hints = []string{"check the host name and your network connection"}
	case PhaseConnect:
		c.Category, c.summary = ConnectionRefused, fmt.Sprintf("could not connect to %s", safetext.Line(ev.req.target))
		c.hints = []string{"check the host, port and your network connection"}
	case PhaseHandshake:
		c.Category, c.summary = TLSError, "the TLS handshake failed"
		c.hints = []string{"the error below is what crypto/tls reported; check the server's TLS configuration"}
		if ev.certReq != nil && ev.client.sent {
			c.hints = append(c.hints, "the identities section shows whether the server's certificate request fits your identity")
		}
	default:
		c.Category, c.summary = HTTPError, "the HTTP exchange failed after the TLS handshake"
		c.hints = []string{"the server's answer was not valid HTTP: check that this is an HTTPS endpoint, and the server's logs"}
	}
	return []Cause{c}
}
