package tlsengine

import (
	"net"
	"testing"
)

func dnsErr(d net.DNSError) evOption {
	return func(e *evidence) { e.dns, e.phase = &d, PhaseDNS }
}

func TestDNSRule(t *testing.T) {
	checkRule(t, dnsRule{}, map[string]ruleCase{
		"not found": {ev: ev(dnsErr(net.DNSError{Name: "x.invalid", IsNotFound: true})),
			want: []want{{DNSFailure, Certain, "x.invalid does not exist"}}},
		"timeout": {ev: ev(dnsErr(net.DNSError{Name: "slow.example", IsTimeout: true})),
			want: []want{{DNSFailure, Certain, "slow.example timed out"}}},
		"proxy host": {ev: ev(dnsErr(net.DNSError{Name: "proxy.local", Err: "server misbehaving"}), proxied),
			want: []want{{DNSFailure, Certain, "the proxy host proxy.local failed: server misbehaving"}}},
		"hostile name": {ev: ev(dnsErr(net.DNSError{Name: "a\x1b[2J", IsNotFound: true})),
			want: []want{{DNSFailure, Certain, "a^[[2J"}}},
		"no dns error": {ev: ev()},
	})
}
