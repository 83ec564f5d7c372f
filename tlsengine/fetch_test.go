package tlsengine_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
)

// publisher serves a CA's published files on 127.0.0.1 (caIssuers
// certificate, CRL) and counts the fetches.
type publisher struct {
	srv   *httptest.Server
	files map[string][]byte
	hits  atomic.Int32
}

func newPublisher(t *testing.T) *publisher {
	p := &publisher{files: map[string][]byte{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		data, ok := p.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// TestServerChainCompletedFromAIA: a server that sends its leaf without
// the intermediate gets server-chain-incomplete naming the intermediate,
// fetched from the leaf's caIssuers URL, as browsers complete it silently;
// offline nothing is fetched and the chain is merely untrusted.
func TestServerChainCompletedFromAIA(t *testing.T) {
	f := newFixture(t)
	pub := newPublisher(t)
	pub.files["/inter.cer"] = f.inter.Cert.Raw
	spec := tlstest.ServerSpec("aia server")
	spec.IssuerURLs = []string{pub.srv.URL + "/inter.cer"}
	leaf, err := f.inter.Issue(spec)
	if err != nil {
		t.Fatal(err)
	}
	addr := tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(leaf), ClientAuth: "none"})
	req := tlsengine.Request{URL: "https://" + addr + "/", Roots: []*x509.Certificate{f.root.Cert}, Timeout: 5 * time.Second}

	rep := tlsengine.Run(context.Background(), req)
	if rep.Failure == nil || rep.Failure.Category != tlsengine.ServerChainIncomplete {
		t.Fatalf("want server-chain-incomplete:\n%s", dump(t, rep))
	}
	if !strings.Contains(rep.Failure.Summary, "Test Intermediate") {
		t.Errorf("the summary does not name the missing intermediate: %q", rep.Failure.Summary)
	}
	var fetched bool
	for _, l := range rep.TLS.ServerChain {
		fetched = fetched || (l.Source == "aia" && strings.Contains(l.Subject, "Test Intermediate"))
	}
	if !fetched {
		t.Errorf("no chain link marked as fetched from the AIA URL:\n%s", dump(t, rep))
	}

	before := pub.hits.Load()
	req.Offline = true
	rep = tlsengine.Run(context.Background(), req)
	if rep.Failure == nil || rep.Failure.Category != tlsengine.ServerCertUntrusted {
		t.Errorf("offline: want server-cert-untrusted:\n%s", dump(t, rep))
	}
	if pub.hits.Load() != before {
		t.Error("offline, the issuer was fetched anyway")
	}
}

// TestClientRevocationWithCRL: --crl reports the identity's status, from a
// file or a URL, whatever the server thought of it.
func TestClientRevocationWithCRL(t *testing.T) {
	f := newFixture(t)
	pub := newPublisher(t)
	now := time.Now()
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: f.clientRSA.Cert.SerialNumber, RevocationTime: now.Add(-time.Minute)}},
	}, f.root.Cert, f.root.Key)
	if err != nil {
		t.Fatal(err)
	}
	pub.files["/root.crl"] = crl
	addr := tlstest.StartServe(t, serve.Config{Cert: tlstest.TLSCert(f.server), ClientCAs: []*x509.Certificate{f.root.Cert}})
	cases := map[string]struct {
		client pki.Pair
		crl    string
		want   string
	}{
		"revoked, url":    {client: f.clientRSA, crl: pub.srv.URL + "/root.crl", want: "revoked"},
		"not listed, url": {client: f.clientEC, crl: pub.srv.URL + "/root.crl", want: "good"},
		"revoked, file":   {client: f.clientRSA, crl: writeCRL(t, crl), want: "revoked"},
		"unreachable url": {client: f.clientEC, crl: "http://" + tlstest.ClosedAddr(t) + "/root.crl", want: "unknown"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := tlsengine.Request{URL: "https://" + addr + "/", Roots: []*x509.Certificate{f.root.Cert}, Timeout: 5 * time.Second,
				ClientCert: cert(tc.client), ClientName: "joe", CRLs: []string{tc.crl}}
			rep := tlsengine.Run(context.Background(), req)
			s := rep.TLS.ClientCertRevocation
			if s == nil || string(s.State) != tc.want {
				t.Fatalf("revocation %+v, want %s:\n%s", s, tc.want, dump(t, rep))
			}
		})
	}
	if err := (tlsengine.Request{URL: "https://" + addr + "/", CRLs: []string{"ldap://127.0.0.1/crl"}}).Validate(); err == nil {
		t.Error("an ldap CRL URL validates")
	}
}

func writeCRL(t *testing.T, der []byte) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "ca.crl")
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}
