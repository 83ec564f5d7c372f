package main

import (
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/workspace"
)

// exitUnjudged is probe's exit status when the handshake completed but the
// server has not judged the client certificate at the TLS layer (it asked
// optionally, or took a certificate that does not fit its request): only
// send sees the verdict.
const exitUnjudged = 3

// diagFlags are the flags send and probe share for the diagnosis: what it
// may fetch and check, and where to connect.
type diagFlags struct {
	rev       *revocationFlags // --crl, --offline (which also stops the caIssuers fetch)
	explain   bool
	connectTo string
	resolve   stringList
}

func addDiagFlags(fs *flag.FlagSet) *diagFlags {
	d := &diagFlags{rev: addRevocationFlags(fs)}
	fs.BoolVar(&d.explain, "explain", false, "when a TLS 1.3 server closes without a reason, retry the handshake with TLS 1.2 to tell why (probe always does)")
	fs.StringVar(&d.connectTo, "connect-to", "", "connect to `HOST:PORT` instead of the URL's address; the URL's host stays the server name (curl's HOST1:PORT1:HOST2:PORT2 works too)")
	fs.Var(&d.resolve, "resolve", "curl's `HOST:PORT:ADDRESS`: connect to ADDRESS for HOST:PORT")
	return d
}

// apply puts the flags into the engine's request: the diagnosis options
// and routes (from routes).
func (d *diagFlags) apply(req *tlsengine.Request, routes []tlsengine.Route, cacheDir string) {
	req.CRLs, req.Offline, req.Explain = d.rev.crls, d.rev.offline, d.explain
	if cacheDir != "" {
		req.RevocationCache = revocation.DirCache{Dir: cacheDir}
	}
	req.Routes = routes
}

// routeFlag names --resolve and --connect-to in the report's route line.
const routeFlag = "--connect-to/--resolve"

// routes turns --resolve and --connect-to into the engine's routes, tried
// in this order: every --resolve, then --connect-to. curl's forms match the
// host and port they name; the plain HOST:PORT form of --connect-to is a
// route for the URL's own host and port.
func (d *diagFlags) routes(rawURL string) ([]tlsengine.Route, error) {
	var routes []tlsengine.Route
	for _, r := range d.resolve {
		// HOST:PORT:ADDRESS; an IPv6 address may be bracketed.
		parts := strings.SplitN(r, ":", 3)
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, usagef("--resolve %q: use HOST:PORT:ADDRESS, e.g. api.example:443:127.0.0.1", r)
		}
		routes = append(routes, tlsengine.Route{Host: parts[0], Port: parts[1], ToHost: parts[2], Flag: routeFlag})
	}
	if d.connectTo == "" {
		return routes, nil
	}
	if parts := splitColons(d.connectTo); len(parts) == 4 {
		// curl's HOST1:PORT1:HOST2:PORT2; an empty part matches any, or
		// keeps the original.
		return append(routes, tlsengine.Route{Host: parts[0], Port: parts[1], ToHost: parts[2], ToPort: parts[3], Flag: routeFlag}), nil
	}
	toHost, toPort, err := net.SplitHostPort(d.connectTo)
	if err != nil {
		return nil, usagef("--connect-to %q: use HOST:PORT (or curl's HOST1:PORT1:HOST2:PORT2)", d.connectTo)
	}
	t, err := workspace.ParseTarget(rawURL)
	if err != nil {
		return nil, badInput(err)
	}
	return append(routes, tlsengine.Route{Host: t.Host, Port: fmt.Sprint(t.Port), ToHost: toHost, ToPort: toPort, Flag: routeFlag}), nil
}

// splitColons splits at colons outside brackets, so [::1] stays whole.
func splitColons(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// revocationCacheDir is where fetched CRLs and OCSP answers are kept
// between commands: $XDG_CACHE_HOME/mtlswb/revocation, else the user's cache
// directory; "" (no cache across commands) when there is none.
func (c *cli) revocationCacheDir() string {
	base := c.getenv("XDG_CACHE_HOME")
	if base == "" {
		home := c.getenv("HOME")
		if home == "" {
			return ""
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "mtlswb", "revocation")
}
