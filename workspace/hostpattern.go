package workspace

// # Profiles
//
// A profile binds host patterns to an identity, trust and TLS options, so
// `send URL` needs no flags. The complaints this answers come from other
// clients: a certificate silently not sent because `localhost` did not match
// `localhost:8443`, or "the first rule added wins". So the ranking is fixed
// and explained (Select returns every rule it looked at and why it lost),
// and a rule that could tie with another is refused when it is saved, never
// discovered at send time.
//
// Ranking, most specific first:
//
//  1. exact host and port (`api.partner.example:8443`, `[::1]:8443`)
//  2. exact host, any port (`api.partner.example`)
//  3. wildcards, the longest suffix first (`*.api.partner.example` before
//     `*.partner.example`); at the same suffix, one with a port first
//
// A wildcard stands for one or more leftmost labels, so `*.partner.example`
// covers `a.b.partner.example` but not `partner.example` or an IP address.
// On the same pattern, a profile of the active environment beats a profile
// without environment (the environment overrides the default); two profiles
// with the same pattern and the same environment are a tie, and the second
// is refused.

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// HostPattern is one parsed host rule.
type HostPattern struct {
	// Host is lowercase without a trailing dot; a wildcard keeps its "*."
	// prefix. IPv6 addresses are held without brackets.
	Host string
	Port int // 0: any port
}

// ParseHostPattern reads `host`, `host:port`, `*.suffix`, `*.suffix:port`,
// an IP address, or `[v6]:port`. Schemes, paths and wildcards other than a
// whole leftmost label are refused: they are the usual copy-paste mistakes.
func ParseHostPattern(s string) (HostPattern, error) {
	raw := s
	s = strings.TrimSpace(s)
	bad := func(why string) (HostPattern, error) {
		return HostPattern{}, fmt.Errorf("host pattern %q: %s", raw, why)
	}
	switch {
	case s == "":
		return bad("empty; give a host such as api.example.com, *.example.com or localhost:8443")
	case strings.Contains(s, "://"):
		return bad("has a scheme; give the host alone, such as api.example.com or api.example.com:8443")
	case strings.ContainsAny(s, "/?#"):
		return bad("has a path or query; give the host alone, such as api.example.com")
	case strings.Contains(s, "@"):
		return bad("has user information; give the host alone")
	}
	host, port := s, 0
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil && !strings.Contains(s, "]:") {
		host = ip.String()
	} else if h, p, err := net.SplitHostPort(s); err == nil {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 65535 {
			return bad("port " + strconv.Quote(p) + " is not a number from 1 to 65535")
		}
		host, port = h, n
		if ip := net.ParseIP(h); ip != nil {
			host = ip.String()
		}
	} else if strings.Count(s, ":") > 0 {
		return bad("write a port as host:port, and an IPv6 address with a port as [::1]:8443")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(host) != nil {
		return HostPattern{Host: host, Port: port}, nil
	}
	labels := strings.Split(host, ".")
	for i, l := range labels {
		switch {
		case l == "*" && i == 0 && len(labels) >= 2:
		case strings.Contains(l, "*"):
			return bad("a wildcard may only be the whole leftmost label, as in *.example.com")
		case l == "":
			return bad("has an empty label (two dots in a row, or a leading dot)")
		case len(l) > 63:
			return bad("has a label longer than 63 characters")
		default:
			for _, r := range l {
				if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
					return bad(fmt.Sprintf("%q is not allowed in a host name (letters, digits, - and _ only)", r))
				}
			}
		}
	}
	if len(host) > 253 {
		return bad("is longer than 253 characters")
	}
	return HostPattern{Host: host, Port: port}, nil
}

// String is the canonical form, the one profiles store.
func (p HostPattern) String() string {
	if p.Port == 0 {
		return p.Host
	}
	return net.JoinHostPort(p.Host, strconv.Itoa(p.Port))
}

// Wildcard reports whether the pattern starts with "*.".
func (p HostPattern) Wildcard() bool { return strings.HasPrefix(p.Host, "*.") }

