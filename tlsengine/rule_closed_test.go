package tlsengine

import (
	"testing"
	"time"
)

func TestClosedAfterTLS13Rule(t *testing.T) {
	checkRule(t, closedAfterTLS13Rule{}, map[string]ruleCase{
		"close after tls13 auth": {ev: ev(tls13Done, requested, sent, closedConn),
			want: []want{{ConnectionReset, Likely, "without an alert"}}},
		"with the delay": {ev: ev(tls13Done, requested, sent, closedConn, func(e *evidence) { e.sinceHandshake = 3 * time.Millisecond }),
			want: []want{{ConnectionReset, Likely, "closed the connection 3ms after the TLS 1.3 handshake"}}},
		"nothing chosen": {ev: ev(tls13Done, requested, closedConn), want: []want{{ConnectionReset, Likely, ""}}},
		"tls12 retry accepted": {ev: ev(tls13Done, requested, sent, closedConn, retried(&retryOutcome{ok: true})),
			want: []want{{ConnectionReset, Likely, "a TLS 1.2 retry with the same certificate completed the handshake"}}},
		"tls12 retry refused": {ev: ev(tls13Done, requested, sent, closedConn, retried(&retryOutcome{alert: 48, category: ClientCertUnknownCA, summary: "x"})),
			want: []want{{ConnectionReset, Possible, "but a TLS 1.2 retry was refused"}}},
		"tls12 retry inconclusive": {ev: ev(tls13Done, requested, sent, closedConn, retried(&retryOutcome{alert: 70, category: ProtocolVersionMismatch})),
			want: []want{{ConnectionReset, Likely, "did not tell more (protocol-version-mismatch)"}}},
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
			want: []want{{ConnectionReset, Certain, "after sending session tickets, which an OpenSSL server sends only once it has accepted the client certificate"}}},
		"alert": {ev: ev(closedConn, alert(80))},
		"open":  {ev: ev()},
	})
}

// retried: a TLS 1.2 retry was made and showed r.
func retried(r *retryOutcome) evOption { return func(e *evidence) { e.retry = r } }
