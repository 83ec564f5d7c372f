package tlsengine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestRawTLSScheme: tls://host:port is a probe written as a URL. Run on it
// and a probe of it stop after the handshake and the late-alert read, with
// the same verdicts as a probe of host:port.
func TestRawTLSScheme(t *testing.T) {
	f := newFixture(t)
	h := func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("raw TLS sent an HTTP request: %s %s", r.Method, r.URL)
	}
	strict := startHTTPS(t, f, true, h, func(c *tls.Config) { c.ClientAuth = tls.RequireAndVerifyClientCert })
	cases := map[string]struct {
		url    string
		probe  bool
		client *tls.Certificate
		want   tlsengine.Category // "" for success
	}{
		"run accepted":    {url: "tls://" + strict, client: cert(f.clientEC)},
		"run rejected":    {url: "tls://" + strict, client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA},
		"probe of tls://": {url: "tls://" + strict, probe: true, client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA},
		"probe host:port": {url: strict, probe: true, client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA},
		"run no identity": {url: "tls://" + strict, want: tlsengine.ClientCertRequired},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req := tlsengine.Request{URL: c.url, Probe: c.probe, ClientCert: c.client, Roots: []*x509.Certificate{f.root.Cert}}
			r := tlsengine.Run(context.Background(), req)
			switch {
			case c.want == "" && !r.OK:
				t.Fatalf("want success:\n%s", dump(t, r))
			case c.want != "" && (r.Failure == nil || r.Failure.Category != c.want || r.Failure.Phase != tlsengine.PhaseHandshake):
				t.Fatalf("want %s in the handshake:\n%s", c.want, dump(t, r))
			}
			if r.HTTP != nil || r.Request.Method != "" || r.TLS.Version != "TLS 1.3" || r.TLS.ALPN != "h2" {
				t.Errorf("want a TLS 1.3 handshake offering h2 and no HTTP:\n%s", dump(t, r))
			}
		})
	}
}

func TestSchemeValidation(t *testing.T) {
	cases := map[string]struct {
		req  tlsengine.Request
		want string // "" means valid; else a fragment of the error
	}{
		"tls url":            {req: tlsengine.Request{URL: "tls://example.test:8443"}},
		"tls default port":   {req: tlsengine.Request{URL: "tls://example.test"}},
		"tls trailing slash": {req: tlsengine.Request{URL: "tls://example.test:8443/"}},
		"tls probe":          {req: tlsengine.Request{URL: "tls://example.test:8443", Probe: true}},
		"tls with path":      {req: tlsengine.Request{URL: "tls://example.test/x"}, want: "names only host:port"},
		"tls with body":      {req: tlsengine.Request{URL: "tls://example.test", Body: []byte("x")}, want: "sends nothing after the handshake"},
		"tls bad method ok":  {req: tlsengine.Request{URL: "tls://example.test", Method: "GE T"}},
		"unknown scheme":     {req: tlsengine.Request{URL: "gopher://example.test"}, want: "use https:// (or "},
		"unknown names tls":  {req: tlsengine.Request{URL: "ftp://example.test"}, want: "tls://"},
		"no host":            {req: tlsengine.Request{URL: "tls://:443"}, want: "no host"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.req.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
