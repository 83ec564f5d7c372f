package tlsengine

import (
	"strings"
	"testing"
)

func TestAlertRules(t *testing.T) {
	checkRule(t, alertCertificateRequiredRule, map[string]ruleCase{
		"116 after tls13": {ev: ev(tls13Done, requested, alert(116)),
			want: []want{{ClientCertRequired, Certain, "alert 116 (certificate_required) after the handshake"}}},
		"other alert": {ev: ev(alert(48))},
		"no alert":    {ev: ev()},
	})
	checkRule(t, alertHandshakeFailureRule{}, map[string]ruleCase{
		"40 after a request, nothing sent": {ev: ev(requested, chosen, alert(40)),
			want: []want{{ClientCertRequired, Likely, "after asking for a client certificate and receiving none"}}},
		"40 before any request": {ev: ev(alert(40)),
			want: []want{{NoSharedCipher, Likely, "before asking for a client certificate"}}},
		// A rejection without a reason: rule_rejected.go.
		"40 after a certificate was sent": {ev: ev(requested, sent, alert(40))},
	})
	for _, r := range []alertVerdictRule{{43, ClientCertWrongUsage, ""}, {44, ClientCertRevoked, ""}, {45, ClientCertExpired, ""}, {48, ClientCertUnknownCA, ""}} {
		checkRule(t, r, map[string]ruleCase{
			"its alert":   {ev: ev(requested, sent, alert(r.alert)), want: []want{{r.category, Certain, AlertName(r.alert)}}},
			"other alert": {ev: ev(requested, sent, alert(r.alert+1))},
		})
	}
	checkRule(t, alertInsufficientSecurityRule{}, map[string]ruleCase{
		"71": {ev: ev(alert(71)), want: []want{{NoSharedCipher, Certain, "insufficient_security"}}},
	})
	checkRule(t, alertUnrecognizedNameRule, map[string]ruleCase{
		"112": {ev: ev(alert(112)), want: []want{{TLSError, Certain, "unrecognized_name"}}},
	})
	checkRule(t, alertNoApplicationProtocolRule, map[string]ruleCase{
		"120": {ev: ev(alert(120)), want: []want{{TLSError, Certain, "no_application_protocol"}}},
	})
}

// TestEveryAlertHasOneCause runs all rules over every alert number: with
// clean local checks an alert gives exactly one cause, the category each
// alert has always had.
func TestEveryAlertHasOneCause(t *testing.T) {
	specific := map[uint8]Category{116: ClientCertRequired, 43: ClientCertWrongUsage, 44: ClientCertRevoked,
		45: ClientCertExpired, 48: ClientCertUnknownCA, 70: ProtocolVersionMismatch, 71: NoSharedCipher}
	for n := 0; n < 256; n++ {
		a := uint8(n)
		sentWant, noneWant := TLSError, TLSError
		switch {
		case specific[a] != "":
			sentWant, noneWant = specific[a], specific[a]
		case a == 40:
			sentWant, noneWant = ClientCertRejected, NoSharedCipher
		case a == 42 || a == 46 || a == 49:
			sentWant, noneWant = ClientCertRejected, ClientCertRequired
		}
		for _, c := range []struct {
			ev   *evidence
			want Category
		}{{ev(requested, sent, alert(a)), sentWant}, {ev(alert(a)), noneWant}} {
			f := diagnosis(c.ev)
			if f.Category != c.want || len(f.Causes) != 1 || f.Alert != n || f.Phase != PhaseHandshake {
				t.Errorf("alert %d (sent %v): %s in %s, %d causes, alert %d; want %s", n, c.ev.client.sent, f.Category, f.Phase, len(f.Causes), f.Alert, c.want)
			}
		}
	}
}

func TestAlertSaidAfterHandshake(t *testing.T) {
	f := diagnosis(ev(tls13Done, requested, sent, alert(48)))
	if !strings.HasPrefix(f.Detail, "the server sent TLS alert 48 (unknown_ca) after the handshake had completed: TLS 1.3 servers judge") {
		t.Errorf("detail %q", f.Detail)
	}
	if !strings.Contains(f.Summary, "does not trust its issuer CN=Test Root") {
		t.Errorf("summary %q does not name the issuer", f.Summary)
	}
}
