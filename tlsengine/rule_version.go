package tlsengine

import (
	"crypto/tls"
	"fmt"
)

// alertProtocolVersionRule: the server supports none of the versions
// offered.
type alertProtocolVersionRule struct{}

func (alertProtocolVersionRule) Info() ruleInfo {
	return ruleInfo{Name: "alert-protocol-version", Categories: []Category{ProtocolVersionMismatch},
		Source: "RFC 8446 6.2 protocol_version (70): the version the client offered is recognized but not supported"}
}

func (alertProtocolVersionRule) Applies(ev *evidence) bool { return alertIs(ev, 70) }

func (alertProtocolVersionRule) Propose(ev *evidence) []Cause {
	c := versionMismatch(ev, alertEvidence(ev))
	c.detail = alertSaid(ev)
	return []Cause{c}
}

// noSharedVersionRule: crypto/tls itself found no version in common with
// the server's answer.
type noSharedVersionRule struct{}

func (noSharedVersionRule) Info() ruleInfo {
	return ruleInfo{Name: "no-shared-version", Categories: []Category{ProtocolVersionMismatch},
		Source: "RFC 8446 4.1.3 / 4.2.1: the client aborts when the server selects a version it did not offer"}
}

func (noSharedVersionRule) Applies(ev *evidence) bool { return ev.noVersion && ev.alert == nil }

func (noSharedVersionRule) Propose(ev *evidence) []Cause {
	return []Cause{versionMismatch(ev, "crypto/tls found no TLS version in common with the server's answer")}
}

func versionMismatch(ev *evidence, evidence string) Cause {
	return Cause{Category: ProtocolVersionMismatch, Confidence: Certain, Evidence: evidence, phase: PhaseHandshake,
		summary: fmt.Sprintf("client and server share no TLS version: you allowed %s", versionRange(ev.req.minVersion, ev.req.maxVersion)),
		hints: []string{"the server supports only other versions: widen the allowed range (minimum/maximum TLS version)",
			"TLS 1.0 and 1.1 are obsolete: if the server needs them, it needs upgrading"}}
}

func versionRange(minV, maxV uint16) string {
	if minV == maxV {
		return "only " + tls.VersionName(minV)
	}
	return tls.VersionName(minV) + " to " + tls.VersionName(maxV)
}
