package tlsengine

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/certinfo"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// dnString renders a DER-encoded distinguished name (as found in a
// CertificateRequest's certificate_authorities) RFC 4514 style, sanitized
// for a message; distinguishedName is the name as it is, for the report.
func dnString(der []byte) string { return safetext.Line(distinguishedName(der)) }

func distinguishedName(der []byte) string {
	var seq pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil || len(rest) > 0 {
		return fmt.Sprintf("<undecodable name, %d bytes>", len(der))
	}
	return seq.String()
}

// subject and issuer are the sanitized names of a certificate.
func subject(c *x509.Certificate) string { return safetext.Line(c.Subject.String()) }
func issuer(c *x509.Certificate) string  { return safetext.Line(c.Issuer.String()) }

func fingerprint(c *x509.Certificate) string { return certinfo.Fingerprint(c) }

// summarize and chainLink describe a certificate for the report: its names
// exactly as the certificate has them (renderers sanitize them for a
// terminal; the JSON form keeps them whole).
func summarize(c *x509.Certificate) *CertSummary {
	return &CertSummary{Subject: c.Subject.String(), Issuer: c.Issuer.String(), SHA256: fingerprint(c)}
}

func chainLink(c *x509.Certificate) ChainLink {
	l := ChainLink{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		DNSNames: append([]string{}, c.DNSNames...), EmailAddresses: slices.Clone(c.EmailAddresses),
		SHA256: fingerprint(c),
	}
	for _, ip := range c.IPAddresses {
		l.IPAddresses = append(l.IPAddresses, ip.String())
	}
	for _, u := range c.URIs {
		l.URIs = append(l.URIs, u.String())
	}
	return l
}

// Names lists every subject alternative name of the link: DNS names, IP
// addresses, URIs, email addresses. Each form names its own kind, so one
// list reads unambiguously. They are the certificate's: sanitize them
// before a terminal shows them.
func (l ChainLink) Names() []string {
	return slices.Concat(l.DNSNames, l.IPAddresses, l.URIs, l.EmailAddresses)
}

// selfSigned reports whether c names itself as issuer and its signature
// verifies with its own key (a self-signed leaf is not a CA, so
// CheckSignatureFrom would refuse it).
func selfSigned(c *x509.Certificate) bool { return certinfo.IsSelfSigned(c) }

// issuedBy reports whether parent's name and key signed child.
func issuedBy(child, parent *x509.Certificate) bool {
	return string(child.RawIssuer) == string(parent.RawSubject) && child.CheckSignatureFrom(parent) == nil
}

// allowsUsage reports whether the EKU extension permits usage; a certificate
// without the extension permits every usage (RFC 5280 4.2.1.12).
func allowsUsage(c *x509.Certificate, usage x509.ExtKeyUsage) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == usage || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// ekuNames lists a certificate's extended key usages in words.
func ekuNames(c *x509.Certificate) string {
	if names := certinfo.ExtKeyUsages(c); len(names) > 0 {
		return strings.Join(names, ", ")
	}
	return "none"
}

// validity describes why c is not valid at now, or returns "".
func validity(c *x509.Certificate, now time.Time) string {
	switch {
	case now.Before(c.NotBefore):
		return fmt.Sprintf("is not valid before %s (%s from now)", stamp(c.NotBefore), ago(c.NotBefore.Sub(now)))
	case now.After(c.NotAfter):
		return fmt.Sprintf("expired at %s (%s ago)", stamp(c.NotAfter), ago(now.Sub(c.NotAfter)))
	}
	return ""
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ago renders a duration coarsely: people read "3 days", not "72h0m0s".
func ago(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int(d/time.Second))
}

// keyType names a public key the way pki.KeyType does.
func keyType(pub any) string { return pki.DescribeKey(pub) }

// schemesFor lists the signature schemes a key can sign a CertificateVerify
// with at version, mirroring crypto/tls signatureSchemesForCertificate: TLS
// 1.3 binds the ECDSA curve to the hash and forbids PKCS #1 v1.5.
func schemesFor(pub any, version uint16) []tls.SignatureScheme {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if version < tls.VersionTLS13 {
			return []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384,
				tls.ECDSAWithP521AndSHA512, tls.ECDSAWithSHA1}
		}
		switch k.Curve {
		case elliptic.P256():
			return []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}
		case elliptic.P384():
			return []tls.SignatureScheme{tls.ECDSAWithP384AndSHA384}
		case elliptic.P521():
			return []tls.SignatureScheme{tls.ECDSAWithP521AndSHA512}
		}
	case *rsa.PublicKey:
		pss := []tls.SignatureScheme{tls.PSSWithSHA256, tls.PSSWithSHA384, tls.PSSWithSHA512}
		if version < tls.VersionTLS13 {
			return append(pss, tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512, tls.PKCS1WithSHA1)
		}
		return pss
	case ed25519.PublicKey:
		return []tls.SignatureScheme{tls.Ed25519}
	}
	return nil
}

// keyTypeAllowed reports whether the server's signature_algorithms leave the
// key a scheme to sign with. An empty list means the server said nothing.
func keyTypeAllowed(pub any, version uint16, offered []tls.SignatureScheme) bool {
	if len(offered) == 0 {
		return true
	}
	for _, s := range schemesFor(pub, version) {
		for _, o := range offered {
			if s == o {
				return true
			}
		}
	}
	return false
}

// acceptedIssuer returns the acceptable CA (as a DER DN) that one of chain's
// issuers matches, as crypto/tls SupportsCertificate decides it: an empty
// list accepts everything, otherwise some certificate in the chain must name
// a listed CA as its issuer.
func acceptedIssuer(chain []*x509.Certificate, acceptable [][]byte) ([]byte, bool) {
	if len(acceptable) == 0 {
		return nil, true
	}
	for _, c := range chain {
		for _, ca := range acceptable {
			if string(c.RawIssuer) == string(ca) {
				return ca, true
			}
		}
	}
	return nil, false
}

// leafOf returns the parsed leaf of a tls.Certificate.
func leafOf(c *tls.Certificate) (*x509.Certificate, error) {
	if c == nil || len(c.Certificate) == 0 {
		return nil, fmt.Errorf("the client certificate has no certificate data")
	}
	if c.Leaf != nil {
		return c.Leaf, nil
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("parse client certificate: %w", err)
	}
	return leaf, nil
}

// chainOf parses every certificate of a tls.Certificate, skipping ones that
// do not parse (the handshake will show what the server thinks of them).
func chainOf(c *tls.Certificate) []*x509.Certificate {
	if c == nil {
		return nil
	}
	out := make([]*x509.Certificate, 0, len(c.Certificate))
	for i, der := range c.Certificate {
		if i == 0 && c.Leaf != nil {
			out = append(out, c.Leaf)
			continue
		}
		if x, err := x509.ParseCertificate(der); err == nil {
			out = append(out, x)
		}
	}
	return out
}

// nameList renders certificate names for a message: "a, b and c".
func nameList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// quoteName renders a user's object name for a message: `joe`.
func quoteName(s string) string { return "`" + safetext.Line(s) + "`" }
