package tlsengine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// scenario is one attempt against a real peer and the diagnosis it must get.
type scenario struct {
	addr  func(t *testing.T, f *fixture) string
	req   func(f *fixture) tlsengine.Request
	probe bool // also run as a handshake-only probe
	// want is the category; "" means success.
	want  tlsengine.Category
	phase tlsengine.Phase
	alert int
	check func(t *testing.T, r tlsengine.Report)
}

func serveWith(mut func(f *fixture, c *serve.Config)) func(*testing.T, *fixture) string {
	return func(t *testing.T, f *fixture) string {
		cfg := serve.Config{Cert: tlstest.TLSCert(f.server), ClientCAs: []*x509.Certificate{f.root.Cert}}
		if mut != nil {
			mut(f, &cfg)
		}
		return tlstest.StartServe(t, cfg)
	}
}

func openssl(extra ...string) func(*testing.T, *fixture) string {
	return func(t *testing.T, f *fixture) string {
		return tlstest.StartOpenSSL(t, f.opensslArgs(t, f.server, extra...)...)
	}
}

func withClient(get func(f *fixture) *tls.Certificate, mut ...func(f *fixture, r *tlsengine.Request)) func(f *fixture) tlsengine.Request {
	return func(f *fixture) tlsengine.Request {
		r := tlsengine.Request{Roots: []*x509.Certificate{f.root.Cert}, RootNames: []string{"test-root"}, Timeout: 5 * time.Second}
		if get != nil {
			r.ClientCert = get(f)
			r.ClientName = "joe"
		}
		for _, m := range mut {
			m(f, &r)
		}
		return r
	}
}

var (
	ec      = func(f *fixture) *tls.Certificate { return cert(f.clientEC) }
	rsaKey  = func(f *fixture) *tls.Certificate { return cert(f.clientRSA) }
	ed      = func(f *fixture) *tls.Certificate { return cert(f.clientEd) }
	expired = func(f *fixture) *tls.Certificate { return cert(f.clientExpired) }
	noEKU   = func(f *fixture) *tls.Certificate { return cert(f.clientServerOnly) }
	rogue   = func(f *fixture) *tls.Certificate { return cert(f.clientRogue) }
)

