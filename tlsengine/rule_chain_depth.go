package tlsengine

import "fmt"

// Servers verify a client chain to a limited depth, and the two most
// common count it differently: nginx's ssl_verify_depth 1 (its default)
// allows one intermediate between the leaf and the trusted root; Apache's
// SSLVerifyDepth 1 (its default) allows none, and mod_ssl then fails the
// handshake with internal_error (80), logging "Certificate Chain too long".
// OpenSSL's own default, which HAProxy and stunnel keep, is 100.
const (
	nginxDefaultDepth  = 1 // intermediates
	apacheDefaultDepth = 0
)

// chainDepthRule: a rejection without a reason (or Apache's alert 80) of a
// certificate whose chain has more intermediates than the server verifies
// by default. Likely when the other local checks pass, possible otherwise.
type chainDepthRule struct{}

func (chainDepthRule) Info() ruleInfo {
	return ruleInfo{Name: "client-chain-depth", Categories: []Category{ClientCertUnknownCA},
		Source: "nginx ssl_verify_depth (default 1: one intermediate) and Apache SSLVerifyDepth (default 1: none, alert 80 \"Certificate Chain too long\"); OpenSSL X509_V_ERR_CERT_CHAIN_TOO_LONG is unknown_ca"}
}

func (chainDepthRule) Applies(ev *evidence) bool {
	cl := ev.client
	if !cl.sent || cl.leaf == nil {
		return false
	}
	if alertIs(ev, 80) && cl.intermediates > apacheDefaultDepth {
		return true
	}
	_, ok := rejectionOf(ev)
	return ok && cl.intermediates > nginxDefaultDepth
}

func (chainDepthRule) Propose(ev *evidence) []Cause {
	cl := ev.client
	said, phase := "", PhaseHandshake
	if r, ok := rejectionOf(ev); ok {
		said, phase = r.said, r.phase
	} else {
		said = alertSaid(ev)
	}
	c := clientCause(ev, ClientCertUnknownCA, said)
	c.phase = phase
	c.Confidence = Likely
	if cl.checksFail() {
		c.Confidence = Possible
	}
	if alertIs(ev, 80) {
		c.Evidence = fmt.Sprintf("the server sent alert 80 (internal_error) after %s came with %d intermediate(s): Apache's mod_ssl answers so for a chain longer than SSLVerifyDepth (default 1: no intermediate)",
			cl.who, cl.intermediates)
	} else {
		c.Evidence = fmt.Sprintf("local check: the chain of %s has %d intermediates below its root; nginx verifies %d by default, Apache %d",
			cl.who, cl.intermediates, nginxDefaultDepth, apacheDefaultDepth)
	}
	c.summary = fmt.Sprintf("the server may not verify a chain as long as that of %s (%d intermediate(s) below the root)", cl.who, cl.intermediates)
	c.hints = []string{
		fmt.Sprintf("ask the server's operator to verify deeper chains (nginx: ssl_verify_depth %d; Apache: SSLVerifyDepth %d)", cl.intermediates, cl.intermediates+1),
		"or use an identity issued closer to a root the server trusts"}
	return []Cause{c}
}

// deepChain reports whether the chain has more intermediates than nginx,
// the more lenient default, verifies.
func (c clientEvidence) deepChain() bool { return c.intermediates > nginxDefaultDepth }
