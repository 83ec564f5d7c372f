// Package pkifetch fetches what a certificate points to: its issuer's
// certificate (authority information access, caIssuers), a CRL, an OCSP
// response. A client that fetches on a user's behalf, from URLs a
// certificate chose, needs bounds: every fetch has a time limit and a size
// limit, follows at most a few redirects, and speaks http and https only
// (never ldap: or file:). Callers fetch nothing when the user asked for no
// network (--offline).
package pkifetch

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Limits bound one fetch.
type Limits struct {
	Timeout  time.Duration
	MaxBytes int64
}

// The limits of each kind of fetch. An issuer certificate and an OCSP
// response are small; a CRL can hold a CA's whole history, so it gets room
// (public CAs shard theirs to keep them under a few MiB).
var (
	IssuerLimits = Limits{Timeout: 2 * time.Second, MaxBytes: 64 << 10}
	OCSPLimits   = Limits{Timeout: 2 * time.Second, MaxBytes: 64 << 10}
	CRLLimits    = Limits{Timeout: 3 * time.Second, MaxBytes: 10 << 20}
)

// maxRedirects is how many redirects a fetch follows: CAs move their
// files behind one or two.
const maxRedirects = 3

// ErrTooLarge is a response over the fetch's size limit.
var ErrTooLarge = errors.New("response too large")

// Fetchable reports whether rawURL is one a fetch may follow: http or https
// with a host.
func Fetchable(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// FirstFetchable returns the first of urls that Fetchable allows, "" when
// none is.
func FirstFetchable(urls []string) string {
	for _, u := range urls {
		if Fetchable(u) {
			return u
		}
	}
	return ""
}

var client = &http.Client{
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		if !Fetchable(req.URL.String()) {
			return fmt.Errorf("redirect to %q: only http and https are followed", safetext.Line(req.URL.Redacted()))
		}
		return nil
	},
}

// Get fetches rawURL within lim.
func Get(ctx context.Context, rawURL string, lim Limits) ([]byte, error) {
	return do(ctx, http.MethodGet, rawURL, "", nil, lim)
}

// Post posts body to rawURL within lim: an OCSP request.
func Post(ctx context.Context, rawURL, contentType string, body []byte, lim Limits) ([]byte, error) {
	return do(ctx, http.MethodPost, rawURL, contentType, body, lim)
}

func do(ctx context.Context, method, rawURL, contentType string, body []byte, lim Limits) ([]byte, error) {
	if !Fetchable(rawURL) {
		return nil, fmt.Errorf("fetch %q: only http and https URLs are fetched", safetext.Line(rawURL))
	}
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", safetext.Line(rawURL), err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("fetch %s: no answer within %s", safetext.Line(rawURL), lim.Timeout)
		}
		return nil, fmt.Errorf("fetch %s: %w", safetext.Line(rawURL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP %d", safetext.Line(rawURL), resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", safetext.Line(rawURL), err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w (over %d KiB)", safetext.Line(rawURL), ErrTooLarge, lim.MaxBytes>>10)
	}
	return data, nil
}

// Issuer fetches the issuer of c from the first http(s) caIssuers URL of
// its authority information access, and returns the certificates found
// there with the URL. CAs publish them as DER (.cer, .crt), PEM or a
// PKCS #7 bundle (.p7c).
func Issuer(ctx context.Context, c *x509.Certificate) ([]*x509.Certificate, string, error) {
	u := FirstFetchable(c.IssuingCertificateURL)
	if u == "" {
		return nil, "", errors.New("the certificate names no http(s) URL for its issuer (authority information access)")
	}
	data, err := Get(ctx, u, IssuerLimits)
	if err != nil {
		return nil, u, err
	}
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, u, fmt.Errorf("fetch %s: %w", safetext.Line(u), err)
	}
	return certs, u, nil
}

// ParseCertificates reads certificates in DER, PEM or PKCS #7 (certs-only
// SignedData) form.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		var out []*x509.Certificate
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse certificate: %w", err)
			}
			out = append(out, c)
		}
		if len(out) == 0 {
			return nil, errors.New("no certificate in the PEM data")
		}
		return out, nil
	}
	if c, err := x509.ParseCertificate(data); err == nil {
		return []*x509.Certificate{c}, nil
	}
	certs, err := pkcs7Certificates(data)
	if err != nil {
		return nil, errors.New("not a certificate (DER, PEM or PKCS #7)")
	}
	return certs, nil
}

// pkcs7Certificates reads the certificates field of a PKCS #7 SignedData
// (RFC 2315 9.1): ContentInfo{type, [0] EXPLICIT SignedData{version,
// digestAlgorithms, contentInfo, [0] IMPLICIT certificates, ...}}.
func pkcs7Certificates(der []byte) ([]*x509.Certificate, error) {
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) > 0 {
		return nil, errors.New("not PKCS #7")
	}
	// A RawValue keeps the explicit [0]: the SignedData is inside it.
	var sd asn1.RawValue
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || sd.Tag != asn1.TagSequence {
		return nil, errors.New("not PKCS #7 SignedData")
	}
	for rest := sd.Bytes; len(rest) > 0; {
		var field asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &field); err != nil {
			return nil, err
		}
		if field.Class == asn1.ClassContextSpecific && field.Tag == 0 {
			return x509.ParseCertificates(field.Bytes)
		}
	}
	return nil, errors.New("PKCS #7 SignedData without certificates")
}
