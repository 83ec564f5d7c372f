package tlsengine

import (
	"fmt"
	"net/http"
)

// HTTP-level verdicts on the client certificate. nginx and HAProxy judge
// an optional certificate in the request: 496 "SSL Certificate Required"
// when none was sent, 495 "SSL Certificate Error" when it failed
// verification (nginx sends both as 400 pages unless an error_page keeps
// the code; see rule_http.go and rule_rejected.go for those pages). An
// application behind an optional request answers 401 or 403 instead.

// http496Rule: the server says a client certificate is required.
type http496Rule struct{}

func (http496Rule) Info() ruleInfo {
	return ruleInfo{Name: "http-496", Categories: []Category{ClientCertRequired},
		Source: "nginx ngx_http_ssl_module and HAProxy: 496 SSL Certificate Required, the request came without a client certificate"}
}

func (http496Rule) Applies(ev *evidence) bool { return ev.answer != nil && ev.answer.status == 496 }

func (http496Rule) Propose(ev *evidence) []Cause {
	c := clientCause(ev, ClientCertRequired, answerDetail(ev)+" (496: SSL certificate required)")
	c.Confidence, c.phase = Certain, PhaseResponse
	c.Evidence = "the server answered HTTP 496 (SSL certificate required, nginx's and HAProxy's status for a request without a client certificate)"
	if ev.certReq != nil && !ev.client.sent {
		c.Evidence += "; it asked for one in the handshake and none was sent"
	}
	return []Cause{c}
}

// optionalCertNotSentRule: the server asked for a certificate in the
// handshake, none was sent, the handshake completed (so the request was
// optional) and the application then refused the request.
type optionalCertNotSentRule struct{}

func (optionalCertNotSentRule) Info() ruleInfo {
	return ruleInfo{Name: "optional-certificate-not-sent", Categories: []Category{ClientCertRequired},
		Source: "nginx ssl_verify_client optional/optional_no_ca, HAProxy verify optional, Apache SSLVerifyClient optional: the handshake completes without a certificate and the application decides"}
}

func (optionalCertNotSentRule) Applies(ev *evidence) bool {
	a := ev.answer
	return a != nil && ev.certReq != nil && !ev.client.sent &&
		(a.status == http.StatusUnauthorized || a.status == http.StatusForbidden || (a.status == http.StatusBadRequest && !a.bodySays(nginxNoCertificate)))
}

func (optionalCertNotSentRule) Propose(ev *evidence) []Cause {
	c := clientCause(ev, ClientCertRequired, answerDetail(ev))
	c.Confidence, c.phase = Likely, PhaseResponse
	c.Evidence = fmt.Sprintf("the server asked for a client certificate in the handshake, none was sent, and it then answered HTTP %d", ev.answer.status)
	c.summary = fmt.Sprintf("the server asked for a client certificate (optionally: the handshake went on without one), none was sent, and the application refused the request (%d)", ev.answer.status)
	if len(ev.client.fitting) == 0 && ev.certReq != nil && len(ev.certReq.acceptable) > 0 {
		c.hints = append(c.hints, "none of your identities is issued by a CA the server lists: import one that is")
	}
	return []Cause{c}
}
