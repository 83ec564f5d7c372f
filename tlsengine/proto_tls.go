package tlsengine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// rawTLS is TLS with nothing on top: tls://host:port, and what a probe of a
// bare host:port speaks. Having nothing to send after the handshake, its
// exchange is the verdict wait: the only way to see a TLS 1.3 server reject
// the client certificate.
type rawTLS struct{}

func init() { register(rawTLS{}, "tls") }

func (rawTLS) name() string     { return "TLS" }
func (rawTLS) defaultPort() int { return 443 }

// alpn offers what an HTTPS client offers, as probes always have: a probe
// previews the request that follows, and a server that routes or refuses by
// ALPN must answer both alike.
func (rawTLS) alpn() []string { return httpALPN }

func (rawTLS) check(r Request, t target) error {
	if t.url != nil && (strings.Trim(t.url.Path, "/") != "" || t.url.RawQuery != "") {
		return fmt.Errorf("URL %q has a path or query: a tls:// URL names only host:port", safetext.Line(redactURL(r.URL)))
	}
	if len(r.Header) > 0 || len(r.Body) > 0 {
		return errors.New("tls:// sends nothing after the handshake: drop the headers and body, or use an https:// URL")
	}
	return nil
}

func (rawTLS) echo(_ Request, info RequestInfo) RequestInfo { return info }

func (rawTLS) exchange(ctx context.Context, a *attempt) (outcome, error) {
	return outcome{}, a.probe(ctx)
}