// Rank names a pattern's class in the ranking.
type Rank string

const (
	RankExactHostPort Rank = "exact host and port"
	RankExactHost     Rank = "exact host, any port"
	RankWildcard      Rank = "wildcard"
)

// Rank is the pattern's class.
func (p HostPattern) Rank() Rank {
	switch {
	case p.Wildcard():
		return RankWildcard
	case p.Port != 0:
		return RankExactHostPort
	}
	return RankExactHost
}

// compare orders patterns by specificity: positive when p ranks above q.
func (p HostPattern) compare(q HostPattern) int {
	class := func(h HostPattern) int {
		switch h.Rank() {
		case RankExactHostPort:
			return 3
		case RankExactHost:
			return 2
		}
		return 1
	}
	if c := class(p) - class(q); c != 0 {
		return c
	}
	if c := len(p.Host) - len(q.Host); c != 0 {
		return c
	}
	return boolInt(p.Port != 0) - boolInt(q.Port != 0)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// match reports whether p covers t, and if not, why in words.
func (p HostPattern) match(t Target) (bool, string) {
	if p.Wildcard() {
		suffix := p.Host[1:] // ".partner.example"
		switch {
		case net.ParseIP(t.Host) != nil:
			return false, "a wildcard never matches an IP address"
		case t.Host == suffix[1:]:
			return false, fmt.Sprintf("%s covers the subdomains of %s, not %s itself", p.Host, suffix[1:], t.Host)
		case !strings.HasSuffix(t.Host, suffix):
			return false, fmt.Sprintf("%s is not under %s", t.Host, suffix[1:])
		}
	} else if p.Host != t.Host {
		return false, "another host"
	}
	if p.Port != 0 && p.Port != t.Port {
		return false, fmt.Sprintf("the rule is for port %d, the URL uses port %d", p.Port, t.Port)
	}
	return true, ""
}

// Target is the host and port a URL connects to.
type Target struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

func (t Target) String() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// ParseTarget reads a URL of any scheme the engine speaks (https://,
// postgres://, mqtts://... see tlsengine.Schemes), or host[:port] as probe
// takes it. The port defaults to the scheme's (443 for host[:port]), so a
// profile for db.example:5432 matches postgres://db.example.
func ParseTarget(raw string) (Target, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Target{}, errors.New("no URL: give an https:// URL (or another scheme mtlswb speaks) or HOST:PORT")
	}
	var host, port string
	defaultPort := 443
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return Target{}, fmt.Errorf("URL %q does not parse: %w", raw, err)
		}
		sch, ok := schemeOf(u.Scheme)
		if !ok {
			return Target{}, fmt.Errorf("URL %q: mTLS needs https:// (or %s), not %s://", raw, otherSchemes(), u.Scheme)
		}
		host, port, defaultPort = u.Hostname(), u.Port(), sch.DefaultPort
	} else {
		if strings.ContainsAny(s, "/?#@") {
			return Target{}, fmt.Errorf("%q is neither an https:// URL nor HOST:PORT", raw)
		}
		host = s
		if h, p, err := net.SplitHostPort(s); err == nil {
			host, port = h, p
		} else {
			host = strings.Trim(s, "[]")
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return Target{}, fmt.Errorf("URL %q has no host", raw)
	}
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	}
	t := Target{Host: host, Port: defaultPort}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("URL %q: port %q is not a number from 1 to 65535", raw, port)
		}
		t.Port = n
	}
	return t, nil
}

// schemeOf is the engine's scheme of that name.
func schemeOf(name string) (tlsengine.Scheme, bool) {
	for _, s := range tlsengine.Schemes() {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return tlsengine.Scheme{}, false
}

// otherSchemes names the schemes besides https, for messages.
func otherSchemes() string {
	var names []string
	for _, s := range tlsengine.Schemes() {
		if s.Name != "https" {
			names = append(names, s.Name+"://")
		}
	}
	return strings.Join(names, ", ")
}
