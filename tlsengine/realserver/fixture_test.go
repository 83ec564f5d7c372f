package realserver_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// fixture is one PKI for every smoke test: a root that issues the server and
// the good client, and a rogue root nobody trusts.
type fixture struct {
	root, rogue   pki.Pair
	server        pki.Pair
	client        pki.Pair // CN "client", the role/user name the databases know
	clientRogue   pki.Pair
	clientRevoked pki.Pair
}

var (
	fixtureOnce sync.Once
	shared      *fixture
)

// pkiFixture makes the PKI once per test binary: key generation is the
// slow part and every test can share it.
func pkiFixture(t *testing.T) *fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		f := &fixture{}
		f.root = must(pki.NewRoot(pki.Spec{CN: "Realserver Test Root", IsCA: true, MaxPathLen: 1}))
		f.rogue = must(pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true}))
		f.server = must(f.root.Issue(tlstest.ServerSpec("localhost")))
		f.client = must(f.root.Issue(pki.Spec{CN: "client", Client: true}))
		f.clientRogue = must(f.rogue.Issue(pki.Spec{CN: "client", Client: true}))
		f.clientRevoked = must(f.root.Issue(pki.Spec{CN: "revoked", Client: true}))
		shared = f
	})
	return shared
}

// tlsConfig is the server side most tests use: the server certificate and
// the root as the only client CA.
func (f *fixture) tlsConfig() realserver.TLS {
	return realserver.TLS{Cert: f.server, ClientCAs: []*x509.Certificate{f.root.Cert}}
}

// send makes one request through the engine, presenting p (none when nil).
func (f *fixture) send(srv *realserver.Server, p *pki.Pair, maxVersion uint16) tlsengine.Report {
	req := tlsengine.Request{URL: srv.URL("/"), Roots: []*x509.Certificate{f.root.Cert}, RootNames: []string{"test-root"},
		ServerName: "localhost", MaxVersion: maxVersion, Timeout: 5 * time.Second}
	if p != nil {
		req.ClientCert, req.ClientName = tlsCert(*p), p.Cert.Subject.CommonName
	}
	return tlsengine.Run(context.Background(), req)
}

// tlsCert is p with its chain as crypto/tls presents it.
func tlsCert(p pki.Pair, chain ...*x509.Certificate) *tls.Certificate {
	c := tlstest.TLSCert(p, chain...)
	return &c
}

// must unwraps a fixture's pair. Making one fails only on a broken machine
// (no randomness), so it panics: the sync.Once of pkiFixture has no test
// of its own to fail.
func must(p pki.Pair, err error) pki.Pair {
	if err != nil {
		panic(err)
	}
	return p
}

// wantCategory fails with the report and the server's logs unless the report
// has category want ("" for success).
func wantCategory(t *testing.T, srv *realserver.Server, rep tlsengine.Report, want tlsengine.Category) {
	t.Helper()
	var got tlsengine.Category
	if rep.Failure != nil {
		got = rep.Failure.Category
	}
	if got == want {
		return
	}
	detail := "no failure"
	if rep.Failure != nil {
		detail = rep.Failure.Summary + " / " + rep.Failure.Detail
	}
	status := 0
	if rep.HTTP != nil {
		status = rep.HTTP.Status
	}
	t.Errorf("category %q, want %q (%s; HTTP status %d)\n%s", got, want, detail, status, srv.Logs())
}

// clientTLS is a plain crypto/tls client config for the bare protocol
// clients, presenting p (none when nil); see clientConfig.
func (f *fixture) clientTLS(p *pki.Pair, maxVersion uint16) *tls.Config {
	var c *tls.Certificate
	if p != nil {
		c = tlsCert(*p)
	}
	return f.clientConfig(c, 0, maxVersion)
}

// clientConfig trusts the fixture's root for localhost and presents c
// (none when nil) whatever CAs the server asks for, as the engine does.
func (f *fixture) clientConfig(c *tls.Certificate, minVersion, maxVersion uint16) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(f.root.Cert)
	return &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: minVersion, MaxVersion: maxVersion,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if c == nil {
				return &tls.Certificate{}, nil
			}
			return c, nil
		}}
}

// dialRaw connects to addr with a 5 s deadline for the whole exchange.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}
