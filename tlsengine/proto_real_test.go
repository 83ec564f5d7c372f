package tlsengine_test

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
)

// The protocols against the real servers their users run, configured as
// for client certificates (tlsengine/realserver): for each, a good,
// missing, rogue and expired identity, and one the TLS layer accepts but
// the application refuses.

func (f *fixture) realTLS() realserver.TLS {
	return realserver.TLS{Cert: f.server, ClientCAs: []*x509.Certificate{f.root.Cert}}
}

// runReal runs each case against srv at url; preamble: the protocol talks
// before TLS, and that is timed. A failing case shows the server's logs.
func runReal(t *testing.T, f *fixture, srv *realserver.Server, url string, cases map[string]protoCase, preamble bool) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.url = url
			r := c.run(t, f)
			if preamble && r.Timing.PreambleMs <= 0 {
				t.Errorf("the preamble was not timed:\n%s", dump(t, r))
			}
			if t.Failed() {
				t.Log(srv.Logs())
			}
		})
	}
}

func TestPostgresReal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := realserver.StartPostgres(t, realserver.PostgresConfig{TLS: f.realTLS(),
		// joe-rsa signs in with a password after a verified certificate;
		// joe-ec and other with the certificate alone; nobody else.
		HBA: []string{
			"hostssl all joe-rsa 127.0.0.1/32 scram-sha-256 clientcert=verify-ca",
			"hostssl all joe-ec,other 127.0.0.1/32 cert clientcert=verify-full",
		},
		Roles: []string{"joe-ec", "joe-rsa", "other"}})
	url := "postgres://" + srv.Addr
	cases := map[string]protoCase{
		"good identity": {client: cert(f.clientEC), opts: tlsengine.Options{Database: "postgres"},
			app: `authentication ok: connected as user "joe-ec" to database "postgres"`},
		"no identity": {opts: tlsengine.Options{User: "joe-ec"}, want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseResponse,
			app: "28000 connection requires a valid client certificate", summary: "PostgreSQL requires a client certificate and none was sent"},
		"rogue identity": {client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake},
		"expired":        {client: cert(f.clientExpired), want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake},
		"TLS accepts, the user is another": {client: cert(f.clientEC), opts: tlsengine.Options{User: "other", Database: "postgres"},
			want: tlsengine.ClientCertRejected, phase: tlsengine.PhaseResponse,
			app: `28000 certificate authentication failed for user "other"`, hint: "connect as --user joe-ec"},
		"no pg_hba line": {client: cert(f.clientEC), opts: tlsengine.Options{User: "stranger"},
			want: tlsengine.HTTPForbidden, phase: tlsengine.PhaseResponse, app: "no pg_hba.conf entry"},
		"a password next": {client: cert(f.clientRSA), opts: tlsengine.Options{Database: "postgres"},
			app: "asks next for a password (SASL SCRAM-SHA-256"},
	}
	runReal(t, f, srv, url, cases, true)
	// Tried as HTTPS or raw TLS, PostgreSQL hangs up on the ClientHello;
	// the report names it and gives the command that works.
	for _, scheme := range []string{"https", "tls"} {
		t.Run(scheme+" to PostgreSQL", func(t *testing.T) {
			r := protoCase{url: scheme + "://" + srv.Addr, client: cert(f.clientEC), want: tlsengine.NotTLS, phase: tlsengine.PhaseHandshake,
				summary: "it looks like PostgreSQL, which wants its SSLRequest before TLS", hint: "mtlswb send postgres://" + srv.Addr + " --identity x"}.run(t, f)
			if strings.Contains(r.Failure.Summary, "rejected") {
				t.Errorf("a protocol mismatch called a rejection: %s", r.Failure.Summary)
			}
		})
	}
	t.Run("probe", func(t *testing.T) {
		r := tlsengine.Run(context.Background(), tlsengine.Request{URL: url, Probe: true, ClientCert: cert(f.clientEC),
			Roots: []*x509.Certificate{f.root.Cert}, Timeout: 5 * time.Second})
		if !r.OK || r.Application != nil || !r.TLS.ClientCertRequested || r.TLS.ALPN != "" && r.TLS.ALPN != "postgresql" {
			t.Errorf("want a handshake with a certificate request and no exchange:\n%s", dump(t, r))
		}
	})
}

