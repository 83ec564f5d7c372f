package tlsengine

// closedAfterTLS13Rule: a close without an alert right after a TLS 1.3
// handshake with client authentication. rejectedWithoutReasonRule proposes
// the rejection it may be; this rule proposes what else it may be, as a
// close there is no proof of a rejection: a server whose backend is down, an
// application that crashed or that speaks another protocol close alike.
type closedAfterTLS13Rule struct{}

func (closedAfterTLS13Rule) Info() ruleInfo {
	return ruleInfo{Name: "closed-after-tls13-handshake", Categories: []Category{ConnectionReset},
		Source: "RFC 8446 4.4.2.4 and 6.2: a server rejecting a certificate should send an alert; stunnel, brokers and crashing applications just close"}
}

func (closedAfterTLS13Rule) Applies(ev *evidence) bool { return closedAfterTLS13CertRequest(ev) }

func (closedAfterTLS13Rule) Propose(*evidence) []Cause {
	return []Cause{{Category: ConnectionReset, Confidence: Possible, phase: PhaseHandshake,
		Evidence: "the close came without an alert, which a server that rejects a certificate normally sends; the server or the application behind it may have failed instead",
		summary:  "the server closed the connection right after the TLS 1.3 handshake without saying why",
		hints: []string{"check the server's logs: its backend may be down, or the application may have crashed or expected another protocol",
			"retry with TLS 1.2 (maximum TLS version 1.2): a TLS 1.2 server rejects a certificate inside the handshake, with an alert"}}}
}

// closedRule: the server closed the connection without an alert.
type closedRule struct{}

func (closedRule) Info() ruleInfo {
	return ruleInfo{Name: "closed-without-alert", Categories: []Category{ConnectionReset},
		Source: "RFC 8446 6.1: a TCP close or reset without close_notify or an error alert"}
}

func (closedRule) Applies(ev *evidence) bool {
	return ev.closed && ev.alert == nil && !closedAfterTLS13CertRequest(ev)
}

func (closedRule) Propose(ev *evidence) []Cause {
	c := Cause{Category: ConnectionReset, Confidence: Certain}
	if ev.phase == PhaseHandshake {
		c.Evidence = "the server closed the connection during the handshake without an alert"
		c.summary = "the server closed the connection during the TLS handshake without saying why"
		c.hints = []string{
			"the server (or a proxy in front of it) may route by server name (SNI): check the host name, or set the server name explicitly",
			"it may not speak TLS on this port, or may allow only certain TLS versions or ciphers: check its configuration and logs",
		}
		return []Cause{c}
	}
	c.Evidence = "the server closed the connection before sending a complete response"
	c.summary = c.Evidence
	c.hints = []string{"check the server's logs: the application may have crashed or refused the request"}
	return []Cause{c}
}
