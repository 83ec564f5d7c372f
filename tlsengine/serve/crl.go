package serve

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"net"
	"strings"
	"sync"
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
// revocation in VerifyConnection. crypto/tls answers any error there with
// alert 42 (bad_certificate), so the server writes alert 44
// (certificate_revoked) to the connection first, and that is the one the
// client reads: in plaintext on TLS 1.2, where the server has sent nothing
// encrypted yet at that point; on TLS 1.3 encrypted as the server's first
// application-traffic record, under the secret crypto/tls gives out only
// through KeyLogWriter.
func (s *Server) connConfig(raw net.Conn) *tls.Config {
	if len(s.cfg.CRLs) == 0 {
		return s.tls
	}
	cfg := s.tls.Clone()
	secret := &trafficSecret{}
	cfg.KeyLogWriter = secret
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		err := s.checkRevoked(cs)
		if err == nil {
			return nil
		}
		switch cs.Version {
		case tls.VersionTLS12:
			// A fatal alert record: type 21, version 1.2, length 2.
			_, _ = raw.Write([]byte{21, 3, 3, 0, 2, 2, alertCertificateRevoked})
		case tls.VersionTLS13:
			if rec, ok := tls13Alert(cs.CipherSuite, secret.get(), alertCertificateRevoked); ok {
				_, _ = raw.Write(rec)
			}
		}
		return err
	}
	return cfg
}

// trafficSecret keeps SERVER_TRAFFIC_SECRET_0 from a connection's key log
// (NSS key log format: label, client random, secret, in hex).
type trafficSecret struct {
	mu     sync.Mutex
	secret []byte
}

func (k *trafficSecret) Write(p []byte) (int, error) {
	f := strings.Fields(string(p))
	if len(f) == 3 && f[0] == "SERVER_TRAFFIC_SECRET_0" {
		if b, err := hex.DecodeString(f[2]); err == nil {
			k.mu.Lock()
			k.secret = b
			k.mu.Unlock()
		}
	}
	return len(p), nil
}

func (k *trafficSecret) get() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.secret
}

// tls13Alert encrypts a fatal alert as the first record under the server's
// application traffic secret (RFC 8446 5.2 and 7.3). It is the first one
// when the server asked for a client certificate: crypto/tls then sends its
// session tickets only after the client's Finished. Only the AES-GCM suites
// are done; with ChaCha20-Poly1305 (clients without AES hardware) the
// client gets crypto/tls's own alert 42.
func tls13Alert(suite uint16, secret []byte, alert byte) ([]byte, bool) {
	var h func() hash.Hash
	var keyLen int
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256:
		h, keyLen = sha256.New, 16
	case tls.TLS_AES_256_GCM_SHA384:
		h, keyLen = sha512.New384, 32
	default:
		return nil, false
	}
	if len(secret) == 0 {
		return nil, false
	}
	block, err := aes.NewCipher(expandLabel(h, secret, "key", keyLen))
	if err != nil {
		return nil, false
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, false
	}
	// Inner plaintext: level fatal, the alert, then the real content type
	// (alert). The outer record says application_data; sequence number 0
	// makes the nonce the IV itself.
	inner := []byte{2, alert, 21}
	header := []byte{23, 3, 3, 0, byte(len(inner) + aead.Overhead())}
	return aead.Seal(append([]byte{}, header...), expandLabel(h, secret, "iv", aead.NonceSize()), inner, header), true
}

// expandLabel is HKDF-Expand-Label with an empty context (RFC 8446 7.1).
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) []byte {
	full := "tls13 " + label
	info := append([]byte{byte(n >> 8), byte(n), byte(len(full))}, full...)
	out, err := hkdf.Expand(h, secret, string(append(info, 0)), n)
	if err != nil {
		panic(err) // only for n beyond 255 hash lengths
	}
	return out
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
