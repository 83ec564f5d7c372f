package revocation

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"

	"golang.org/x/crypto/ocsp"

	"github.com/mtlswb/mtlswb/tlsengine/pkifetch"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// checkOCSP asks the responder at url about leaf. ok is false when it gives
// no answer; note then says why.
func checkOCSP(ctx context.Context, leaf *x509.Certificate, url string, opt Options, note func(string, ...any)) (Status, bool) {
	where := safetext.Line(url)
	if opt.Issuer == nil {
		note("OCSP %s not asked: an OCSP request needs the issuer's certificate, which is unknown", where)
		return Status{}, false
	}
	req, err := ocsp.CreateRequest(leaf, opt.Issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		note("OCSP %s: %v", where, err)
		return Status{}, false
	}
	parse := func(data []byte) (*ocsp.Response, error) { return ocsp.ParseResponseForCert(data, leaf, opt.Issuer) }
	fresh := func(data []byte) bool {
		r, err := parse(data)
		return err == nil && opt.Now.Before(r.NextUpdate)
	}
	issuerSum := sha256.Sum256(opt.Issuer.Raw)
	key := "ocsp " + url + " " + leaf.SerialNumber.Text(16) + " " + hex.EncodeToString(issuerSum[:8])
	data, err := fetchCached(key, opt, fresh, func() ([]byte, error) {
		return pkifetch.Post(ctx, url, "application/ocsp-request", req, pkifetch.OCSPLimits)
	})
	if err != nil {
		note("OCSP %s: %v", where, err)
		return Status{}, false
	}
	r, err := parse(data)
	if err != nil {
		note("OCSP %s: the response does not verify: %v", where, err)
		return Status{}, false
	}
	s := Status{Source: "ocsp", Where: where, NextUpdate: r.NextUpdate}
	switch r.Status {
	case ocsp.Revoked:
		s.State, s.RevokedAt, s.Reason = Revoked, r.RevokedAt, reasonName(r.RevocationReason)
		return s, true
	case ocsp.Good:
		s.State = Good
		return s, true
	}
	note("OCSP %s does not know the certificate", where)
	return Status{}, false
}
