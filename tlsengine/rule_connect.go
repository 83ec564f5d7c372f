package tlsengine

import (
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// canceledRule: the caller canceled the attempt; nothing else it shows
// matters.
type canceledRule struct{}

func (canceledRule) Info() ruleInfo {
	return ruleInfo{Name: "canceled", Categories: []Category{Canceled}, Source: "the caller's context was canceled"}
}

func (canceledRule) Applies(ev *evidence) bool { return ev.canceled }

func (canceledRule) Propose(*evidence) []Cause {
	return []Cause{{Category: Canceled, Confidence: Certain, Evidence: "the attempt was canceled",
		summary: "the attempt was canceled before it finished", hints: []string{"run it again to see the outcome"}}}
}

// proxyRefusedRule: the HTTP CONNECT proxy answered with a non-2xx status.
type proxyRefusedRule struct{}

func (proxyRefusedRule) Info() ruleInfo {
	return ruleInfo{Name: "proxy-refused", Categories: []Category{ConnectionRefused},
		Source: "RFC 9110 9.3.6: a CONNECT answered with a status other than 2xx opens no tunnel"}
}

func (proxyRefusedRule) Applies(ev *evidence) bool { return ev.proxy != nil }

func (proxyRefusedRule) Propose(ev *evidence) []Cause {
	px := ev.proxy
	return []Cause{{Category: ConnectionRefused, Confidence: Certain, phase: PhaseConnect,
		Evidence: fmt.Sprintf("the proxy %s answered CONNECT with %s", safetext.Line(px.Proxy), safetext.Line(px.Status)),
		summary:  fmt.Sprintf("the proxy %s refused to open a tunnel to %s (%s)", safetext.Line(px.Proxy), safetext.Line(ev.req.target), safetext.Line(px.Status)),
		hints: []string{"check the proxy's access rules and credentials (http://user:password@proxy:port)",
			"or send the request without the proxy"}}}
}

// refusedRule: nothing listens on the port (a TCP RST to the SYN).
type refusedRule struct{}

func (refusedRule) Info() ruleInfo {
	return ruleInfo{Name: "connection-refused", Categories: []Category{ConnectionRefused},
		Source: "RFC 9293 3.10.7.1: a SYN to a closed port is answered with RST (ECONNREFUSED)"}
}

func (refusedRule) Applies(ev *evidence) bool { return ev.refused && ev.alert == nil }

func (refusedRule) Propose(ev *evidence) []Cause {
	what := ev.req.target
	if ev.via == "proxy" {
		what = "the proxy " + ev.req.proxy
	}
	return []Cause{{Category: ConnectionRefused, Confidence: Certain, phase: PhaseConnect,
		Evidence: fmt.Sprintf("connecting to %s was refused (ECONNREFUSED)", safetext.Line(what)),
		summary:  fmt.Sprintf("nothing accepts connections on %s (connection refused)", safetext.Line(what)),
		hints:    []string{"check the host and port, and that the server is running and listening on this address"}}}
}

// unreachableRule: the network has no route to the address.
type unreachableRule struct{}

func (unreachableRule) Info() ruleInfo {
	return ruleInfo{Name: "no-route", Categories: []Category{ConnectionRefused},
		Source: "ICMP destination unreachable (EHOSTUNREACH, ENETUNREACH)"}
}

func (unreachableRule) Applies(ev *evidence) bool { return ev.unreachable && ev.alert == nil }

func (unreachableRule) Propose(ev *evidence) []Cause {
	return []Cause{{Category: ConnectionRefused, Confidence: Certain, phase: PhaseConnect,
		Evidence: fmt.Sprintf("the network reported no route to %s", safetext.Line(ev.req.target)),
		summary:  fmt.Sprintf("no route to %s: the network cannot reach it", safetext.Line(ev.req.target)),
		hints:    []string{"check the address, your network connection, VPN and firewall"}}}
}
