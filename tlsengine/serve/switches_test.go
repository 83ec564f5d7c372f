package serve_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

var versions = map[string]uint16{"tls12": tls.VersionTLS12, "tls13": tls.VersionTLS13}

// handshakeThenRead does a handshake with client certificate c (nil: none)
// at version v, writes a request and reads the answer: it returns the
// handshake error, or the first read's error and what was read.
func (e env) handshakeThenRead(addr string, c *tls.Certificate, v uint16) (hsErr, readErr error, got string) {
	cfg := &tls.Config{RootCAs: e.roots, ServerName: "localhost", MinVersion: v, MaxVersion: v,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if c == nil {
				return &tls.Certificate{}, nil
			}
			return c, nil
		}}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err, nil, ""
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); err != nil {
		return nil, err, ""
	}
	b, err := io.ReadAll(conn)
	return nil, err, string(b)
}

func TestCloseAfterHandshake(t *testing.T) {
	e := newEnv(t)
	for name, v := range versions {
		t.Run(name, func(t *testing.T) {
			log := newLineLog()
			addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert},
				CloseAfterHandshake: true, Log: log})
			hsErr, readErr, got := e.handshakeThenRead(addr, e.p.ClientCert(), v)
			if hsErr != nil {
				t.Fatalf("handshake: %v", hsErr)
			}
			if alert, ok := tlsengine.AlertFromError(readErr); ok {
				t.Errorf("read: alert %d; want a close without an alert", alert)
			}
			// A close after the client wrote its request may reach it as a
			// reset (unread data) or as EOF: both are a close, not an alert.
			closed := readErr == nil || errors.Is(readErr, io.ErrUnexpectedEOF) || errors.Is(readErr, syscall.ECONNRESET)
			if !closed || got != "" {
				t.Errorf("read %q, %v; want the connection closed with nothing read", got, readErr)
			}
			log.await(t, "closed right after the handshake, without an alert")
		})
	}
}

func TestStatusForNoCert(t *testing.T) {
	e := newEnv(t)
	addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert},
		ClientAuth: serve.VerifyIfGiven, StatusForNoCert: 496})
	cases := map[string]struct {
		cert *tls.Certificate
		want int
	}{
		"no certificate": {want: 496},
		"certificate":    {cert: e.p.ClientCert(), want: 200},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, echo, err := e.get(addr, tc.cert)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d (%+v)", resp.StatusCode, tc.want, echo)
			}
			if tc.want == 496 && (echo.OK || !strings.Contains(echo.Error, "client sent no certificate")) {
				t.Errorf("echo %+v; want ok false and the reason", echo)
			}
		})
	}
}

func TestCRL(t *testing.T) {
	e := newEnv(t)
	revoked, err := e.p.Root.Issue(pki.Spec{CN: "revoked", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	crl := realserver.NewCRL(t, e.p.Root, revoked.Cert)
	// A CRL of another CA naming the good client's serial must not count.
	rogue, err := pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	foreign := realserver.NewCRL(t, rogue, e.p.Client.Cert)
	crls, err := serve.ParseCRLs(append(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl}),
		pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: foreign})...))
	if err != nil {
		t.Fatal(err)
	}
	revokedCert := tlstest.TLSCert(revoked)
	cases := map[string]struct {
		cert  *tls.Certificate
		v     uint16
		alert uint8 // 0: the request succeeds
	}{
		"revoked tls12": {cert: &revokedCert, v: tls.VersionTLS12, alert: 44},
		"revoked tls13": {cert: &revokedCert, v: tls.VersionTLS13, alert: 44},
		"good tls12":    {cert: e.p.ClientCert(), v: tls.VersionTLS12},
		"good tls13":    {cert: e.p.ClientCert(), v: tls.VersionTLS13},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			log := newLineLog()
			addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert},
				CRLs: crls, Log: log})
			hsErr, readErr, got := e.handshakeThenRead(addr, tc.cert, tc.v)
			err := errors.Join(hsErr, readErr)
			alert, _ := tlsengine.AlertFromError(err)
			if tc.alert == 0 {
				if err != nil || !strings.Contains(got, "200 OK") {
					t.Errorf("got %q, %v; want 200", got, err)
				}
				return
			}
			if alert != tc.alert {
				t.Errorf("alert %d (%v); want %d", alert, err, tc.alert)
			}
			log.await(t, "client certificate CN=revoked (serial "+revoked.Cert.SerialNumber.Text(16)+") is revoked by the CRL of CN=mtlswb Test Root")
		})
	}
}

func TestParseCRLs(t *testing.T) {
	e := newEnv(t)
	der := realserver.NewCRL(t, e.p.Root)
	cases := map[string]struct {
		data    []byte
		n       int
		wantErr string
	}{
		"der":          {data: der, n: 1},
		"pem":          {data: pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), n: 1},
		"pem, no crl":  {data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.p.Root.Cert.Raw}), wantErr: "no \"X509 CRL\" PEM block"},
		"garbage":      {data: []byte("hello"), wantErr: "not a PEM or DER certificate revocation list"},
		"bad pem body": {data: pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte("x")}), wantErr: "CRL #1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			crls, err := serve.ParseCRLs(tc.data)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err %v, want %q", err, tc.wantErr)
				}
			case err != nil || len(crls) != tc.n:
				t.Errorf("%d CRLs, %v; want %d", len(crls), err, tc.n)
			}
		})
	}
}

func TestNewRejectsBadSwitches(t *testing.T) {
	e := newEnv(t)
	cas := []*x509.Certificate{e.p.Root.Cert}
	crls := []*x509.RevocationList{{}}
	cases := map[string]struct {
		cfg  serve.Config
		want string
	}{
		"status, required cert": {cfg: serve.Config{Cert: e.p.ServerCert(), ClientCAs: cas, StatusForNoCert: 496}, want: "needs an optional client certificate"},
		"status not an error":   {cfg: serve.Config{Cert: e.p.ServerCert(), ClientCAs: cas, ClientAuth: serve.VerifyIfGiven, StatusForNoCert: 200}, want: "not an error status"},
		"crl, unverified":       {cfg: serve.Config{Cert: e.p.ServerCert(), ClientAuth: serve.Request, CRLs: crls}, want: "verified client certificates only"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := serve.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}
