package tlsengine

import "testing"

func TestUnexplainedRule(t *testing.T) {
	checkRule(t, unexplainedRule{}, map[string]ruleCase{
		"alert":     {ev: ev(alert(80)), want: []want{{TLSError, Certain, "alert 80 (internal_error)"}}},
		"http":      {ev: ev(answer(418, "")), want: []want{{HTTPError, Certain, "HTTP 418"}}},
		"dns":       {ev: ev(phase(PhaseDNS)), want: []want{{DNSFailure, Certain, "dns phase failed"}}},
		"connect":   {ev: ev(phase(PhaseConnect)), want: []want{{ConnectionRefused, Certain, "test error"}}},
		"handshake": {ev: ev(), want: []want{{TLSError, Certain, "handshake phase"}}},
		"response":  {ev: ev(phase(PhaseResponse)), want: []want{{HTTPError, Certain, "response phase"}}},
	})
	withRequest := unexplainedRule{}.Propose(ev(requested, sent))[0]
	if len(withRequest.hints) != 2 {
		t.Errorf("a failed handshake after a certificate request should point at the identities section: %q", withRequest.hints)
	}
}
