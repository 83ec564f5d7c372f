package tlsengine

import (
	"crypto/tls"
	"testing"
)

func TestVersionRules(t *testing.T) {
	noVersion := func(e *evidence) { e.noVersion = true }
	checkRule(t, alertProtocolVersionRule{}, map[string]ruleCase{
		"70":          {ev: ev(alert(70)), want: []want{{ProtocolVersionMismatch, Certain, "alert 70 (protocol_version)"}}},
		"other alert": {ev: ev(alert(71))},
	})
	checkRule(t, noSharedVersionRule{}, map[string]ruleCase{
		"local error": {ev: ev(noVersion), want: []want{{ProtocolVersionMismatch, Certain, "no TLS version in common"}}},
		"with alert":  {ev: ev(noVersion, alert(70))},
		"none":        {ev: ev()},
	})
	only13 := func(e *evidence) { e.req.minVersion = tls.VersionTLS13 }
	if got := diagnosis(ev(noVersion, only13)).Summary; got != "client and server share no TLS version: you allowed only TLS 1.3" {
		t.Errorf("summary %q", got)
	}
}
