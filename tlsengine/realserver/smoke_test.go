package realserver_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

// TestSmoke starts every daemon as its users configure a required client
// certificate and checks that the good client gets in and that a bad one
// is refused the way that daemon refuses. The HTTP servers are judged by
// the engine; the others by a bare client of their own protocol
// (mysqlLogin, pgStartup, mqttSession), so the harness is proved apart
// from the engine's protocols.
func TestSmoke(t *testing.T) {
	t.Parallel()
	f := pkiFixture(t)
	required := f.tlsConfig()
	for _, s := range []struct {
		name   string
		server realserver.Config
		check  func(t *testing.T, f *fixture, srv *realserver.Server)
	}{
		// nginx finishes the handshake without a certificate and answers its
		// 400 page "No required SSL certificate was sent".
		{"nginx", realserver.NginxConfig{TLS: required, Verify: realserver.VerifyRequired},
			refuses("no client certificate", nil, tls.VersionTLS12, tlsengine.ClientCertRequired)},
		// verify required: HAProxy aborts the handshake with alert 48.
		{"haproxy", realserver.HAProxyConfig{TLS: required, Verify: realserver.VerifyRequired},
			refuses("rogue client", &f.clientRogue, 0, tlsengine.ClientCertUnknownCA)},
		// SSLVerifyClient require at the virtual host: mod_ssl fails the
		// handshake with alert 48 (TLS 1.3: after the client's Finished).
		{"apache", realserver.ApacheConfig{TLS: required, Verify: realserver.VerifyRequired},
			refuses("rogue client", &f.clientRogue, 0, tlsengine.ClientCertUnknownCA)},
		// Through stunnel to the harness's plain HTTP backend.
		{"stunnel", realserver.StunnelConfig{TLS: required, Verify: realserver.VerifyRequired},
			refuses("rogue client", &f.clientRogue, 0, tlsengine.ClientCertUnknownCA)},
		{"mosquitto", realserver.MosquittoConfig{TLS: required, Verify: realserver.VerifyRequired,
			ACL: "user client\ntopic readwrite sensors/#"}, mqttChecks},
		// With require_certificate false a client without a certificate has
		// no user name to take from it, and mosquitto refuses it at CONNACK
		// with 4, "bad user name or password" (not 5, "not authorized").
		{"mosquitto, optional certificate", realserver.MosquittoConfig{TLS: required, Verify: realserver.VerifyOptional}, mqttOptional},
		{"postgres", realserver.PostgresConfig{TLS: required, Roles: []string{"client", "other"}}, pgChecks},
		{"mariadb", realserver.MariaDBConfig{TLS: required, Users: []realserver.MariaDBUser{
			{Name: "client", Require: "X509"},
			{Name: "other", Require: "SUBJECT '/CN=other'"},
		}}, mysqlChecks},
	} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := realserver.Start(t, s.server)
			t.Logf("%s started in %s", srv.Name, srv.StartUp)
			s.check(t, f, srv)
		})
	}
}

// refuses checks an HTTP server through the engine: the good client gets
// through, and client p (none when nil), at maxVersion (0: any), fails
// with category want.
func refuses(name string, p *pki.Pair, maxVersion uint16, want tlsengine.Category) func(*testing.T, *fixture, *realserver.Server) {
	return func(t *testing.T, f *fixture, srv *realserver.Server) {
		t.Run("good client", func(t *testing.T) {
			wantCategory(t, srv, f.send(srv, &f.client, 0), "")
		})
		t.Run(name, func(t *testing.T) {
			wantCategory(t, srv, f.send(srv, p, maxVersion), want)
		})
	}
}

// login is one login through a database's own protocol and the answer it
// must get: all of is, or an answer that has has in it.
type login struct {
	client  *pki.Pair // none when nil
	user    string
	is, has string
}

// logins runs the cases against srv with do, the protocol's bare client.
func logins(t *testing.T, f *fixture, srv *realserver.Server, do func(*testing.T, string, *tls.Config, string) (string, error), cases map[string]login) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := do(t, srv.Addr, f.clientTLS(c.client, 0), c.user)
			if err == nil && (c.is == "" || got == c.is) && strings.Contains(got, c.has) {
				return
			}
			want := "want " + c.is
			if c.is == "" {
				want = "want an answer with " + c.has
			}
			t.Errorf("got %q, %v; %s\n%s", got, err, want, srv.Logs())
		})
	}
}
