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

// apply puts the flags into the engine's request for rawURL.
func (d *diagFlags) apply(req *tlsengine.Request, rawURL string, cacheDir string) error {
	req.CRLs, req.Offline, req.Explain = d.rev.crls, d.rev.offline, d.explain
	if cacheDir != "" {
		req.RevocationCache = revocation.DirCache{Dir: cacheDir}
	}
	addr, err := d.dialAddr(rawURL)
	if err != nil {
		return err
	}
	req.ConnectTo = addr
	return nil
}

// dialAddr is the address --connect-to or --resolve gives for the URL's
// host and port, "" when none applies.
func (d *diagFlags) dialAddr(rawURL string) (string, error) {
	if d.connectTo == "" && len(d.resolve) == 0 {
		return "", nil
	}
	t, err := workspace.ParseTarget(rawURL)
	if err != nil {
		return "", badInput(err)
	}
	host, port := t.Host, fmt.Sprint(t.Port)
	for _, r := range d.resolve {
		// HOST:PORT:ADDRESS; an IPv6 address may be bracketed.
		parts := strings.SplitN(r, ":", 3)
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return "", usagef("--resolve %q: use HOST:PORT:ADDRESS, e.g. api.example:443:127.0.0.1", r)
		}
		if strings.EqualFold(parts[0], host) && parts[1] == port {
			return net.JoinHostPort(strings.Trim(parts[2], "[]"), port), nil
		}
	}
	if d.connectTo == "" {
		return "", nil
	}
	if parts := strings.Split(d.connectTo, ":"); len(parts) == 4 {
		// curl's HOST1:PORT1:HOST2:PORT2; an empty HOST1 or PORT1 matches any.
		if (parts[0] != "" && !strings.EqualFold(parts[0], host)) || (parts[1] != "" && parts[1] != port) {
			return "", nil
		}
		h2, p2 := parts[2], parts[3]
		if h2 == "" {
			h2 = host
		}
		if p2 == "" {
			p2 = port
		}
		return net.JoinHostPort(h2, p2), nil
	}
	if _, _, err := net.SplitHostPort(d.connectTo); err != nil {
		return "", usagef("--connect-to %q: use HOST:PORT (or curl's HOST1:PORT1:HOST2:PORT2)", d.connectTo)
	}
	return d.connectTo, nil
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
