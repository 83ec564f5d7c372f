package tlsengine

import (
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// dnsRule: the name of the target (or of the proxy) did not resolve.
type dnsRule struct{}

func (dnsRule) Info() ruleInfo {
	return ruleInfo{Name: "dns-lookup", Categories: []Category{DNSFailure},
		Source: "RFC 1035 4.1.1 (RCODE 3, name error) and resolver timeouts, as *net.DNSError"}
}

func (dnsRule) Applies(ev *evidence) bool { return ev.dns != nil }

func (dnsRule) Propose(ev *evidence) []Cause {
	e := ev.dns
	host := safetext.Line(e.Name)
	if ev.via == "proxy" {
		host = "the proxy host " + host
	}
	c := Cause{Category: DNSFailure, Confidence: Certain, phase: PhaseDNS}
	switch {
	case e.IsTimeout:
		c.Evidence = fmt.Sprintf("the DNS lookup of %s timed out", host)
		c.summary = c.Evidence
		c.hints = []string{"check your DNS server and network connection"}
	case e.IsNotFound:
		c.Evidence = fmt.Sprintf("the resolver answered that %s does not exist", host)
		c.summary = fmt.Sprintf("the name %s does not exist in DNS", host)
		c.hints = []string{"check the host name for typos", "if the name resolves only inside a VPN or through /etc/hosts, check that"}
	default:
		c.Evidence = fmt.Sprintf("the DNS lookup of %s failed: %s", host, safetext.Line(e.Err))
		c.summary = fmt.Sprintf("the DNS lookup of %s failed", host)
		c.hints = []string{"check your DNS server and network connection"}
	}
	return []Cause{c}
}
