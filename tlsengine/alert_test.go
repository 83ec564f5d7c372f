package tlsengine_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// fakeAlert stands in for crypto/tls's unexported alert type: a uint8 kind
// with an Error method.
type fakeAlert uint8

func (a fakeAlert) Error() string { return fmt.Sprintf("alert %d", uint8(a)) }

func TestAlertFromErrorShapes(t *testing.T) {
	cases := map[string]struct {
		err  error
		want uint8
		ok   bool
	}{
		"nil":                 {err: nil},
		"plain error":         {err: errors.New("boom")},
		"AlertError":          {err: tls.AlertError(48), want: 48, ok: true},
		"wrapped AlertError":  {err: fmt.Errorf("dial: %w", tls.AlertError(116)), want: 116, ok: true},
		"remote error":        {err: &net.OpError{Op: "remote error", Err: fakeAlert(45)}, want: 45, ok: true},
		"wrapped remote":      {err: fmt.Errorf("get: %w", &net.OpError{Op: "remote error", Err: fakeAlert(42)}), want: 42, ok: true},
		"local error ignored": {err: &net.OpError{Op: "local error", Err: fakeAlert(42)}},
		"read error":          {err: &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}},
		"op around op": {err: &net.OpError{Op: "dial", Err: &net.OpError{Op: "remote error", Err: fakeAlert(70)}},
			want: 70, ok: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := tlsengine.AlertFromError(c.err)
			if got != c.want || ok != c.ok {
				t.Errorf("AlertFromError = %d, %v; want %d, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// rawAttempt is a bare crypto/tls client: handshake, then one read, the way
// a TLS 1.3 rejection surfaces. It returns the first error.
func rawAttempt(addr string, cfg *tls.Config) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	return err
}

// TestAlertFromErrorRealServers checks the extraction against the errors
// crypto/tls really returns for alerts from OpenSSL and Go servers.
func TestAlertFromErrorRealServers(t *testing.T) {
	f := newFixture(t)
	roots := x509.NewCertPool()
	roots.AddCert(f.root.Cert)
	base := func(c *tls.Certificate, maxV uint16) *tls.Config {
		cfg := &tls.Config{RootCAs: roots, ServerName: "localhost", MaxVersion: maxV}
		if c != nil {
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }
		}
		return cfg
	}
	goServer := func(t *testing.T) string {
		return tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(f.server), ClientCAs: []*x509.Certificate{f.root.Cert}})
	}
	cases := map[string]struct {
		addr func(t *testing.T) string
		cfg  *tls.Config
		want uint8
	}{
		"openssl 1.3 no cert":  {addr: func(t *testing.T) string { return openssl()(t, f) }, cfg: base(nil, 0), want: 116},
		"openssl 1.2 no cert":  {addr: func(t *testing.T) string { return openssl("-no_tls1_3")(t, f) }, cfg: base(nil, 0), want: 40},
		"openssl unknown ca":   {addr: func(t *testing.T) string { return openssl()(t, f) }, cfg: base(cert(f.clientRogue), 0), want: 48},
		"openssl expired":      {addr: func(t *testing.T) string { return openssl()(t, f) }, cfg: base(cert(f.clientExpired), 0), want: 45},
		"openssl version":      {addr: func(t *testing.T) string { return openssl("-tls1_3")(t, f) }, cfg: base(cert(f.clientEC), tls.VersionTLS12), want: 70},
		"go 1.3 no cert":       {addr: goServer, cfg: base(nil, 0), want: 116},
		"go unknown ca":        {addr: goServer, cfg: base(cert(f.clientRogue), 0), want: 48},
		"go expired":           {addr: goServer, cfg: base(cert(f.clientExpired), 0), want: 45},
		"go wrong usage":       {addr: goServer, cfg: base(cert(f.clientServerOnly), 0), want: 42},
		"go 1.2 unknown ca":    {addr: goServer, cfg: base(cert(f.clientRogue), tls.VersionTLS12), want: 48},
		"openssl 1.2 wrong ca": {addr: func(t *testing.T) string { return openssl("-no_tls1_3")(t, f) }, cfg: base(cert(f.clientRogue), 0), want: 48},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := rawAttempt(c.addr(t), c.cfg)
			got, ok := tlsengine.AlertFromError(err)
			if !ok || got != c.want {
				t.Fatalf("AlertFromError(%v) = %d, %v; want %d", err, got, ok, c.want)
			}
			var ae tls.AlertError
			if errors.As(err, &ae) {
				// Not a failure: it means crypto/tls started using AlertError
				// over TCP, which AlertFromError already prefers.
				t.Logf("crypto/tls now returns tls.AlertError for received alerts")
			}
		})
	}
}

func TestAlertName(t *testing.T) {
	for n, want := range map[uint8]string{48: "unknown_ca", 116: "certificate_required", 200: "alert_200"} {
		if got := tlsengine.AlertName(n); got != want {
			t.Errorf("AlertName(%d) = %q, want %q", n, got, want)
		}
	}
}
