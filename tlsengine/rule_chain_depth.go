package tlsengine

import "fmt"

// defaultVerifyDepth is how many intermediates nginx's ssl_verify_depth and
// Apache's SSLVerifyDepth allow by default (1: leaf, one intermediate,
// root); OpenSSL's own default, which HAProxy and stunnel keep, is 100.
const defaultVerifyDepth = 1

// chainDepthRule: a rejection without a reason, of a certificate whose
// chain has more intermediates than a server verifies by default. A cause
// to check once the other local checks pass.
type chainDepthRule struct{}

func (chainDepthRule) Info() ruleInfo {
	return ruleInfo{Name: "client-chain-depth", Categories: []Category{ClientCertUnknownCA},
		Source: "nginx ssl_verify_depth and Apache SSLVerifyDepth default to 1: a longer chain fails with \"certificate chain too long\" (OpenSSL X509_V_ERR_CERT_CHAIN_TOO_LONG)"}
}

func (chainDepthRule) Applies(ev *evidence) bool {
	if !ev.client.sent || ev.client.leaf == nil || ev.client.intermediates <= defaultVerifyDepth {
		return false
	}
	_, ok := rejectionOf(ev)
	return ok
}

func (chainDepthRule) Propose(ev *evidence) []Cause {
	r, _ := rejectionOf(ev)
	cl := ev.client
	c := clientCause(ev, ClientCertUnknownCA, r.said)
	c.Confidence, c.phase = Possible, r.phase
	c.Evidence = fmt.Sprintf("local check: the chain of %s has %d intermediates below its root; nginx and Apache verify %d by default", cl.who, cl.intermediates, defaultVerifyDepth)
	c.summary = fmt.Sprintf("the server may not verify a chain as long as that of %s (%d intermediates)", cl.who, cl.intermediates)
	c.hints = []string{
		fmt.Sprintf("ask the server's operator to allow %d intermediates (nginx: ssl_verify_depth %d; Apache: SSLVerifyDepth %d)", cl.intermediates, cl.intermediates, cl.intermediates),
		"or use an identity issued closer to a root the server trusts"}
	return []Cause{c}
}
