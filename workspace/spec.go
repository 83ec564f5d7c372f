package workspace

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// Request turns the parts of a spec that need no workspace (method, URL,
// headers, body, TLS options) into an engine request. Resolve adds the
// identity and CAs by name; the CLI's --cert/--ca FILE path uses this alone.
func (spec RequestSpec) Request() (tlsengine.Request, error) {
	req := tlsengine.Request{
		Method:      strings.ToUpper(strings.TrimSpace(spec.Method)),
		URL:         strings.TrimSpace(spec.URL),
		Body:        []byte(spec.Body),
		Probe:       spec.Probe,
		SystemRoots: spec.SystemRoots,
		ServerName:  spec.ServerName,
		Insecure:    spec.Insecure,
		Follow:      spec.Follow,
		Proxy:       spec.Proxy,
		Options: tlsengine.Options{User: spec.User, Database: spec.Database, ClientID: spec.ClientID,
			GRPCMethod: spec.GRPCMethod, SASLExternal: spec.SASLExternal},
	}
	if req.URL == "" {
		return req, fmt.Errorf("no URL: give an https:// URL (or HOST:PORT to probe)")
	}
	if req.Method == "" && spec.HTTP() {
		req.Method = http.MethodGet
		if spec.Body != "" {
			req.Method = http.MethodPost
		}
	}
	if len(spec.Headers) > 0 {
		req.Header = http.Header{}
		for _, h := range spec.Headers {
			name, value, ok := strings.Cut(h, ":")
			name = strings.TrimSpace(name)
			if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
				return req, fmt.Errorf("header %q: write it as 'Name: value'", h)
			}
			req.Header.Add(name, strings.TrimSpace(value))
		}
	}
	var err error
	if req.MinVersion, err = ParseTLSVersion(spec.TLSMin); err != nil {
		return req, fmt.Errorf("minimum TLS version: %w", err)
	}
	if req.MaxVersion, err = ParseTLSVersion(spec.TLSMax); err != nil {
		return req, fmt.Errorf("maximum TLS version: %w", err)
	}
	if req.MinVersion != 0 && req.MaxVersion != 0 && req.MinVersion > req.MaxVersion {
		return req, fmt.Errorf("minimum TLS version %s is above the maximum %s", spec.TLSMin, spec.TLSMax)
	}
	if spec.Timeout != "" {
		if req.Timeout, err = time.ParseDuration(spec.Timeout); err != nil || req.Timeout <= 0 {
			return req, fmt.Errorf("timeout %q: use a duration such as 10s or 1m30s", spec.Timeout)
		}
	}
	return req, nil
}

// ParseTLSVersion reads "1.2" or "1.3" ("" is 0: the engine's default).
func ParseTLSVersion(s string) (uint16, error) {
	switch strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "tls") {
	case "":
		return 0, nil
	case "1.2", "12":
		return tls.VersionTLS12, nil
	case "1.3", "13":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%q is not a TLS version mtlswb speaks: use 1.2 or 1.3", s)
}

// HTTP says whether the spec's URL speaks HTTP: an https:// URL, or one
// without a scheme. Only HTTP has a method, headers and a body; other
// schemes have their own fields (User, Database, ClientID...).
func (spec RequestSpec) HTTP() bool {
	scheme, _, found := strings.Cut(strings.TrimSpace(spec.URL), "://")
	return !found || strings.EqualFold(scheme, "https")
}
