package tlsengine

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Validate reports whether Run can attempt r at all: a usable URL (https://
// or another registered scheme such as tls:// for a request; host[:port] or
// a URL for a probe), what the URL's protocol sends (an HTTP method and
// headers), version range, proxy and client certificate. Its errors say what
// to fix.
func (r Request) Validate() error {
	_, err := r.check()
	return err
}

// target is where an attempt goes and what it speaks there.
type target struct {
	url        *url.URL // nil for a probe of host[:port]
	host, port string
	addr       string   // host:port to dial
	serverName string   // SNI and the name the certificate must match
	proto      protocol // never nil once parseTarget has run
}

// check validates r and returns its target. The target's protocol is set
// even when r is invalid, so that Run can echo the request as that protocol
// would have sent it.
func (r Request) check() (target, error) {
	tgt, err := r.parseTarget()
	if err != nil {
		return tgt, err
	}
	if !r.Probe {
		// A probe sends nothing after the handshake, so only a request has
		// protocol parts to check.
		if err := tgt.proto.check(r, tgt); err != nil {
			return tgt, err
		}
	}
	if r.Timeout < 0 {
		return tgt, fmt.Errorf("invalid timeout %s: use a positive duration, or zero for the default %s", r.Timeout, defaultTimeout)
	}
	minV, maxV := r.versions()
	for _, v := range []uint16{minV, maxV} {
		switch v {
		case tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13:
		default:
			return tgt, fmt.Errorf("unknown TLS version 0x%04x: use TLS 1.0 to 1.3", v)
		}
	}
	if minV > maxV {
		return tgt, fmt.Errorf("the minimum TLS version %s is above the maximum %s: swap them or drop one", tls.VersionName(minV), tls.VersionName(maxV))
	}
	if r.Proxy != "" {
		if _, err := proxyAddr(r.Proxy); err != nil {
			return tgt, err
		}
	}
	if r.ClientCert != nil {
		if _, err := leafOf(r.ClientCert); err != nil {
			return tgt, fmt.Errorf("client certificate %s: %w", safetext.Line(r.ClientName), err)
		}
		if r.ClientCert.PrivateKey == nil {
			return tgt, fmt.Errorf("client certificate %s has no private key: load the key with the certificate", safetext.Line(r.ClientName))
		}
	}
	for i, c := range r.Roots {
		if c == nil {
			return tgt, fmt.Errorf("trusted CA #%d is empty: pass parsed certificates only", i+1)
		}
	}
	for _, set := range [][]NamedChain{r.Candidates, r.KnownCAs} {
		for _, nc := range set {
			for _, c := range nc.Chain {
				if c == nil {
					return tgt, fmt.Errorf("%s has an empty certificate in its chain", quoteName(nc.Name))
				}
			}
		}
	}
	for _, src := range r.CRLs {
		if err := checkCRLSource(src); err != nil {
			return tgt, err
		}
	}
	if len(r.RootNames) > len(r.Roots) {
		return tgt, fmt.Errorf("%d root names for %d roots: give one name per root", len(r.RootNames), len(r.Roots))
	}
	return tgt, nil
}

func (r Request) versions() (uint16, uint16) {
	minV, maxV := r.MinVersion, r.MaxVersion
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	if maxV == 0 {
		maxV = tls.VersionTLS13
	}
	return minV, maxV
}

// Without a scheme, a request is HTTP (the only protocol requests had before
// schemes) and a probe is raw TLS.
const (
	requestScheme = "https"
	probeScheme   = "tls"
)

func (r Request) parseTarget() (target, error) {
	t := target{proto: protocols[requestScheme]}
	if r.Probe {
		t.proto = protocols[probeScheme]
	}
	raw := strings.TrimSpace(r.URL)
	if raw == "" {
		return t, errors.New("no URL given: use https://host[:port]/path, or host:port for a probe")
	}
	shown := safetext.Line(redactURL(raw)) // never echo a password
	switch {
	case strings.Contains(raw, "://"):
		u, err := url.Parse(raw)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its message repeats the URL, password included
			}
			return t, fmt.Errorf("invalid URL %q: %s", shown, safetext.Line(err.Error()))
		}
		p, ok := protocols[u.Scheme]
		if !ok {
			return t, fmt.Errorf("URL %q has scheme %q: mtlswb speaks TLS, use %s", shown, safetext.Line(u.Scheme), schemeHint())
		}
		if u.Hostname() == "" {
			return t, fmt.Errorf("URL %q has no host: use %s://host[:port]", shown, u.Scheme)
		}
		t.url, t.host, t.port, t.proto = u, u.Hostname(), u.Port(), p
	case r.Probe:
		host, port, err := net.SplitHostPort(raw)
		if err != nil {
			// A bare host (or IPv6 address) is fine for a probe: the
			// default port.
			host, port = strings.Trim(raw, "[]"), ""
		}
		t.host, t.port = host, port
	default:
		return t, fmt.Errorf("invalid URL %q: a request needs https://host[:port]/path (or tls://host:port for the handshake only)", shown)
	}
	if t.port == "" {
		t.port = strconv.Itoa(t.proto.defaultPort())
	}
	if p, err := strconv.Atoi(t.port); err != nil || p < 1 || p > 65535 {
		return t, fmt.Errorf("invalid port %q in %q: use 1 to 65535", safetext.Line(t.port), shown)
	}
	if t.host == "" || strings.ContainsAny(t.host, " /?#@") {
		return t, fmt.Errorf("invalid host in %q: use host:port", shown)
	}
	t.addr = net.JoinHostPort(t.host, t.port)
	t.serverName = t.host
	if r.ServerName != "" {
		t.serverName = r.ServerName
	}
	return t, nil
}

// schemeHint names the schemes Run accepts, https first: it is what most
// people who typed another scheme meant.
func schemeHint() string {
	var others []string
	for _, s := range Schemes() {
		if s.Name != requestScheme {
			others = append(others, s.Name+"://")
		}
	}
	hint := requestScheme + "://"
	if len(others) > 0 {
		hint += " (or " + strings.Join(others, ", ") + ")"
	}
	return hint
}

// redactURL hides a password in a URL: reports are saved and shown.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 && strings.Contains(s[:i], ":") {
		return "xxxxx@" + s[i+1:]
	}
	return s
}

// proxyAddr returns the host:port of an http:// CONNECT proxy URL.
func proxyAddr(proxy string) (string, error) {
	u, err := url.Parse(proxy)
	if err != nil || u.Scheme != "http" || u.Hostname() == "" {
		return "", fmt.Errorf("invalid proxy %q: use http://host:port (an HTTP CONNECT proxy)", safetext.Line(redactURL(proxy)))
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

func invalidRequest(err error) *Failure {
	return &Failure{
		Phase: PhaseSetup, Category: InvalidRequest,
		Summary: "the request is invalid, nothing was sent",
		Detail:  safetext.Line(err.Error()),
		Hints:   []string{"fix the request as the detail says and try again"},
	}
}
