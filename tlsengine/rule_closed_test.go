package tlsengine

import "testing"

func TestClosedAfterTLS13Rule(t *testing.T) {
	checkRule(t, closedAfterTLS13Rule{}, map[string]ruleCase{
		"close after tls13 auth": {ev: ev(tls13Done, requested, sent, closedConn),
			want: []want{{ConnectionReset, Possible, "without an alert"}}},
		"nothing chosen":       {ev: ev(tls13Done, requested, closedConn), want: []want{{ConnectionReset, Possible, ""}}},
		"alert":                {ev: ev(tls13Done, requested, sent, closedConn, alert(42))},
		"no request":           {ev: ev(tls13Done, closedConn)},
		"during the handshake": {ev: ev(requested, sent, closedConn)},
	})
}

func TestClosedRule(t *testing.T) {
	checkRule(t, closedRule{}, map[string]ruleCase{
		"during the handshake": {ev: ev(closedConn), want: []want{{ConnectionReset, Certain, "during the handshake"}}},
		"before the response":  {ev: ev(closedConn, phase(PhaseResponse)), want: []want{{ConnectionReset, Certain, "before sending a complete response"}}},
		"after tls13 without a request": {ev: ev(tls13Done, closedConn, phase(PhaseResponse)),
			want: []want{{ConnectionReset, Certain, "complete response"}}},
		"after tls13 auth": {ev: ev(tls13Done, requested, sent, closedConn)},
		// Tickets come only after the server accepted the certificate.
		"after tls13 auth and tickets": {ev: ev(tls13Done, requested, sent, closedConn, phase(PhaseResponse), func(e *evidence) { e.ticketsReceived = true }),
			want: []want{{ConnectionReset, Certain, "complete response"}}},
		"alert": {ev: ev(closedConn, alert(80))},
		"open":  {ev: ev()},
	})
}