func TestMosquittoReal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := realserver.StartMosquitto(t, realserver.MosquittoConfig{TLS: f.realTLS(), Verify: realserver.VerifyRequired})
	url := "mqtts://" + srv.Addr
	cases := map[string]protoCase{
		"good identity":  {client: cert(f.clientEC), opts: tlsengine.Options{ClientID: "sensor-1"}, app: "0x00 CONNACK accepted (MQTT 5)"},
		"no identity":    {want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseHandshake},
		"rogue identity": {client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake},
		"expired":        {client: cert(f.clientExpired), want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake},
	}
	runReal(t, f, srv, url, cases, false)
	// An HTTPS client with a good certificate: the broker takes it and
	// closes on the HTTP request. Not a rejection: an MQTT broker.
	t.Run("https to the broker", func(t *testing.T) {
		r := protoCase{url: "https://" + srv.Addr, client: cert(f.clientEC), want: tlsengine.HTTPError, phase: tlsengine.PhaseResponse,
			summary: "closed it on the HTTP request: it looks like an MQTT broker", hint: "mtlswb send mqtts://" + srv.Addr + " --identity x"}.run(t, f)
		if r.TLS.ClientCertSent == nil {
			t.Errorf("the certificate was not sent:\n%s", dump(t, r))
		}
	})
}

// With require_certificate false the TLS layer lets a client without a
// certificate in, and the broker refuses it at CONNECT: there is no CN to
// take its user name from. (mosquitto's ACLs cannot refuse an identity the
// TLS layer accepted: they filter topics at delivery, and SUBACK grants
// all; the in-test broker of TestMQTT covers a CONNACK "not authorized".)
func TestMosquittoRealOptional(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := realserver.StartMosquitto(t, realserver.MosquittoConfig{TLS: f.realTLS(), Verify: realserver.VerifyOptional})
	protoCase{url: "mqtts://" + srv.Addr, want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseResponse,
		app: "0x86 CONNACK bad user name or password (MQTT 5)", summary: "the broker accepted TLS without a client certificate but refused the connection"}.run(t, f)
	// mosquitto asks for no certificate then, so even a good one is not
	// sent, and the report says so.
	protoCase{url: "mqtts://" + srv.Addr, client: cert(f.clientEC), want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseResponse,
		app: "0x86 CONNACK", summary: "the broker did not ask for a client certificate", hint: "require_certificate true"}.run(t, f)
}

func TestMariaDBReal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := realserver.StartMariaDB(t, realserver.MariaDBConfig{TLS: f.realTLS(), Users: []realserver.MariaDBUser{
		{Name: "joe-ec", Require: "X509"},
		{Name: "other", Require: "SUBJECT '/CN=other'"},
	}})
	url := "mysql://" + srv.Addr
	cases := map[string]protoCase{
		"good identity":  {client: cert(f.clientEC), app: `OK logged in as user "joe-ec" without a password`},
		"no identity":    {opts: tlsengine.Options{User: "joe-ec"}, want: tlsengine.ClientCertRequired, phase: tlsengine.PhaseResponse, app: "1045 Access denied for user 'joe-ec'"},
		"rogue identity": {client: cert(f.clientRogue), want: tlsengine.ClientCertUnknownCA, phase: tlsengine.PhaseHandshake},
		"expired":        {client: cert(f.clientExpired), want: tlsengine.ClientCertExpired, phase: tlsengine.PhaseHandshake},
		"TLS accepts, REQUIRE SUBJECT refuses": {client: cert(f.clientEC), opts: tlsengine.Options{User: "other"},
			want: tlsengine.ClientCertRejected, phase: tlsengine.PhaseResponse, app: "1045 Access denied for user 'other'", hint: `the certificate's CN is "joe-ec"`},
	}
	runReal(t, f, srv, url, cases, true)
	// Tried as HTTPS, MariaDB greets first with its handshake packet.
	t.Run("https to MariaDB", func(t *testing.T) {
		protoCase{url: "https://" + srv.Addr, client: cert(f.clientEC), want: tlsengine.NotTLS, phase: tlsengine.PhaseHandshake,
			summary: "it looks like MySQL or MariaDB", hint: "mtlswb send mysql://" + srv.Addr + " --identity x"}.run(t, f)
	})
}
