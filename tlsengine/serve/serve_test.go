package serve_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// lineLog collects log lines and lets a test wait for one.
type lineLog struct{ ch chan string }

func newLineLog() *lineLog { return &lineLog{ch: make(chan string, 64)} }

func (l *lineLog) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.ch <- line
	}
	return len(p), nil
}

// await returns the first line containing want, failing after a deadline.
func (l *lineLog) await(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	var seen []string
	for {
		select {
		case line := <-l.ch:
			if strings.Contains(line, want) {
				return line
			}
			seen = append(seen, line)
		case <-deadline:
			t.Fatalf("no log line contains %q; saw %q", want, seen)
			return ""
		}
	}
}

type env struct {
	p     *tlstest.PKI
	roots *x509.CertPool
}

func newEnv(t *testing.T) env {
	p := tlstest.NewPKI(t)
	roots := x509.NewCertPool()
	roots.AddCert(p.Root.Cert)
	return env{p: p, roots: roots}
}

// get makes one request with client certificate c (nil: none).
func (e env) get(addr string, c *tls.Certificate) (*http.Response, serve.Echo, error) {
	cfg := &tls.Config{RootCAs: e.roots, ServerName: "localhost"}
	if c != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }
	}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + "/hello?x=1")
	var echo serve.Echo
	if err != nil {
		return nil, echo, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&echo)
	return resp, echo, err
}

func TestEcho(t *testing.T) {
	e := newEnv(t)
	spiffe, _ := url.Parse("spiffe://example.org/ns/default/sa/joe")
	client, err := e.p.Root.Issue(pki.Spec{CN: "joe", Client: true, URIs: []*url.URL{spiffe}, DNSNames: []string{"joe.example"}})
	if err != nil {
		t.Fatal(err)
	}
	log := newLineLog()
	addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert}, Log: log})
	c := tlstest.TLSCert(client)
	resp, echo, err := e.get(addr, &c)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(client.Cert.Raw)
	cc := echo.ClientCert
	switch {
	case resp.StatusCode != http.StatusOK || !echo.OK:
		t.Fatalf("status %d ok %v", resp.StatusCode, echo.OK)
	case cc == nil:
		t.Fatal("no client certificate in the echo")
	case cc.Subject != "CN=joe" || cc.Issuer != "CN=mtlswb Test Root":
		t.Errorf("subject %q issuer %q", cc.Subject, cc.Issuer)
	case cc.SHA256 != hex.EncodeToString(sum[:]):
		t.Errorf("sha256 %q", cc.SHA256)
	case cc.X5tS256 != base64.RawURLEncoding.EncodeToString(sum[:]) || strings.ContainsAny(cc.X5tS256, "+/="):
		t.Errorf("x5t#S256 %q is not base64url of the SHA-256", cc.X5tS256)
	case len(cc.URIs) != 1 || cc.URIs[0] != spiffe.String() || cc.DNSNames[0] != "joe.example":
		t.Errorf("SANs: uris %v dns %v", cc.URIs, cc.DNSNames)
	case !cc.Verified || cc.Serial != client.Cert.SerialNumber.Text(16):
		t.Errorf("verified %v serial %q", cc.Verified, cc.Serial)
	case echo.Request.Path != "/hello?x=1" || echo.TLS.ALPN != "h2" || echo.TLS.Version != "TLS 1.3" || echo.TLS.ServerName != "localhost":
		t.Errorf("request %+v tls %+v", echo.Request, echo.TLS)
	}
	log.await(t, "TLS 1.3 h2 client CN=joe (verified)")
}

