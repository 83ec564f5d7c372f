package tlsengine

import (
	"fmt"
	"strings"
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

// redirectRule: --follow met a redirect loop or too long a chain; the
// server's answers were valid HTTP, only they never ended.
type redirectRule struct{}

func (redirectRule) Info() ruleInfo {
	return ruleInfo{Name: "redirect-loop", Categories: []Category{HTTPError},
		Source: "RFC 9110 15.4: a client should detect and intervene in cyclical redirections; net/http stops after 10"}
}

func (redirectRule) Applies(ev *evidence) bool { return ev.redirect != nil }

func (redirectRule) Propose(ev *evidence) []Cause {
	rd := ev.redirect
	c := Cause{Category: HTTPError, Confidence: Certain, phase: PhaseResponse,
		Evidence: fmt.Sprintf("the server redirected %s", strings.Join(rd.Chain, " → ")),
		summary:  rd.Error(),
		hints: []string{"the redirects never reach a final answer: check the server's redirect rules (a login or HTTPS redirect that sends back to itself is common)",
			"send without --follow to see the first redirect and its Location"}}
	if !rd.Loop {
		c.hints[0] = fmt.Sprintf("more than %d redirects in a row: check the server's redirect rules", maxRedirects)
	}
	return []Cause{c}
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
	// noneHint replaces hint when no certificate was sent, when hint
	// presumes one ("the identity is known").
	noneHint string
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
		sentHint: "if access is granted per client certificate, try another identity than %s",
		noneHint: "the application refuses this request as it came: check its access rules for this path or method"}
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
	cl := ev.client
	switch {
	case cl.sent:
		c.hints = append(c.hints, fmt.Sprintf(r.sentHint, cl.who))
		return []Cause{c}
	case r.noneHint != "":
		c.hints = []string{r.noneHint}
	}
	switch {
	case ev.certReq != nil:
		// The server asked and got nothing: the refusal may be that
		// (optionalCertNotSentRule), not a decision about anyone.
		c.Confidence = Possible
		c.Evidence += "; no client certificate was sent, although the server asked for one"
	case cl.chosen:
		c.Evidence += fmt.Sprintf("; the server asked for no client certificate, so %s was not sent", cl.who)
		c.hints = append(c.hints, fmt.Sprintf("no client certificate was sent: the server did not ask for one in the handshake, so %s never reached it", cl.who))
	}
	return []Cause{c}
}
