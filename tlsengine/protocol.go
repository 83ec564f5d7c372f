package tlsengine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
)

// protocol is what an attempt speaks around TLS. Every attempt runs the same
// phases (phases.go); a protocol supplies only what differs between, say,
// HTTPS and PostgreSQL: the port its URLs default to, the ALPN names its
// ClientHello offers, what it sends before TLS (a preambler, optional) and
// its exchange after the handshake, which yields the application's verdict.
//
// Each protocol lives in its own proto_*.go file and registers its URL
// schemes in an init function. Adding one touches neither the dial path nor
// another protocol. The interface is unexported because protocols drive the
// attempt's internals (its connection phases) from inside this package;
// callers see only the schemes (Schemes) and the answers (Report).
type protocol interface {
	// name names the protocol in reports and messages: "HTTP", "TLS".
	name() string
	// defaultPort is the port of a URL that names none.
	defaultPort() int
	// alpn lists the application protocols the ClientHello offers.
	alpn() []string
	// check validates what only this protocol sends (HTTP: method and
	// headers); target, versions, proxy and certificates are checked
	// already. Its errors say what to fix, like Validate's.
	check(r Request, t target) error
	// echo records in the report what this protocol sends besides the
	// target (HTTP: the method), so a saved report stands alone.
	echo(r Request, info RequestInfo) RequestInfo
	// exchange talks to the server after the handshake and returns what it
	// answered. It opens its connection with a.open, which runs the
	// connection phases and bounds the connection by ctx (the exchange
	// closes it), or gives a.dialTLS to a client that dials by itself. It
	// marks PhaseRequest and PhaseResponse with a.setPhase. An answer in
	// the protocol's own words that refuses the attempt is returned as a
	// *refusal along with the outcome. Other errors are returned as they
	// are: the engine recovers the TLS alert behind one (lateAlert) and
	// diagnoses it.
	exchange(ctx context.Context, a *attempt) (outcome, error)
}

// preambler is a protocol that talks in plain text before TLS starts: SMTP's
// STARTTLS, PostgreSQL's SSLRequest. preamble runs on the connected socket
// (through the proxy's tunnel if any), under the attempt's deadline, before
// the ClientHello; serverName is the name the handshake will send. It may
// read through a buffer: TLS then runs on the socket, not on the preamble's
// reader, so bytes read past the server's go-ahead are dropped, as they
// must be: plaintext sent before the handshake must not pass for protected
// data (the STARTTLS injection of CVE-2011-0411). A refusal in the
// protocol's own words (STARTTLS not offered, SSL refused) is a *refusal.
type preambler interface {
	preamble(ctx context.Context, c net.Conn, serverName string) error
}

// outcome is what an exchange learned from the server's answer.
type outcome struct {
	http *HTTPInfo
	app  *Application
}

// answered says whether the server answered at all: one that did has
// accepted the client certificate, so no late alert explains a failure.
func (o outcome) answered() bool { return o.http != nil || o.app != nil }

// refusal is a server's refusal spoken in its own protocol: a preamble the
// server declined, an application that turned the identity away. The
// protocol knows what the words mean, so it names the category itself;
// failures below the protocol (TCP, TLS) are diagnosed as for any other.
type refusal struct {
	category Category
	summary  string
	said     string // the server's words; sanitized when reported
	hints    []string
}

func (r *refusal) Error() string { return fmt.Sprintf("%s: the server said %q", r.summary, r.said) }

// refused says whether err is, or wraps, a refusal.
func refused(err error) bool {
	if err == nil {
		return false // before rf, which escapes: no allocation when all went well
	}
	var rf *refusal
	return errors.As(err, &rf)
}

// protocols maps a URL scheme to its protocol; register fills it at init.
var protocols = map[string]protocol{}

// register makes p the protocol of the given URL schemes (lower case). A
// scheme registered twice is a programming error, caught at start-up.
func register(p protocol, schemes ...string) {
	for _, s := range schemes {
		if old, dup := protocols[s]; dup {
			panic(fmt.Sprintf("tlsengine: scheme %q registered by %s and %s", s, old.name(), p.name()))
		}
		protocols[s] = p
	}
}

// Scheme is a URL scheme Run accepts.
type Scheme struct {
	Name        string // "https", "tls"
	Protocol    string // what it speaks: "HTTP", "TLS"
	DefaultPort int    // the port of a URL that names none
}

// Schemes lists the URL schemes Run accepts, sorted by name, so that callers
// (URL checks, completion, help) follow the engine instead of copying it.
func Schemes() []Scheme {
	out := make([]Scheme, 0, len(protocols))
	for name, p := range protocols {
		out = append(out, Scheme{Name: name, Protocol: p.name(), DefaultPort: p.defaultPort()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
