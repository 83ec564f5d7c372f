package tlsengine

import "fmt"

// retryVerdictRule: after a bare close following a TLS 1.3 handshake, a
// TLS 1.2 retry with the same certificate was refused inside the handshake
// with a verdict on the certificate. Under TLS 1.2 the server judges the
// certificate before its Finished, so the refusal names what TLS 1.3 hid.
type retryVerdictRule struct{}

func (retryVerdictRule) Info() ruleInfo {
	return ruleInfo{Name: "tls12-retry-verdict",
		Categories: []Category{ClientCertRequired, ClientCertUnknownCA, ClientCertExpired, ClientCertRevoked, ClientCertWrongUsage, ClientCertRejected},
		Source:     "RFC 5246 7.4.6-7.4.9: under TLS 1.2 the server verifies the client certificate before its Finished, so a rejection arrives in the handshake"}
}

func (retryVerdictRule) Applies(ev *evidence) bool {
	return ev.retry != nil && !ev.retry.ok && isClientCategory(ev.retry.category)
}

func (retryVerdictRule) Propose(ev *evidence) []Cause {
	r := ev.retry
	c := clientCause(ev, r.category, "the server closed the TLS 1.3 connection without a reason; a TLS 1.2 retry with the same certificate was refused: "+r.summary)
	c.Confidence, c.phase = Likely, PhaseHandshake
	c.Evidence = "a TLS 1.2 retry with the same certificate was refused in the handshake"
	if r.alert != 0 {
		c.Evidence += " with alert " + alertLabel(r.alert)
	}
	c.Evidence += " (" + string(r.category) + "); the TLS 1.3 close likely hid the same verdict"
	return []Cause{c}
}

// isClientCategory reports whether cat is a verdict on the client
// certificate.
func isClientCategory(cat Category) bool {
	switch cat {
	case ClientCertRequired, ClientCertUnknownCA, ClientCertExpired, ClientCertRevoked, ClientCertWrongUsage, ClientCertRejected:
		return true
	}
	return false
}

// alertLabel is "48 (unknown_ca)".
func alertLabel(n uint8) string { return fmt.Sprintf("%d (%s)", n, AlertName(n)) }
