package tlstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

func TestPKIVerifies(t *testing.T) {
	p := tlstest.NewPKI(t)
	roots := x509.NewCertPool()
	roots.AddCert(p.Root.Cert)
	if _, err := p.Server.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1"}); err != nil {
		t.Errorf("server certificate: %v", err)
	}
	if _, err := p.Client.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
}

func TestWritePEM(t *testing.T) {
	p := tlstest.NewPKI(t)
	certPEM, err := os.ReadFile(tlstest.WriteCertPEM(t, p.Client.Cert, p.Root.Cert))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(tlstest.WriteKeyPEM(t, p.Client.Key))
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 2 {
		t.Errorf("%d certificates, want 2", len(pair.Certificate))
	}
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Errorf("key is not PKCS #8 PEM")
	}
}

// TestStartOpenSSL checks the server accepts a TLS client as soon as
// StartOpenSSL returns.
func TestStartOpenSSL(t *testing.T) {
	p := tlstest.NewPKI(t)
	addr := tlstest.StartOpenSSL(t, "-cert", tlstest.WriteCertPEM(t, p.Server.Cert), "-key", tlstest.WriteKeyPEM(t, p.Server.Key), "-www")
	roots := x509.NewCertPool()
	roots.AddCert(p.Root.Cert)
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestStartSilentNeverAnswers(t *testing.T) {
	c, err := net.Dial("tcp", tlstest.StartSilent(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read = %v, want a timeout", err)
	}
}

func TestClosedAddrRefuses(t *testing.T) {
	if c, err := net.Dial("tcp", tlstest.ClosedAddr(t)); err == nil {
		c.Close()
		t.Fatal("something listens on the closed address")
	}
}
