package tlsengine

import (
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// timeoutRule: the attempt ran out of time; the phase says where.
type timeoutRule struct{}

func (timeoutRule) Info() ruleInfo {
	return ruleInfo{Name: "timeout", Categories: []Category{DNSFailure, ConnectTimeout, HandshakeTimeout, HTTPError},
		Source: "the attempt's deadline passed (context.DeadlineExceeded or a net.Error timeout)"}
}

// Applies leaves a DNS error to dnsRule and an alert to the alert rules: the
// deadline only ended the wait for them.
func (timeoutRule) Applies(ev *evidence) bool { return ev.timeout && ev.dns == nil && ev.alert == nil }

func (timeoutRule) Propose(ev *evidence) []Cause {
	limit := ev.req.limit
	c := Cause{Confidence: Certain, Evidence: fmt.Sprintf("nothing more arrived within the time limit of %s (%s phase)", limit, ev.phase)}
	switch ev.phase {
	case PhaseDNS:
		c.Category = DNSFailure
		c.summary = fmt.Sprintf("the DNS lookup did not finish within %s", limit)
		c.hints = []string{"check your DNS server and network connection"}
	case PhaseConnect:
		c.Category = ConnectTimeout
		target := ev.req.target
		if ev.via == "proxy" {
			target = ev.req.proxy
		}
		c.summary = fmt.Sprintf("%s did not accept the TCP connection within %s", safetext.Line(target), limit)
		c.hints = []string{"a firewall may be dropping the packets, or the host is down: check the address and port",
			"if you need a proxy or VPN to reach it, use it"}
	case PhaseHandshake:
		c.Category = HandshakeTimeout
		c.summary = fmt.Sprintf("the server accepted the connection but did not complete the TLS handshake within %s", limit)
		c.hints = []string{"check that this port speaks TLS directly: some services expect a plaintext greeting first (STARTTLS) or another protocol",
			"the server may be overloaded, or a middlebox may be holding the connection"}
	default:
		// The handshake worked, so this is the application's failure: it
		// belongs with the other HTTP failures of the fixed vocabulary.
		c.Category = HTTPError
		c.summary = fmt.Sprintf("the TLS handshake succeeded but the HTTP response did not arrive within %s", limit)
		c.hints = []string{"the server (or the application behind it) is slow or stuck: try a longer timeout, check its logs"}
	}
	return []Cause{c}
}
