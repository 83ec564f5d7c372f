package tlsengine

import (
	"fmt"
)

// The HTTP rules read an answer of 400 or more that came after a
// successful handshake. nginx's page for a failed certificate verification
// (495) is a rejection without a reason: see rule_rejected.go.

// nginxNoCertificate is nginx's page for its internal status 496.
const nginxNoCertificate = "No required SSL certificate was sent"

// answerSaid is what the server did, for a Failure's detail.
func answerSaid(ev *evidence) string {
	return fmt.Sprintf("the TLS handshake succeeded; the server answered HTTP %d", ev.answer.status)
}

// answerDetail adds what the body says to answerSaid.
func answerDetail(ev *evidence) string {
	if ev.answer.reason != "" {
		return answerSaid(ev) + ": " + ev.answer.reason
	}
	return answerSaid(ev)
}

// nginxNoCertificateRule: nginx with ssl_verify_client completes the
// handshake without a certificate and answers 400 with this page.
type nginxNoCertificateRule struct{}

func (nginxNoCertificateRule) Info() ruleInfo {
	return ruleInfo{Name: "nginx-no-certificate", Categories: []Category{ClientCertRequired},
		Source: "nginx ngx_http_ssl_module: ssl_verify_client on answers 400 (internal 496) \"" + nginxNoCertificate + "\""}
}

func (nginxNoCertificateRule) Applies(ev *evidence) bool {
	return ev.answer != nil && ev.answer.status == 400 && ev.answer.bodySays(nginxNoCertificate)
}

func (nginxNoCertificateRule) Propose(ev *evidence) []Cause {
	c := clientCause(ev, ClientCertRequired, answerSaid(ev)+" with nginx's page \""+nginxNoCertificate+"\"")
	c.Confidence = Certain
	c.Evidence = "the server answered HTTP 400 with nginx's page \"" + nginxNoCertificate + "\""
	return []Cause{c}
}

// httpStatusRule: the application refused the request with a status that
// names why; registered once per status.
type httpStatusRule struct {
	status   int
	category Category
	source   string
	summary  string
	hint     string
	sentHint string // with %s, the identity sent
}

var (
	httpUnauthorizedRule = httpStatusRule{status: 401, category: HTTPUnauthorized,
		source:   "RFC 9110 15.5.2: 401 means the request lacks valid authentication credentials",
		summary:  "the server accepted the TLS connection, but the application refused the request as unauthenticated (401)",
		hint:     "the application wants other credentials: check the WWW-Authenticate header and the body",
		sentHint: "if it authorizes by client certificate, %s may not be on its allow list"}
	httpForbiddenRule = httpStatusRule{status: 403, category: HTTPForbidden,
		source:   "RFC 9110 15.5.4: 403 means the server understood the request but refuses to fulfil it",
		summary:  "the server accepted the TLS connection, but the application forbids this request (403)",
		hint:     "the identity is known but lacks permission for this path or method: check the application's access rules",
		sentHint: "if access is granted per client certificate, try another identity than %s"}
)

func (r httpStatusRule) Info() ruleInfo {
	return ruleInfo{Name: fmt.Sprintf("http-%d", r.status), Categories: []Category{r.category}, Source: r.source}
}

func (r httpStatusRule) Applies(ev *evidence) bool {
	return ev.answer != nil && ev.answer.status == r.status
}

func (r httpStatusRule) Propose(ev *evidence) []Cause {
	c := Cause{Category: r.category, Confidence: Certain, Evidence: fmt.Sprintf("the server answered HTTP %d", r.status),
		summary: r.summary, detail: answerDetail(ev), hints: []string{r.hint}}
	if ev.client.sent {
		c.hints = append(c.hints, fmt.Sprintf(r.sentHint, ev.client.who))
	}
	return []Cause{c}
}
