package revocation

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"

	"github.com/mtlswb/mtlswb/tlsengine/pkifetch"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// checkCRL reads the CRL at src (a file or URL) and says whether it lists
// leaf. ok is false when it gives no answer; note then says why.
func checkCRL(ctx context.Context, leaf *x509.Certificate, src string, opt Options, note func(string, ...any)) (Status, bool) {
	where := safetext.Line(src)
	crl, err := loadCRL(ctx, src, opt)
	if err != nil {
		note("CRL %s: %v", where, err)
		return Status{}, false
	}
	if string(crl.RawIssuer) != string(leaf.RawIssuer) {
		note("CRL %s is issued by %s, not by the certificate's issuer %s", where,
			crl.Issuer.String(), leaf.Issuer.String())
		return Status{}, false
	}
	s := Status{Source: "crl", Where: where, NextUpdate: crl.NextUpdate}
	if opt.Issuer == nil {
		s.Notes = append(s.Notes, "the CRL's signature was not checked: the issuer's certificate is unknown")
	} else if err := crl.CheckSignatureFrom(opt.Issuer); err != nil {
		note("CRL %s is not signed by the certificate's issuer: %v", where, err)
		return Status{}, false
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber != nil && e.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
			s.State, s.RevokedAt, s.Reason = Revoked, e.RevocationTime, reasonName(e.ReasonCode)
			return s, true
		}
	}
	if !crl.NextUpdate.IsZero() && opt.Now.After(crl.NextUpdate) {
		note("CRL %s does not list the certificate but is stale: its next update was due %s", where,
			crl.NextUpdate.UTC().Format("2006-01-02 15:04 MST"))
		return Status{}, false
	}
	s.State = Good
	return s, true
}

// loadCRL reads a CRL file, or fetches (or takes from the cache) a CRL URL.
func loadCRL(ctx context.Context, src string, opt Options) (*x509.RevocationList, error) {
	if !isURL(src) {
		data, err := readFile(src, pkifetch.CRLLimits.MaxBytes)
		if err != nil {
			return nil, err
		}
		return parseCRL(data)
	}
	fresh := func(data []byte) bool {
		crl, err := parseCRL(data)
		return err == nil && opt.Now.Before(crl.NextUpdate)
	}
	data, err := fetchCached("crl "+src, opt, fresh, func() ([]byte, error) {
		return pkifetch.Get(ctx, src, pkifetch.CRLLimits)
	})
	if err != nil {
		return nil, err
	}
	return parseCRL(data)
}

// parseCRL reads a DER or PEM CRL.
func parseCRL(data []byte) (*x509.RevocationList, error) {
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "X509 CRL" {
			return nil, fmt.Errorf("a PEM %q block, not an X509 CRL", safetext.Line(b.Type))
		}
		data = b.Bytes
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("not a CRL: %w", err)
	}
	return crl, nil
}

func readFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d MiB", limit>>20)
	}
	return data, nil
}