func TestScenarios(t *testing.T) {
	f := newFixture(t)
	tls12 := func(_ *fixture, r *tlsengine.Request) { r.MaxVersion = tls.VersionTLS12 }
	cases := map[string]scenario{
		"serve ok ec tls13":        {addr: serveWith(nil), req: withClient(ec), probe: true},
		"serve ok rsa tls13":       {addr: serveWith(nil), req: withClient(rsaKey), probe: true},
		"serve ok ed25519 tls13":   {addr: serveWith(nil), req: withClient(ed), probe: true},
		"serve ok ec tls12":        {addr: serveWith(nil), req: withClient(ec, tls12), probe: true},
		"openssl ok ec tls13":      {addr: openssl(), req: withClient(ec), probe: true},
		"openssl ok rsa tls13":     {addr: openssl(), req: withClient(rsaKey), probe: true},
		"openssl ok ed25519 tls13": {addr: openssl(), req: withClient(ed), probe: true},
		"openssl ok ec tls12":      {addr: openssl("-no_tls1_3"), req: withClient(ec), probe: true},
		"openssl ok rsa tls12":     {addr: openssl("-no_tls1_3"), req: withClient(rsaKey), probe: true},
		"openssl ok ed25519 tls12": {addr: openssl("-no_tls1_3"), req: withClient(ed), probe: true},

		"serve cert required tls13": {addr: serveWith(nil), req: withClient(nil), probe: true,
			want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake, alert: 116},
		"serve cert required tls12": {addr: serveWith(nil), req: withClient(nil, tls12), probe: true,
			want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake},
		"openssl cert required tls13": {addr: openssl(), req: withClient(nil), probe: true,
			want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake, alert: 116},
		"openssl cert required tls12": {addr: openssl("-no_tls1_3"), req: withClient(nil), probe: true,
			want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake, alert: 40},

		"serve unknown ca": {addr: serveWith(nil), req: withClient(rogue), probe: true,
			want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake, alert: 48},
		"openssl unknown ca": {addr: openssl(), req: withClient(rogue), probe: true,
			want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake, alert: 48},
		"openssl unknown ca tls12": {addr: openssl("-no_tls1_3"), req: withClient(rogue), probe: true,
			want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake, alert: 48},

		"serve expired client": {addr: serveWith(nil), req: withClient(expired), probe: true,
			want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake, alert: 45},
		"openssl expired client": {addr: openssl(), req: withClient(expired), probe: true,
			want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake, alert: 45},

		"serve client without clientAuth": {addr: serveWith(nil), req: withClient(noEKU), probe: true,
			want: tlsengine.ClientCertWrongUsage, phase: tlsengine.PhaseHandshake, alert: 42},
		"openssl client without clientAuth": {addr: openssl(), req: withClient(noEKU), probe: true,
			want: tlsengine.ClientCertWrongUsage, phase: tlsengine.PhaseHandshake},

		"server untrusted": {addr: serveWith(nil), probe: true,
			req: withClient(ec, func(f *fixture, r *tlsengine.Request) {
				r.Roots, r.RootNames = []*x509.Certificate{f.rogue.Cert}, []string{"rogue"}
				r.KnownCAs = []tlsengine.NamedChain{{Name: "corp-root", Chain: []*x509.Certificate{f.root.Cert}}}
			}),
			want: tlsengine.ServerCertUntrusted, phase: tlsengine.PhaseHandshake,
			check: hintContains("CA `corp-root` in your workspace would verify this server")},
		"server expired": {addr: serveWith(func(f *fixture, c *serve.Config) { c.Cert = tlstest.TLSCert(f.serverExpired) }),
			req: withClient(ec), probe: true, want: tlsengine.ServerCertExpired, phase: tlsengine.PhaseHandshake},
		"server not yet valid": {addr: serveWith(func(f *fixture, c *serve.Config) { c.Cert = tlstest.TLSCert(f.serverFuture) }),
			req: withClient(ec), probe: true, want: tlsengine.ServerCertNotYetValid, phase: tlsengine.PhaseHandshake},
		"lone leaf under system roots": {addr: serveWith(func(f *fixture, c *serve.Config) { c.Cert = tlstest.TLSCert(f.serverOld) }),
			req:   withClient(ec, func(_ *fixture, r *tlsengine.Request) { r.Roots, r.RootNames = nil, nil }),
			probe: true, want: tlsengine.ServerChainIncomplete, phase: tlsengine.PhaseHandshake},
		"lone leaf under explicit roots": {addr: serveWith(func(f *fixture, c *serve.Config) { c.Cert = tlstest.TLSCert(f.serverOld) }),
			req: withClient(ec), probe: true, want: tlsengine.ServerCertUntrusted, phase: tlsengine.PhaseHandshake,
			check: hintContains("the server's chain is also incomplete")},
		"hostname mismatch": {addr: serveWith(func(f *fixture, c *serve.Config) { c.Cert = tlstest.TLSCert(f.serverOtherName) }),
			req: withClient(ec), probe: true, want: tlsengine.ServerHostnameMismatch, phase: tlsengine.PhaseHandshake,
			check: summaryContains("other.example")},
		"incomplete chain": {addr: serveWith(func(f *fixture, c *serve.Config) { c.Cert = tlstest.TLSCert(f.serverOld) }),
			req: withClient(ec, func(f *fixture, r *tlsengine.Request) {
				r.KnownCAs = []tlsengine.NamedChain{{Name: "test-intermediate", Chain: []*x509.Certificate{f.inter.Cert, f.root.Cert}}}
			}),
			probe: true, want: tlsengine.ServerChainIncomplete, phase: tlsengine.PhaseHandshake,
			check: func(t *testing.T, r tlsengine.Report) {
				summaryContains("CN=Test Intermediate")(t, r)
				hintContains("trust `test-intermediate` for this request (--ca test-intermediate")(t, r)
			}},
		"complete chain": {addr: serveWith(func(f *fixture, c *serve.Config) { c.Cert = tlstest.TLSCert(f.serverOld, f.inter.Cert) }),
			req: withClient(ec), probe: true},
		"version mismatch min 1.3": {addr: openssl("-tls1_2"),
			req:  withClient(ec, func(_ *fixture, r *tlsengine.Request) { r.MinVersion = tls.VersionTLS13 }),
			want: tlsengine.ProtocolVersionMismatch, phase: tlsengine.PhaseHandshake, alert: 70},
		"version mismatch max 1.2": {addr: openssl("-tls1_3"), req: withClient(ec, tls12),
			want: tlsengine.ProtocolVersionMismatch, phase: tlsengine.PhaseHandshake, alert: 70},
		"plain http": {addr: func(t *testing.T, _ *fixture) string { return tlstest.StartPlainHTTP(t) },
			req: withClient(ec), probe: true, want: tlsengine.NotTLS, phase: tlsengine.PhaseHandshake,
			check: summaryContains("plain HTTP")},
		"connection refused": {addr: func(t *testing.T, _ *fixture) string { return tlstest.ClosedAddr(t) },
			req: withClient(ec), probe: true, want: tlsengine.ConnectionRefused, phase: tlsengine.PhaseConnect},
		"handshake timeout": {addr: func(t *testing.T, _ *fixture) string { return tlstest.StartSilent(t) },
			req:   withClient(ec, func(_ *fixture, r *tlsengine.Request) { r.Timeout = 300 * time.Millisecond }),
			probe: true, want: tlsengine.HandshakeTimeout, phase: tlsengine.PhaseHandshake},
		"allow list refuses": {addr: serveWith(func(_ *fixture, c *serve.Config) { c.AllowCN = []string{"somebody-else"} }),
			req: withClient(ec), want: tlsengine.HTTPUnauthorized, phase: tlsengine.PhaseResponse,
			check: func(t *testing.T, r tlsengine.Report) {
				if !strings.Contains(r.HTTP.BodyPreview, "not allowed") {
					t.Errorf("body preview does not carry the server's reason: %q", r.HTTP.BodyPreview)
				}
			}},
	}
	for name, sc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := sc.addr(t, f)
			kinds := []bool{false}
			if sc.probe {
				kinds = append(kinds, true)
			}
			for _, probe := range kinds {
				req := sc.req(f)
				req.Probe = probe
				req.URL = "https://" + addr + "/"
				if probe {
					req.URL = addr
				}
				r := tlsengine.Run(context.Background(), req)
				what := map[bool]string{false: "request", true: "probe"}[probe]
				if sc.want == "" {
					if !r.OK || r.Failure != nil {
						t.Fatalf("%s: want success, got:\n%s", what, dump(t, r))
					}
					if r.TLS.ClientCertSent == nil && req.ClientCert != nil {
						t.Errorf("%s: client certificate not recorded as sent:\n%s", what, dump(t, r))
					}
					continue
				}
				if r.OK || r.Failure == nil {
					t.Fatalf("%s: want %s, got success:\n%s", what, sc.want, dump(t, r))
				}
				if r.Failure.Category != sc.want || (sc.phase != "" && r.Failure.Phase != sc.phase) {
					t.Fatalf("%s: want %s in phase %s, got %s in %s:\n%s", what, sc.want, sc.phase, r.Failure.Category, r.Failure.Phase, dump(t, r))
				}
				if sc.alert != 0 && r.Failure.Alert != sc.alert {
					t.Errorf("%s: want alert %d, got %d", what, sc.alert, r.Failure.Alert)
				}
				if r.Failure.Summary == "" || len(r.Failure.Hints) == 0 {
					t.Errorf("%s: failure without summary or hints:\n%s", what, dump(t, r))
				}
				if sc.check != nil {
					sc.check(t, r)
				}
			}
		})
	}
}

func hintContains(s string) func(*testing.T, tlsengine.Report) {
	return func(t *testing.T, r tlsengine.Report) {
		t.Helper()
		for _, h := range r.Failure.Hints {
			if strings.Contains(h, s) {
				return
			}
		}
		t.Errorf("no hint contains %q:\n%s", s, dump(t, r))
	}
}

func summaryContains(s string) func(*testing.T, tlsengine.Report) {
	return func(t *testing.T, r tlsengine.Report) {
		t.Helper()
		if !strings.Contains(r.Failure.Summary, s) {
			t.Errorf("summary %q does not contain %q", r.Failure.Summary, s)
		}
	}
}
