package serve

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
)

// ParseCRLs reads certificate revocation lists from PEM ("X509 CRL" blocks)
// or one DER CRL.
func ParseCRLs(data []byte) ([]*x509.RevocationList, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		crl, err := x509.ParseRevocationList(data)
		if err != nil {
			return nil, fmt.Errorf("not a PEM or DER certificate revocation list: %w", err)
		}
		return []*x509.RevocationList{crl}, nil
	}
	var crls []*x509.RevocationList
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "X509 CRL" {
			continue
		}
		crl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CRL #%d: %w", len(crls)+1, err)
		}
		crls = append(crls, crl)
	}
	if len(crls) == 0 {
		return nil, errors.New(`no "X509 CRL" PEM block found`)
	}
	return crls, nil
}

// revokedError says which client certificate a CRL revokes.
type revokedError struct {
	cert   *x509.Certificate
	issuer *x509.Certificate
}

func (e *revokedError) Error() string {
	return fmt.Sprintf("client certificate %s (serial %s) is revoked by the CRL of %s",
		name(e.cert.Subject.String()), e.cert.SerialNumber.Text(16), name(e.issuer.Subject.String()))
}

// checkRevoked looks up every certificate of the verified chains in the
// CRLs their issuer signed. A CRL is trusted only when its issuer's key
// verifies it, so a chain that did not verify is not checked.
func (s *Server) checkRevoked(cs tls.ConnectionState) error {
	for _, chain := range cs.VerifiedChains {
		for i := 0; i+1 < len(chain); i++ {
			cert, issuer := chain[i], chain[i+1]
			for _, crl := range s.cfg.CRLs {
				if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
					continue
				}
				for _, e := range crl.RevokedCertificateEntries {
					if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
						return &revokedError{cert: cert, issuer: issuer}
					}
				}
			}
		}
	}
	return nil
}

// alertCertificateRevoked is TLS alert 44 (RFC 8446 6.2).
const alertCertificateRevoked = 44

// connConfig returns the TLS config for one connection. With CRLs it checks
// revocation in VerifyConnection; crypto/tls answers any error there with
// alert 42 (bad_certificate), so on TLS 1.2, where the server has sent
// nothing encrypted yet at that point, alert 44 (certificate_revoked) is
// written to the connection first and is the one the client reads. A TLS
// 1.3 server's alert is encrypted under keys crypto/tls keeps to itself:
// there the client gets 42.
func (s *Server) connConfig(raw net.Conn) *tls.Config {
	if len(s.cfg.CRLs) == 0 {
		return s.tls
	}
	cfg := s.tls.Clone()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		err := s.checkRevoked(cs)
		if err != nil && cs.Version == tls.VersionTLS12 {
			// A plaintext fatal alert record: type 21, version 1.2, length 2.
			_, _ = raw.Write([]byte{21, 3, 3, 0, 2, 2, alertCertificateRevoked})
		}
		return err
	}
	return cfg
}

// revokedReason is the log's reason for a revoked certificate, "" if err is
// not one.
func revokedReason(err error) string {
	var re *revokedError
	if errors.As(err, &re) {
		return re.Error() // names went through name(), which sanitizes
	}
	return ""
}
