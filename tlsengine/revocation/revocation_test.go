package revocation

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// testPKI is a CA, a second CA with the same name (a forger), and a
// responder serving CRLs and OCSP answers at /crl/NAME and /ocsp.
type testPKI struct {
	t          *testing.T
	ca, forger pki.Pair
	srv        *httptest.Server
	crls       map[string][]byte
	ocspStatus atomic.Int32 // ocsp.Good, Revoked or Unknown
	hits       atomic.Int32
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{t: t, crls: map[string][]byte{}}
	var err error
	if p.ca, err = pki.NewRoot(pki.Spec{CN: "Revocation CA", IsCA: true}); err != nil {
		t.Fatal(err)
	}
	if p.forger, err = pki.NewRoot(pki.Spec{CN: "Revocation CA", IsCA: true}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/crl/", func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		der, ok := p.crls[strings.TrimPrefix(r.URL.Path, "/crl/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(der)
	})
	mux.HandleFunc("/ocsp", func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now()
		tmpl := ocsp.Response{Status: int(p.ocspStatus.Load()), SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute),
			NextUpdate: now.Add(time.Hour), RevokedAt: now.Add(-time.Hour), RevocationReason: ocsp.KeyCompromise}
		der, err := ocsp.CreateResponse(p.ca.Cert, p.ca.Cert, tmpl, p.ca.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(der)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testPKI) leaf(spec pki.Spec) *x509.Certificate {
	p.t.Helper()
	spec.CN, spec.Client = "client", true
	leaf, err := p.ca.Issue(spec)
	if err != nil {
		p.t.Fatal(err)
	}
	return leaf.Cert
}

// crl makes a CRL signed by by, revoking the given certificates, current
// until next.
func (p *testPKI) crl(by pki.Pair, next time.Time, revoked ...*x509.Certificate) []byte {
	p.t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: next.Add(-48 * time.Hour), NextUpdate: next}
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: c.SerialNumber, RevocationTime: next.Add(-47 * time.Hour), ReasonCode: 1})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, by.Cert, by.Key)
	if err != nil {
		p.t.Fatal(err)
	}
	return der
}

func (p *testPKI) file(name string, der []byte) string {
	p.t.Helper()
	f := filepath.Join(p.t.TempDir(), name)
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		p.t.Fatal(err)
	}
	return f
}

