package pkifetch

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

func testCert(t *testing.T) *x509.Certificate {
	t.Helper()
	p, err := pki.NewRoot(pki.Spec{CN: "Fetch Test CA", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	return p.Cert
}

// pkcs7 wraps certs in a certs-only SignedData, as CAs publish .p7c files.
func pkcs7(t *testing.T, certs ...*x509.Certificate) []byte {
	t.Helper()
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	sd, err := asn1.Marshal(struct {
		Version int
		Digests asn1.RawValue
		Inner   struct{ Type asn1.ObjectIdentifier }
		Certs   asn1.RawValue
		Signers asn1.RawValue
	}{
		Version: 1,
		Digests: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true},
		Inner:   struct{ Type asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}},
		Certs:   asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: raw},
		Signers: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseCertificates(t *testing.T) {
	c := testCert(t)
	cases := map[string]struct {
		data    []byte
		wantErr bool
	}{
		"der":     {data: c.Raw},
		"pem":     {data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})},
		"pkcs7":   {data: pkcs7(t, c)},
		"garbage": {data: []byte("<html>not found</html>"), wantErr: true},
		"pem key": {data: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCertificates(tc.data)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error, got %d certificates", len(got))
				}
				return
			}
			if err != nil || len(got) != 1 || !got[0].Equal(c) {
				t.Fatalf("got %d certificates, err %v", len(got), err)
			}
		})
	}
}

func TestGetBounds(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("small")) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(strings.Repeat("x", 2048))) })
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/stuck", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	lim := Limits{Timeout: 200 * time.Millisecond, MaxBytes: 1024}
	cases := map[string]struct {
		url     string
		wantErr string
	}{
		"ok":          {url: srv.URL + "/ok"},
		"too large":   {url: srv.URL + "/big", wantErr: "too large"},
		"http status": {url: srv.URL + "/missing", wantErr: "HTTP 404"},
		"timeout":     {url: srv.URL + "/stuck", wantErr: "no answer within 200ms"},
		"ldap":        {url: "ldap://127.0.0.1/cn=CA", wantErr: "only http and https"},
		"file":        {url: "file:///etc/passwd", wantErr: "only http and https"},
		"redirect":    {url: srv.URL + "/to-file", wantErr: "only http and https are followed"},
		"redirects":   {url: srv.URL + "/loop", wantErr: "redirects"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Get(context.Background(), tc.url, lim)
			if tc.wantErr == "" {
				if err != nil || string(got) != "small" {
					t.Fatalf("got %q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			}
			if name == "too large" && !errors.Is(err, ErrTooLarge) {
				t.Errorf("%v is not ErrTooLarge", err)
			}
		})
	}
}

func TestIssuer(t *testing.T) {
	ca := testCert(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(pkcs7(t, ca)) }))
	defer srv.Close()
	leaf := &x509.Certificate{IssuingCertificateURL: []string{"ldap://127.0.0.1/ca", srv.URL + "/ca.p7c"}}
	got, u, err := Issuer(context.Background(), leaf)
	if err != nil || len(got) != 1 || !got[0].Equal(ca) || u != srv.URL+"/ca.p7c" {
		t.Fatalf("Issuer = %d certs from %q, %v", len(got), u, err)
	}
	if _, _, err := Issuer(context.Background(), &x509.Certificate{}); err == nil {
		t.Error("a certificate without caIssuers: no error")
	}
}
