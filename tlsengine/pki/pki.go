package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"
)

// KeyType names a key algorithm and size.
type KeyType string

const (
	ECP256  KeyType = "ec-p256"
	ECP384  KeyType = "ec-p384"
	ECP521  KeyType = "ec-p521"
	RSA2048 KeyType = "rsa-2048"
	RSA3072 KeyType = "rsa-3072"
	RSA4096 KeyType = "rsa-4096"
	Ed25519 KeyType = "ed25519"
)

// KeyTypes lists the accepted key types in the order help text shows them.
var KeyTypes = []KeyType{ECP256, ECP384, ECP521, RSA2048, RSA3072, RSA4096, Ed25519}

// ParseKeyType accepts a KeyType name.
func ParseKeyType(s string) (KeyType, error) {
	for _, k := range KeyTypes {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(KeyTypes))
	for i, k := range KeyTypes {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown key type %q: use one of %s", s, strings.Join(names, ", "))
}

// GenerateKey makes a new private key of type kt (ECP256 when empty).
func GenerateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case ECP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case ECP521:
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("unknown key type %q", kt)
}

// DescribeKey names a public key's type and size the way KeyType does
// ("ec-p256", "rsa-2048", "ed25519").
func DescribeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ec-" + strings.ToLower(strings.ReplaceAll(k.Curve.Params().Name, "-", ""))
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", k.N.BitLen())
	case ed25519.PublicKey:
		return "ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// Spec describes a certificate to make. Zero values give sensible defaults:
// an ECDSA P-256 key, valid from an hour ago for Days (default 365) days.
type Spec struct {
	CN           string
	Organization []string
	IsCA         bool
	// MaxPathLen applies to CAs; -1 means unlimited. Zero with IsCA means
	// the CA may issue only leaves (MaxPathLenZero).
	MaxPathLen int
	Client     bool // EKU clientAuth
	Server     bool // EKU serverAuth
	DNSNames   []string
	IPs        []net.IP
	URIs       []*url.URL
	Emails     []string
	Key        KeyType
	Days       int
	NotBefore  time.Time // overrides the default start
	NotAfter   time.Time // overrides Days
	// ExtKeyUsage, when set, replaces the EKU derived from Client/Server, so a
	// test can make a client certificate with serverAuth only.
	ExtKeyUsage []x509.ExtKeyUsage
	// Signer, when set, is used as the new certificate's key instead of a
	// fresh one (re-issuing for an existing key).
	Signer crypto.Signer
	// CRLURLs, OCSPURLs and IssuerURLs are where relying parties find the
	// issuer's CRL (CRL distribution points), its OCSP responder and its
	// certificate (authority information access, caIssuers).
	CRLURLs, OCSPURLs, IssuerURLs []string
}

// Pair is a certificate with its private key.
type Pair struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewRoot makes a self-signed certificate: a root CA when spec.IsCA, or a
// self-signed leaf (RFC 8705 self_signed_tls_client_auth) otherwise.
func NewRoot(spec Spec) (Pair, error) {
	return issue(spec, nil)
}

// Issue makes a certificate signed by p, which must be a CA.
func (p Pair) Issue(spec Spec) (Pair, error) {
	if p.Cert == nil || p.Key == nil {
		return Pair{}, errors.New("issue: the issuer has no certificate or key")
	}
	if !p.Cert.IsCA {
		return Pair{}, fmt.Errorf("issue: %q is not a CA certificate", p.Cert.Subject.CommonName)
	}
	return issue(spec, &p)
}

func issue(spec Spec, parent *Pair) (Pair, error) {
	if strings.TrimSpace(spec.CN) == "" {
		return Pair{}, errors.New("a certificate needs a common name (--cn)")
	}
	key := spec.Signer
	if key == nil {
		var err error
		if key, err = GenerateKey(spec.Key); err != nil {
			return Pair{}, err
		}
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return Pair{}, err
	}
	notBefore := spec.NotBefore
	if notBefore.IsZero() {
		// An hour of slack so a peer whose clock is slightly behind accepts it.
		notBefore = time.Now().Add(-time.Hour).Truncate(time.Second)
	}
	notAfter := spec.NotAfter
	if notAfter.IsZero() {
		days := spec.Days
		if days <= 0 {
			days = 365
		}
		notAfter = notBefore.Add(time.Duration(days) * 24 * time.Hour)
	}
	if !notAfter.After(notBefore) {
		return Pair{}, fmt.Errorf("not-after %s is not after not-before %s", notAfter.Format(time.RFC3339), notBefore.Format(time.RFC3339))
	}
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return Pair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: spec.CN, Organization: spec.Organization},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		SubjectKeyId:          ski,
		DNSNames:              spec.DNSNames,
		IPAddresses:           spec.IPs,
		URIs:                  spec.URIs,
		EmailAddresses:        spec.Emails,
		CRLDistributionPoints: spec.CRLURLs,
		OCSPServer:            spec.OCSPURLs,
		IssuingCertificateURL: spec.IssuerURLs,
	}
	if spec.IsCA {
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		switch {
		case spec.MaxPathLen < 0:
			tmpl.MaxPathLen = -1
		case spec.MaxPathLen == 0:
			tmpl.MaxPathLenZero = true
		default:
			tmpl.MaxPathLen = spec.MaxPathLen
		}
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if _, isRSA := key.Public().(*rsa.PublicKey); isRSA {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		switch {
		case spec.ExtKeyUsage != nil:
			tmpl.ExtKeyUsage = spec.ExtKeyUsage
		default:
			if spec.Client {
				tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
			}
			if spec.Server {
				tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
			}
		}
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.Cert, parent.Key
		tmpl.AuthorityKeyId = parent.Cert.SubjectKeyId
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		return Pair{}, fmt.Errorf("create certificate %q: %w", spec.CN, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Cert: cert, Key: key}, nil
}

// subjectKeyID follows RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey
// bit string.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, err
	}
	sum := sha1.Sum(info.PublicKey.Bytes)
	return sum[:], nil
}