func TestCheck(t *testing.T) {
	p := newTestPKI(t)
	now := time.Now()
	plain := p.leaf(pki.Spec{})
	other, err := pki.NewRoot(pki.Spec{CN: "Other CA", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	p.crls["good"] = p.crl(p.ca, now.Add(time.Hour))
	withCDP := p.leaf(pki.Spec{CRLURLs: []string{"ldap://127.0.0.1/cn=crl", p.srv.URL + "/crl/revoking"}})
	p.crls["revoking"] = p.crl(p.ca, now.Add(time.Hour), withCDP)
	withOCSP := p.leaf(pki.Spec{OCSPURLs: []string{p.srv.URL + "/ocsp"}})
	missingCRL := p.leaf(pki.Spec{CRLURLs: []string{p.srv.URL + "/crl/missing"}})

	cases := map[string]struct {
		leaf       *x509.Certificate
		opt        Options
		ocsp       int
		want       State
		source     string
		reason     string
		noteSaying string
	}{
		"crl file revokes": {leaf: plain, opt: Options{Issuer: p.ca.Cert, CRLs: []string{p.file("r.crl", p.crl(p.ca, now.Add(time.Hour), plain))}},
			want: Revoked, source: "crl", reason: "keyCompromise"},
		"crl file does not list": {leaf: plain, opt: Options{Issuer: p.ca.Cert, CRLs: []string{p.file("g.crl", p.crl(p.ca, now.Add(time.Hour)))}},
			want: Good, source: "crl"},
		"crl of another CA": {leaf: plain, opt: Options{Issuer: p.ca.Cert, CRLs: []string{p.file("o.crl", p.crl(other, now.Add(time.Hour), plain))}},
			want: Unknown, noteSaying: "not by the certificate's issuer"},
		"forged crl": {leaf: plain, opt: Options{Issuer: p.ca.Cert, CRLs: []string{p.file("f.crl", p.crl(p.forger, now.Add(time.Hour), plain))}},
			want: Unknown, noteSaying: "not signed by the certificate's issuer"},
		"stale crl, not listed": {leaf: plain, opt: Options{Issuer: p.ca.Cert, CRLs: []string{p.file("s.crl", p.crl(p.ca, now.Add(-time.Hour)))}},
			want: Unknown, noteSaying: "stale"},
		"stale crl, listed": {leaf: plain, opt: Options{Issuer: p.ca.Cert, CRLs: []string{p.file("sl.crl", p.crl(p.ca, now.Add(-time.Hour), plain))}},
			want: Revoked, source: "crl"},
		"crl url given": {leaf: plain, opt: Options{Issuer: p.ca.Cert, CRLs: []string{p.srv.URL + "/crl/good"}}, want: Good, source: "crl"},
		"no issuer: signature unchecked": {leaf: plain, opt: Options{CRLs: []string{p.file("n.crl", p.crl(p.ca, now.Add(time.Hour), plain))}},
			want: Revoked, noteSaying: "signature was not checked"},
		"distribution point":         {leaf: withCDP, opt: Options{Issuer: p.ca.Cert}, want: Revoked, source: "crl", noteSaying: "only http and https"},
		"distribution point offline": {leaf: withCDP, opt: Options{Issuer: p.ca.Cert, Offline: true}, want: Unknown, noteSaying: "offline"},
		"distribution point missing": {leaf: missingCRL, opt: Options{Issuer: p.ca.Cert}, want: Unknown, noteSaying: "HTTP 404"},
		"ocsp good":                  {leaf: withOCSP, opt: Options{Issuer: p.ca.Cert}, ocsp: ocsp.Good, want: Good, source: "ocsp"},
		"ocsp revoked":               {leaf: withOCSP, opt: Options{Issuer: p.ca.Cert}, ocsp: ocsp.Revoked, want: Revoked, source: "ocsp", reason: "keyCompromise"},
		"ocsp unknown":               {leaf: withOCSP, opt: Options{Issuer: p.ca.Cert}, ocsp: ocsp.Unknown, want: Unknown, noteSaying: "does not know"},
		"ocsp without issuer":        {leaf: withOCSP, opt: Options{}, want: Unknown, noteSaying: "needs the issuer"},
		"nothing to ask":             {leaf: plain, opt: Options{Issuer: p.ca.Cert}, want: Unknown, noteSaying: "names no CRL distribution point"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p.ocspStatus.Store(int32(tc.ocsp))
			s := Check(context.Background(), tc.leaf, tc.opt)
			if s.State != tc.want || (tc.source != "" && s.Source != tc.source) || (tc.reason != "" && s.Reason != tc.reason) {
				t.Fatalf("got %+v, want %s from %q (%s)", s, tc.want, tc.source, tc.reason)
			}
			if tc.noteSaying != "" && !strings.Contains(strings.Join(s.Notes, "\n"), tc.noteSaying) {
				t.Errorf("notes %q do not say %q", s.Notes, tc.noteSaying)
			}
			if s.Summary() == "" {
				t.Error("empty summary")
			}
		})
	}
}

// TestCacheKeepsAnswersWhileCurrent: a current answer is served from the
// cache, also offline; a stale one is fetched again and never cached.
func TestCacheKeepsAnswersWhileCurrent(t *testing.T) {
	p := newTestPKI(t)
	now := time.Now()
	leaf := p.leaf(pki.Spec{CRLURLs: []string{p.srv.URL + "/crl/x"}})
	cache := &MemoryCache{}
	opt := Options{Issuer: p.ca.Cert, Cache: cache}

	p.crls["x"] = p.crl(p.ca, now.Add(time.Hour))
	for range 2 {
		if s := Check(context.Background(), leaf, opt); s.State != Good {
			t.Fatalf("got %+v", s)
		}
	}
	if n := p.hits.Load(); n != 1 {
		t.Errorf("%d fetches for two checks of a current CRL, want 1", n)
	}
	offline := opt
	offline.Offline = true
	if s := Check(context.Background(), leaf, offline); s.State != Good {
		t.Errorf("offline with a cached current CRL: %+v", s)
	}
	// Once the cached CRL is past its next update it is fetched again.
	later := opt
	later.Now = now.Add(2 * time.Hour)
	p.crls["x"] = p.crl(p.ca, now.Add(3*time.Hour), leaf)
	if s := Check(context.Background(), leaf, later); s.State != Revoked {
		t.Errorf("after the cached CRL's next update: %+v", s)
	}
	if n := p.hits.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}

	dir := DirCache{Dir: filepath.Join(t.TempDir(), "cache")}
	dir.Put("k", []byte("v"))
	if got := dir.Get("k"); string(got) != "v" {
		t.Errorf("DirCache.Get = %q", got)
	}
	if got := dir.Get("absent"); got != nil {
		t.Errorf("DirCache.Get(absent) = %q", got)
	}
}
