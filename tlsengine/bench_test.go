package tlsengine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// The engine must cost about what a plain client costs: the two benchmarks
// make the same full mTLS request over loopback on a new connection each
// time (TLS 1.3, ECDSA P-256, HTTP/2); the target is Run <= 1.1x Baseline.

func benchServer(b *testing.B) (*fixture, string) {
	f := newFixture(b)
	addr := startHTTPS(b, f, true, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}, func(c *tls.Config) { c.ClientAuth = tls.RequireAndVerifyClientCert })
	return f, "https://" + addr + "/"
}

func BenchmarkRequestRun(b *testing.B) {
	f, url := benchServer(b)
	req := tlsengine.Request{URL: url, ClientCert: cert(f.clientEC), Roots: []*x509.Certificate{f.root.Cert}}
	b.ResetTimer()
	for b.Loop() {
		if r := tlsengine.Run(context.Background(), req); !r.OK {
			b.Fatalf("request failed: %s", dump(b, r))
		}
	}
}

func BenchmarkRequestBaseline(b *testing.B) {
	f, url := benchServer(b)
	roots := x509.NewCertPool()
	roots.AddCert(f.root.Cert)
	c := cert(f.clientEC)
	b.ResetTimer()
	for b.Loop() {
		tr := &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{*c}},
			ForceAttemptHTTP2: true,
		}
		resp, err := (&http.Client{Transport: tr}).Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d err %v", resp.StatusCode, err)
		}
	}
}
