package certinfo

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Info is a certificate's description. Every string is sanitized.
type Info struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	Serial             string    `json:"serial"`
	DNSNames           []string  `json:"dns_names,omitempty"`
	IPAddresses        []string  `json:"ip_addresses,omitempty"`
	URIs               []string  `json:"uris,omitempty"`
	Emails             []string  `json:"emails,omitempty"`
	SPIFFEIDs          []string  `json:"spiffe_ids,omitempty"`
	NotBefore          time.Time `json:"not_before"`
	NotAfter           time.Time `json:"not_after"`
	KeyType            string    `json:"key_type"`
	SignatureAlgorithm string    `json:"signature_algorithm"`
	IsCA               bool      `json:"is_ca"`
	MaxPathLen         *int      `json:"max_path_len,omitempty"`
	KeyUsage           []string  `json:"key_usage"`
	ExtKeyUsage        []string  `json:"ext_key_usage"`
	ClientAuth         bool      `json:"client_auth"`
	SelfSigned         bool      `json:"self_signed"`
	SHA256             string    `json:"sha256"`
	SPKISHA256         string    `json:"spki_sha256"`
	// X5tS256 is the RFC 8705 certificate thumbprint: base64url (unpadded)
	// SHA-256 of the DER, the form tokens carry in cnf — not hex.
	X5tS256 string `json:"x5t#S256"`
}

// Describe builds the Info of c.
func Describe(c *x509.Certificate) Info {
	info := Info{
		Subject:            safetext.Line(c.Subject.String()),
		Issuer:             safetext.Line(c.Issuer.String()),
		Serial:             colonHex(c.SerialNumber.Bytes()),
		DNSNames:           safetext.Lines(c.DNSNames),
		Emails:             safetext.Lines(c.EmailAddresses),
		NotBefore:          c.NotBefore,
		NotAfter:           c.NotAfter,
		KeyType:            pki.DescribeKey(c.PublicKey),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		IsCA:               c.IsCA,
		KeyUsage:           KeyUsages(c.KeyUsage),
		ExtKeyUsage:        ExtKeyUsages(c),
		ClientAuth:         ClientAuth(c),
		SelfSigned:         IsSelfSigned(c),
		SHA256:             Fingerprint(c),
		X5tS256:            Thumbprint(c),
	}
	if c.IsCA && c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
		n := c.MaxPathLen
		info.MaxPathLen = &n
	}
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	info.SPKISHA256 = hex.EncodeToString(spki[:])
	for _, ip := range c.IPAddresses {
		info.IPAddresses = append(info.IPAddresses, ip.String())
	}
	for _, u := range c.URIs {
		s := safetext.Line(u.String())
		info.URIs = append(info.URIs, s)
		if u.Scheme == "spiffe" {
			info.SPIFFEIDs = append(info.SPIFFEIDs, s)
		}
	}
	return info
}

// Fingerprint is the hex SHA-256 of the certificate's DER.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// Thumbprint is RFC 8705's x5t#S256: base64url without padding of the
// SHA-256 of the DER.
func Thumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// IsSelfSigned reports whether c names itself as issuer and its signature
// checks out with its own key.
func IsSelfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// ClientAuth reports whether c may authenticate a TLS client: its EKU lists
// clientAuth or anyExtendedKeyUsage, or it has no EKU at all.
func ClientAuth(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// DaysLeft is the number of whole days until c expires, negative once it has.
func DaysLeft(c *x509.Certificate, now time.Time) int {
	return DaysUntil(c.NotAfter, now)
}

// DaysUntil is the number of whole days from now to t, negative when t has passed.
func DaysUntil(t, now time.Time) int {
	d := t.Sub(now)
	if d < 0 {
		// Expired today counts as one day ago, so a negative number always
		// means expired.
		return -max(1, int((-d).Hours()/24))
	}
	return int(d.Hours() / 24)
}

var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

// KeyUsages names the bits set in ku.
func KeyUsages(ku x509.KeyUsage) []string {
	names := []string{}
	for _, k := range keyUsageNames {
		if ku&k.bit != 0 {
			names = append(names, k.name)
		}
	}
	return names
}

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "any",
	x509.ExtKeyUsageServerAuth:      "serverAuth",
	x509.ExtKeyUsageClientAuth:      "clientAuth",
	x509.ExtKeyUsageCodeSigning:     "codeSigning",
	x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping:    "timeStamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
}

// ExtKeyUsages names c's extended key usages, unknown ones by OID.
func ExtKeyUsages(c *x509.Certificate) []string {
	names := []string{}
	for _, u := range c.ExtKeyUsage {
		if n, ok := extKeyUsageNames[u]; ok {
			names = append(names, n)
		} else {
			names = append(names, fmt.Sprintf("eku-%d", u))
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		names = append(names, oid.String())
	}
	return names
}

func colonHex(b []byte) string {
	if len(b) == 0 {
		return "00"
	}
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}
