package tlsengine

import (
	"fmt"
	"net"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// A server hosting several names picks the site (and often the client CAs)
// by the server name the ClientHello carries (SNI). A name it does not
// serve gets unrecognized_name (112), or from some servers a bare
// internal_error (80); an IP address in the URL sends no name at all.

// sniSent is the name the ClientHello carried, "" when none: crypto/tls
// sends no SNI for an IP address (RFC 6066 3 forbids literal addresses).
func sniSent(ev *evidence) string {
	if net.ParseIP(ev.serverName) != nil {
		return ""
	}
	return ev.serverName
}

// sniHints say which name went out and how to test another without
// changing where the connection goes.
func sniHints(ev *evidence) []string {
	first := "no server name (SNI) was sent: the URL names an IP address; name the site with --servername NAME"
	if name := sniSent(ev); name != "" {
		first = fmt.Sprintf("the server does not serve the server name (SNI) %q: set the name it serves with --servername NAME (the connection still goes to %s)",
			safetext.Line(name), safetext.Line(ev.req.target))
	}
	return []string{first,
		fmt.Sprintf("or put the site's name in the URL and keep the address with --connect-to %s (curl's --resolve and --connect-to work alike)", safetext.Line(ev.req.target)),
		"a server that routes by name (a load balancer, SNI-based virtual hosts) may also send its default site's certificate for an unknown name"}
}

// sniInternalErrorRule: internal_error (80) in the handshake when no name,
// or a name other than the URL's host, was sent. Servers that require a
// known name (HAProxy's strict-sni, some CDNs) abort that way instead of
// with unrecognized_name.
type sniInternalErrorRule struct{}

func (sniInternalErrorRule) Info() ruleInfo {
	return ruleInfo{Name: "alert-internal-error-sni", Categories: []Category{TLSError},
		Source: "RFC 6066 3; HAProxy strict-sni and CDNs abort a handshake without a known server name with internal_error (80)"}
}

func (sniInternalErrorRule) Applies(ev *evidence) bool {
	return alertIs(ev, 80) && !ev.handshakeDone && (sniSent(ev) == "" || ev.serverName != ev.req.host)
}

func (sniInternalErrorRule) Propose(ev *evidence) []Cause {
	c := alertAborted(ev)
	// No name at all is what strict servers refuse; a name other than the
	// URL's host is usually deliberate (--servername), so only possible.
	c.Confidence = Possible
	if name := sniSent(ev); name == "" {
		c.Confidence = Likely
		c.Evidence += " during the handshake, and no server name (SNI) was sent"
	} else {
		c.Evidence += fmt.Sprintf(" during the handshake, and the server name sent (%q) is not the URL's host", safetext.Line(name))
	}
	c.summary = fmt.Sprintf("the server aborted the handshake with alert 80 (%s): it may not know the server name sent", AlertName(80))
	c.hints = sniHints(ev)
	return []Cause{c}
}
