package tlsengine

import (
	"net"
	"testing"
)

func timedOut(e *evidence) { e.timeout = true }

func TestTimeoutRule(t *testing.T) {
	checkRule(t, timeoutRule{}, map[string]ruleCase{
		"dns":       {ev: ev(timedOut, phase(PhaseDNS)), want: []want{{DNSFailure, Certain, "10s (dns phase)"}}},
		"connect":   {ev: ev(timedOut, phase(PhaseConnect)), want: []want{{ConnectTimeout, Certain, ""}}},
		"handshake": {ev: ev(timedOut), want: []want{{HandshakeTimeout, Certain, ""}}},
		"response":  {ev: ev(timedOut, phase(PhaseResponse)), want: []want{{HTTPError, Certain, "response phase"}}},
		// The deadline only ended the wait: the DNS error or the alert is
		// the cause, and their rules say so.
		"dns error":  {ev: ev(timedOut, dnsErr(net.DNSError{Name: "x", IsTimeout: true}))},
		"alert":      {ev: ev(timedOut, alert(48))},
		"no timeout": {ev: ev()},
	})
}

func TestTimeoutSummaryNamesProxy(t *testing.T) {
	c := timeoutRule{}.Propose(ev(timedOut, phase(PhaseConnect), proxied))[0]
	if c.summary != "proxy.local:3128 did not accept the TCP connection within 10s" {
		t.Errorf("summary %q", c.summary)
	}
}
