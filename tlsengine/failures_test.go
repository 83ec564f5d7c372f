package tlsengine_test

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// startPeer accepts connections on 127.0.0.1 and hands each to serve, one
// at a time, until the test ends.
func startPeer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// startHangUp accepts connections, reads the ClientHello and closes.
func startHangUp(t *testing.T) string {
	return startPeer(t, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 1024))
		c.Close()
	})
}

func TestNetworkFailures(t *testing.T) {
	f := newFixture(t)
	stall := startHTTPS(t, f, false, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	cases := map[string]struct {
		url   string
		want  tlsengine.Category
		phase tlsengine.Phase
	}{
		// .invalid never resolves (RFC 6761); without a DNS server the
		// lookup fails or times out, both in the DNS phase.
		"dns":              {url: "https://mtlswb-test.invalid/", want: tlsengine.DNSFailure, phase: tlsengine.PhaseDNS},
		"closed mid-hello": {url: "https://" + startHangUp(t) + "/", want: tlsengine.ConnectionReset, phase: tlsengine.PhaseHandshake},
		"response timeout": {url: "https://" + stall + "/", want: tlsengine.HTTPError, phase: tlsengine.PhaseResponse},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := f.request(c.url)
			req.Timeout = 500 * time.Millisecond
			r := tlsengine.Run(context.Background(), req)
			if r.Failure == nil || r.Failure.Category != c.want || r.Failure.Phase != c.phase {
				t.Fatalf("want %s in %s:\n%s", c.want, c.phase, dump(t, r))
			}
		})
	}
}

func TestPreflightWarnings(t *testing.T) {
	f := newFixture(t)
	viaInter, err := f.inter.Issue(pki.Spec{CN: "joe-via-inter", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := pki.GenerateKey(pki.ECP256)
	if err != nil {
		t.Fatal(err)
	}
	mismatched := cert(f.clientEC)
	mismatched.PrivateKey = otherKey
	known := []tlsengine.NamedChain{
		{Name: "test-root", Chain: []*x509.Certificate{f.root.Cert}},
		{Name: "test-intermediate", Chain: []*x509.Certificate{f.inter.Cert, f.root.Cert}},
	}
	addr := tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(f.server), ClientCAs: []*x509.Certificate{f.root.Cert}, ClientAuth: serve.Request})
	cases := map[string]struct {
		mut  func(r *tlsengine.Request)
		want []string
		none bool
	}{
		"clean": {none: true, mut: func(r *tlsengine.Request) { r.KnownCAs = known }},
		"expired": {mut: func(r *tlsengine.Request) { r.ClientCert = cert(f.clientExpired) },
			want: []string{"identity `joe` expired at"}},
		"key mismatch": {mut: func(r *tlsengine.Request) { r.ClientCert = mismatched },
			want: []string{"private key of identity `joe` does not match its certificate"}},
		"no clientAuth": {mut: func(r *tlsengine.Request) { r.ClientCert = cert(f.clientServerOnly) },
			want: []string{"does not allow client authentication (extended key usage: serverAuth)"}},
		"chain lacks intermediate": {mut: func(r *tlsengine.Request) { r.ClientCert, r.KnownCAs = cert(viaInter), known },
			want: []string{"its issuer CN=Test Intermediate (CA `test-intermediate`) is an intermediate"}},
		"chain with intermediate": {none: true, mut: func(r *tlsengine.Request) { r.ClientCert, r.KnownCAs = cert(viaInter, f.inter.Cert), known }},
		"issuer unknown": {mut: func(r *tlsengine.Request) { r.ClientCert, r.KnownCAs = cert(f.clientRogue), known },
			want: []string{"CN=Rogue CA, is not among your CAs"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req := f.request(addr)
			req.Probe = true
			c.mut(&req)
			r := tlsengine.Run(context.Background(), req)
			if !r.TLS.ClientCertRequested {
				t.Fatalf("the attempt did not reach the certificate request:\n%s", dump(t, r))
			}
			if c.none && len(r.Warnings) > 0 {
				t.Fatalf("unexpected warnings: %q", r.Warnings)
			}
			for _, w := range c.want {
				found := false
				for _, got := range r.Warnings {
					found = found || strings.Contains(got, w)
				}
				if !found {
					t.Errorf("no warning contains %q: %q", w, r.Warnings)
				}
			}
		})
	}
}

func TestInsecureContinues(t *testing.T) {
	f := newFixture(t)
	addr := tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(f.serverExpired), ClientCAs: []*x509.Certificate{f.root.Cert}})
	req := f.request("https://" + addr + "/")
	req.Insecure = true
	r := tlsengine.Run(context.Background(), req)
	if !r.OK || r.TLS.Verification.OK || !strings.Contains(r.TLS.Verification.Error, "expired") {
		t.Fatalf("want success with a failed verification recorded:\n%s", dump(t, r))
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[len(r.Warnings)-1], "verification is off") {
		t.Errorf("no warning about the skipped verification: %q", r.Warnings)
	}
	if r.TLS.ServerChain[0].Verdict == "ok" {
		t.Errorf("the expired leaf has verdict ok")
	}
}
