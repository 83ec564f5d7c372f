package certfile

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"

	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/mtlswb/mtlswb/tlsengine/certinfo"
)

// pemKDFIterations is the PBKDF2-HMAC-SHA256 count for exported encrypted
// keys: OWASP's 2023 recommendation for that PRF. OpenSSL's default is 2048,
// which a GPU tries in microseconds; opening the key takes a fraction of a
// second, once per export. A variable so tests can lower it.
var pemKDFIterations = 600_000

// EncodePEM writes chain (leaf first) and, when key is not nil, the key as
// PKCS#8 after it. With a non-nil passphrase the key is encrypted PKCS#8
// (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC), which `openssl pkey` and every
// TLS stack read; with nil it is written in the clear.
func EncodePEM(chain []*x509.Certificate, key crypto.Signer, passphrase []byte) ([]byte, error) {
	if key != nil && len(chain) > 0 && !KeyMatches(chain[0], key) {
		return nil, errors.New("encode PEM: the key does not belong to the first certificate of the chain; pass the leaf first")
	}
	out := EncodeCertsPEM(chain)
	if key == nil {
		return out, nil
	}
	var block *pem.Block
	switch {
	case passphrase == nil:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("encode PEM: marshal key: %w", err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	case len(passphrase) == 0:
		// youmark/pkcs8 would write an empty passphrase as a clear key.
		return nil, errors.New("encode PEM: the passphrase is empty; give a passphrase, or none to write the key unencrypted")
	default:
		der, err := pkcs8.MarshalPrivateKey(key, passphrase, &pkcs8.Opts{
			Cipher: pkcs8.AES256CBC,
			KDFOpts: pkcs8.PBKDF2Opts{
				SaltSize:       16,
				IterationCount: pemKDFIterations,
				HMACHash:       crypto.SHA256,
			},
		})
		if err != nil {
			return nil, fmt.Errorf("encode PEM: encrypt key: %w", err)
		}
		block = &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}
	}
	return append(out, pem.EncodeToMemory(block)...), nil
}

// EncodeCertsPEM writes certs as CERTIFICATE blocks, in order.
func EncodeCertsPEM(certs []*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		if c == nil {
			continue
		}
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}) // writes to memory cannot fail
	}
	return b.Bytes()
}

// EncodeP12 writes a PKCS#12 file with key, chain[0] as its certificate and
// the rest of chain as CA certificates. The default is go-pkcs12's Modern2023
// (PBES2 AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC: what OpenSSL 3 writes);
// legacy selects LegacyDES (3DES, SHA-1 MAC) for old Java, macOS and Windows
// versions that cannot read the modern form.
func EncodeP12(chain []*x509.Certificate, key crypto.Signer, passphrase []byte, legacy bool) ([]byte, error) {
	if len(chain) == 0 || chain[0] == nil {
		return nil, errors.New("encode PKCS#12: no certificate to export")
	}
	if key == nil {
		return nil, errors.New("encode PKCS#12: no private key to export; use EncodeTrustStoreP12 for certificates alone")
	}
	if !KeyMatches(chain[0], key) {
		return nil, errors.New("encode PKCS#12: the key does not belong to the first certificate of the chain; pass the leaf first")
	}
	if err := checkP12Passphrase(passphrase); err != nil {
		return nil, err
	}
	enc := pkcs12.Modern2023
	if legacy {
		enc = pkcs12.LegacyDES
	}
	der, err := enc.WithRand(rand.Reader).Encode(key, chain[0], chain[1:], string(passphrase))
	if err != nil {
		return nil, fmt.Errorf("encode PKCS#12: %w", err)
	}
	return der, nil
}

// EncodeTrustStoreP12 writes certs as a Java trust store (PKCS#12 with each
// certificate marked trusted), the form keytool and the JDK read as CAs.
func EncodeTrustStoreP12(certs []*x509.Certificate, passphrase []byte) ([]byte, error) {
	if len(certs) == 0 {
		return nil, errors.New("encode PKCS#12 trust store: no certificates to export")
	}
	if err := checkP12Passphrase(passphrase); err != nil {
		return nil, err
	}
	der, err := pkcs12.Modern2023.WithRand(rand.Reader).EncodeTrustStore(certs, string(passphrase))
	if err != nil {
		return nil, fmt.Errorf("encode PKCS#12 trust store: %w", err)
	}
	return der, nil
}

func checkP12Passphrase(pw []byte) error {
	if len(pw) == 0 {
		return errors.New("encode PKCS#12: a passphrase is required; most tools refuse or mishandle unprotected PKCS#12 files")
	}
	for _, r := range string(pw) {
		if r > 0xffff {
			return errors.New("encode PKCS#12: the passphrase has characters outside the Basic Multilingual Plane, which PKCS#12 cannot encode")
		}
	}
	return nil
}

// JWK returns cert's public key as an RFC 7517 JSON Web Key, with the
// certificate itself in x5c and its thumbprint as both kid and x5t#S256, the
// shape an OAuth server's client registration (RFC 8705) expects.
func JWK(cert *x509.Certificate) (map[string]any, error) {
	if cert == nil {
		return nil, errors.New("jwk: no certificate")
	}
	b64 := base64.RawURLEncoding.EncodeToString
	tp := certinfo.Thumbprint(cert)
	jwk := map[string]any{
		"kid":      tp,
		"x5t#S256": tp,
		"x5c":      []string{base64.StdEncoding.EncodeToString(cert.Raw)},
	}
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		jwk["kty"] = "RSA"
		jwk["n"] = b64(pub.N.Bytes())
		jwk["e"] = b64(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		var crv string
		switch pub.Curve {
		case elliptic.P256():
			crv = "P-256"
		case elliptic.P384():
			crv = "P-384"
		case elliptic.P521():
			crv = "P-521"
		default:
			return nil, fmt.Errorf("jwk: curve %s has no JWK name", pub.Curve.Params().Name)
		}
		ek, err := pub.ECDH()
		if err != nil {
			return nil, fmt.Errorf("jwk: %w", err)
		}
		// The uncompressed point is 0x04 || X || Y, each coordinate padded to
		// the field size, which is exactly the padding RFC 7518 6.2.1.2 wants.
		pt := ek.Bytes()[1:]
		jwk["kty"] = "EC"
		jwk["crv"] = crv
		jwk["x"] = b64(pt[:len(pt)/2])
		jwk["y"] = b64(pt[len(pt)/2:])
	case ed25519.PublicKey:
		jwk["kty"] = "OKP"
		jwk["crv"] = "Ed25519"
		jwk["x"] = b64(pub)
	default:
		return nil, fmt.Errorf("jwk: %T keys have no JWK form", cert.PublicKey)
	}
	return jwk, nil
}
