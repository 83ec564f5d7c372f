package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/realserver"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// startServeCmd runs `mtlswb serve args...` in-process until the test ends
// and returns its address and its stderr's first line.
func startServeCmd(t *testing.T, e *env, args ...string) (addr, banner string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		args = append([]string{"--workspace", e.ws, "serve", "--addr", "127.0.0.1:0"}, args...)
		done <- runEnv(ctx, args, strings.NewReader(""), io.Discard, pw, func(k string) string { return e.vars[k] })
		pw.Close()
	}()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads the connection log; keep draining
			}
		}
		close(lines)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d", code)
		}
	})
	select {
	case banner = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start within 10s")
	}
	m := regexp.MustCompile(`serving mTLS on https://(\S+) `).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("serve did not start: %q", banner)
	}
	return m[1], banner
}

func TestServeSwitches(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	e.ws = e.dir + "/none.db"
	p := tlstest.NewPKI(t)
	revoked := mustPair(t)(p.Root.Issue(pki.Spec{CN: "revoked", Client: true}))
	crl := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: realserver.NewCRL(t, p.Root, revoked.Cert)})
	server := []string{"--cert", e.file("s.pem", certPEM(p.Server.Cert)), "--key", e.file("s.key", keyPEM(t, p.Server)),
		"--ca", e.file("ca.pem", certPEM(p.Root.Cert))}
	roots := x509.NewCertPool()
	roots.AddCert(p.Root.Cert)
	client := func(c *tls.Certificate, v uint16) *tls.Config {
		return &tls.Config{RootCAs: roots, ServerName: "localhost", MaxVersion: v,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				if c == nil {
					return &tls.Certificate{}, nil
				}
				return c, nil
			}}
	}

	t.Run("status for no cert and crl", func(t *testing.T) {
		addr, banner := startServeCmd(t, e, append(server, "--http-status-for-no-cert", "496", "--crl", e.file("crl.pem", crl))...)
		// No --client-auth: the status needs an optional certificate.
		if !strings.Contains(banner, "client auth: verify-if-given") {
			t.Errorf("banner %q; want client auth verify-if-given", banner)
		}
		tr := &http.Transport{TLSClientConfig: client(nil, 0)}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 496 {
			t.Errorf("status %d without a certificate, want 496", resp.StatusCode)
		}
		rc := tlstest.TLSCert(revoked)
		conn, err := tls.Dial("tcp", addr, client(&rc, tls.VersionTLS12))
		if err == nil {
			conn.Close()
		}
		if alert, _ := tlsengine.AlertFromError(err); alert != 44 {
			t.Errorf("revoked certificate: %v; want alert 44", err)
		}
	})

	t.Run("close after handshake", func(t *testing.T) {
		addr, _ := startServeCmd(t, e, append(server, "--close-after-handshake")...)
		conn, err := tls.Dial("tcp", addr, client(p.ClientCert(), 0))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(make([]byte, 1))
		if _, isAlert := tlsengine.AlertFromError(err); n != 0 || err == nil || isAlert {
			t.Errorf("read %d bytes, %v; want a close without an alert", n, err)
		}
	})

	usage := map[string]struct {
		args []string
		want string
	}{
		"status with required cert": {args: []string{"--http-status-for-no-cert", "496", "--client-auth", "require"}, want: "needs an optional client certificate"},
		"missing crl file":          {args: []string{"--crl", e.dir + "/nope.pem"}, want: "--crl"},
		"crl not a crl":             {args: []string{"--crl", e.file("notcrl.pem", certPEM(p.Root.Cert))}, want: `no "X509 CRL" PEM block`},
	}
	for name, tc := range usage {
		t.Run(name, func(t *testing.T) {
			r := e.run(append(append([]string{"serve", "--addr", "127.0.0.1:0"}, server...), tc.args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want an error saying %q:\n%s", tc.want, r)
			}
		})
	}
}
