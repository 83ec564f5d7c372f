package tlsengine

import (
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// notTLSRule: the server answered the ClientHello with something that is
// not a TLS record; its first bytes usually say what it speaks.
type notTLSRule struct{}

func (notTLSRule) Info() ruleInfo {
	return ruleInfo{Name: "not-tls", Categories: []Category{NotTLS},
		Source: "RFC 8446 5.1: every TLS record starts with a content type of 20 to 24 and a version"}
}

func (notTLSRule) Applies(ev *evidence) bool { return ev.recordHeader != nil }

// greetings are how other protocols open, by their first bytes.
var greetings = []struct{ prefix, what string }{
	{"HTTP/", "plain HTTP"}, {"<", "plain HTTP"},
	{"SSH-", "SSH"},
	{"220", "an SMTP or FTP greeting"},
	{"* OK", "IMAP"},
	{"+OK", "POP3"},
}

func (notTLSRule) Propose(ev *evidence) []Cause {
	first := ev.first
	if len(first) == 0 {
		first = ev.recordHeader.RecordHeader[:]
	}
	what := "something that is not TLS"
	for _, g := range greetings {
		if strings.HasPrefix(string(first), g.prefix) {
			what = g.what
			break
		}
	}
	c := Cause{Category: NotTLS, Confidence: Certain, phase: PhaseHandshake,
		Evidence: fmt.Sprintf("the server answered the ClientHello with %q", safetext.Line(firstLine(first))),
		summary:  fmt.Sprintf("the server does not speak TLS on %s: its answer looks like %s", safetext.Line(ev.req.target), what),
		detail:   fmt.Sprintf("it answered the TLS ClientHello with %q", safetext.Line(string(first))),
		hints:    []string{"use the port where the server speaks TLS"}}
	switch what {
	case "plain HTTP":
		plain := "http://" + ev.req.target + ev.req.path
		if ev.req.path == "" {
			plain += "/"
		}
		c.hints = append(c.hints, fmt.Sprintf("this port serves plain HTTP, and mtlswb speaks only TLS: `curl %s` reaches it without TLS", safetext.Line(plain)))
	case "an SMTP or FTP greeting", "IMAP", "POP3":
		c.hints = append(c.hints, "this service may need STARTTLS: an smtp://, ftp://, imap:// or pop3:// URL speaks it")
	}
	return []Cause{c}
}

// firstLine is the first line of what the server sent.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(s, "\r")
}