func TestHandshakeFailuresLogged(t *testing.T) {
	e := newEnv(t)
	rogueRoot, _ := pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true})
	rogue, _ := rogueRoot.Issue(pki.Spec{CN: "mallory", Client: true})
	expired, _ := e.p.Root.Issue(pki.Spec{CN: "old-joe", Client: true,
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-48 * time.Hour)})
	wrongEKU, _ := e.p.Root.Issue(pki.Spec{CN: "server-only", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	hostile, _ := rogueRoot.Issue(pki.Spec{CN: "evil\x1b]0;title\x07", Client: true})
	cases := map[string]struct {
		cert *pki.Pair
		want string
	}{
		"no certificate": {want: "handshake failed: client sent no certificate"},
		"unknown ca":     {cert: &rogue, want: "client certificate CN=mallory issued by CN=Rogue CA, not trusted"},
		"expired":        {cert: &expired, want: "client certificate CN=old-joe expired at " + expired.Cert.NotAfter.UTC().Format(time.RFC3339)},
		"wrong usage":    {cert: &wrongEKU, want: "client certificate CN=server-only does not allow client authentication"},
		"sanitized":      {cert: &hostile, want: `CN=evil^[]0\;title^G issued by CN=Rogue CA`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			log := newLineLog()
			addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert}, Log: log})
			var cert *tls.Certificate
			if c.cert != nil {
				tc := tlstest.TLSCert(*c.cert)
				cert = &tc
			}
			if _, _, err := e.get(addr, cert); err == nil {
				t.Fatal("the request succeeded")
			}
			line := log.await(t, c.want)
			if strings.ContainsAny(line, "\x1b\x07") {
				t.Errorf("log line carries control characters: %q", line)
			}
		})
	}
}

func TestRequestModeReportsUnverified(t *testing.T) {
	e := newEnv(t)
	rogueRoot, _ := pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true})
	rogue, _ := rogueRoot.Issue(pki.Spec{CN: "mallory", Client: true})
	addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert}, ClientAuth: serve.Request})
	c := tlstest.TLSCert(rogue)
	_, echo, err := e.get(addr, &c)
	if err != nil {
		t.Fatal(err)
	}
	if echo.ClientCert == nil || echo.ClientCert.Verified || !strings.Contains(echo.ClientCert.VerifyError, "unknown authority") {
		t.Fatalf("want an unverified certificate with a reason, got %+v", echo.ClientCert)
	}
	_, echo, err = e.get(addr, nil)
	if err != nil || echo.ClientCert != nil {
		t.Fatalf("no certificate: err %v cert %+v", err, echo.ClientCert)
	}
}

func TestAllowCN(t *testing.T) {
	e := newEnv(t)
	other, _ := e.p.Root.Issue(pki.Spec{CN: "eve", Client: true})
	addr := tlstest.StartServe(t, serve.Config{Cert: e.p.ServerCert(), ClientCAs: []*x509.Certificate{e.p.Root.Cert}, AllowCN: []string{"client"}})
	resp, echo, err := e.get(addr, e.p.ClientCert())
	if err != nil || resp.StatusCode != http.StatusOK || !echo.OK {
		t.Fatalf("allowed client: err %v status %v echo %+v", err, resp, echo)
	}
	oc := tlstest.TLSCert(other)
	resp, echo, err = e.get(addr, &oc)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || echo.OK || !strings.Contains(echo.Error, `CN "eve" is not allowed`) {
		t.Fatalf("refused client: status %d echo %+v", resp.StatusCode, echo)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	e := newEnv(t)
	cases := map[string]struct {
		cfg  serve.Config
		want string
	}{
		"no certificate": {cfg: serve.Config{}, want: "no server certificate"},
		"unknown mode":   {cfg: serve.Config{Cert: e.p.ServerCert(), ClientAuth: "sometimes"}, want: "unknown client auth mode"},
		"require no CAs": {cfg: serve.Config{Cert: e.p.ServerCert()}, want: "needs at least one client CA"},
		"versions":       {cfg: serve.Config{Cert: e.p.ServerCert(), ClientAuth: serve.None, MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS12}, want: "above the maximum"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := serve.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestServeReturnsNilAfterClose(t *testing.T) {
	e := newEnv(t)
	s, err := serve.New(serve.Config{Cert: e.p.ServerCert(), ClientAuth: serve.None})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	// A connection stuck in its handshake must not keep Close waiting.
	stuck, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if _, _, err := e.get(ln.Addr().String(), nil); err != nil {
		t.Fatalf("the server does not answer: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v after Close, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}
