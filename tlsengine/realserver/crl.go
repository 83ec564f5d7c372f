package realserver

import (
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// NewCRL returns a DER CRL signed by issuer that revokes the given
// certificates, valid from an hour ago for a week. Servers that check CRLs
// for the whole chain (nginx, Apache with SSLCARevocationCheck chain) need
// one from every CA in it, revoking nothing where nothing is revoked.
func NewCRL(t testing.TB, issuer pki.Pair, revoked ...*x509.Certificate) []byte {
	t.Helper()
	now := time.Now()
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(now.UnixNano()),
		ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.Add(7 * 24 * time.Hour),
	}
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: now.Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer.Cert, issuer.Key)
	if err != nil {
		t.Fatalf("make a CRL of %q: %v", issuer.Cert.Subject.CommonName, err)
	}
	return der
}
