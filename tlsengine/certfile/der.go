package certfile

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// derHeader decodes the identifier and length octets at the start of b.
// ok is false when b is too short to hold them; indefinite is set for a BER
// indefinite length, which DER forbids.
func derHeader(b []byte) (tag byte, hdrLen int, contentLen uint64, indefinite, ok bool) {
	if len(b) < 2 {
		return 0, 0, 0, false, false
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		// High tag numbers appear in none of the formats read here.
		return tag, 0, 0, false, false
	}
	l := b[1]
	switch {
	case l < 0x80:
		return tag, 2, uint64(l), false, true
	case l == 0x80:
		return tag, 2, 0, true, true
	}
	n := int(l & 0x7f)
	if n > 8 || len(b) < 2+n {
		return tag, 0, 0, false, false
	}
	for _, c := range b[2 : 2+n] {
		contentLen = contentLen<<8 | uint64(c)
	}
	return tag, 2 + n, contentLen, false, true
}

// parseDER identifies a binary file by its ASN.1 shape. what prefixes
// descriptions ("base64-encoded ") so errors say what was really seen.
func (p *parser) parseDER(der []byte, what string) error {
	tag, hdrLen, contentLen, indefinite, ok := derHeader(der)
	if !ok || tag != 0x30 {
		return p.formatErr(garbageReason, nil)
	}
	if indefinite {
		return p.formatErr(what+"BER indefinite-length encoding, which this reader does not support (only DER); "+
			"re-encode it, e.g. `openssl pkcs12 -in FILE -out all.pem` and import all.pem", nil)
	}
	total := uint64(hdrLen) + contentLen
	if total > uint64(len(der)) {
		return p.formatErr(fmt.Sprintf("%struncated DER: the outer ASN.1 SEQUENCE announces %d bytes but the file holds only %d; the file is cut short",
			what, total, len(der)), nil)
	}
	elem, rest := der[:total], der[total:]

	// Look at the first children to tell the formats apart, so the error for
	// a damaged file can name the format it was meant to be.
	var kids [3]cbasn1.Tag
	var first cryptobyte.String
	s := cryptobyte.String(elem)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SEQUENCE) {
		return p.formatErr(what+"malformed DER", nil)
	}
	for i := range kids {
		var e cryptobyte.String
		var t cbasn1.Tag
		if !body.ReadAnyASN1Element(&e, &t) {
			break
		}
		kids[i] = t
		if i == 0 {
			first = e
		}
	}

	switch {
	case kids[0] == cbasn1.INTEGER && kids[1] == cbasn1.SEQUENCE && isInteger(first, 3):
		if err := p.parseP12(elem); err != nil {
			return err
		}
		return p.trailing(rest, what+"PKCS#12")
	case kids[0] == cbasn1.OBJECT_IDENTIFIER:
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(first, &oid); err == nil && oid.Equal(oidSignedData) {
			certs, err := parsePKCS7(elem)
			if err != nil {
				return p.formatErr(what+"DER PKCS#7 is not a certificate bundle", err)
			}
			p.bundle.Certs = append(p.bundle.Certs, certs...)
			return p.trailing(rest, what+"PKCS#7")
		}
	case kids[0] == cbasn1.SEQUENCE && kids[1] == cbasn1.SEQUENCE && kids[2] == cbasn1.BIT_STRING:
		// Some tools concatenate DER certificates into one file.
		certs, err := x509.ParseCertificates(der)
		if err != nil {
			if _, one := x509.ParseCertificate(elem); one == nil && len(rest) > 0 {
				return p.formatErr(fmt.Sprintf("%sDER certificate followed by %d bytes that are not a certificate", what, len(rest)), err)
			}
			return p.formatErr(what+"DER certificate is malformed", err)
		}
		p.bundle.Certs = append(p.bundle.Certs, certs...)
		return nil
	case kids[0] == cbasn1.SEQUENCE && kids[1] == cbasn1.OCTET_STRING:
		k, err := p.encryptedPKCS8(elem, what+"DER encrypted PKCS#8 key")
		if err != nil {
			return err
		}
		if err := p.addKey(k); err != nil {
			return err
		}
		return p.trailing(rest, what+"DER key")
	case kids[0] == cbasn1.INTEGER:
		k, err := parseClearKey(elem)
		if err != nil {
			return p.formatErr(what+"DER private key is malformed", err)
		}
		if err := p.addKey(k); err != nil {
			return err
		}
		return p.trailing(rest, what+"DER key")
	}
	return p.formatErr(what+"ASN.1 DER that is not a certificate, private key, PKCS#12 or PKCS#7", nil)
}

func (p *parser) trailing(rest []byte, what string) error {
	if len(rest) == 0 {
		return nil
	}
	return p.formatErr(fmt.Sprintf("%s followed by %d bytes of unknown data", what, len(rest)), nil)
}

func isInteger(elem cryptobyte.String, want int64) bool {
	var v int64
	return elem.ReadASN1Integer(&v) && v == want
}

// parseClearKey reads an unencrypted DER private key in any of its three
// encodings. The PEM label is not trusted to name the right one: tools
// mislabel, and trying all three costs nothing.
func parseClearKey(der []byte) (any, error) {
	k8, err8 := x509.ParsePKCS8PrivateKey(der)
	if err8 == nil {
		return k8, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	// Name the most common encoding's error; the other two say only
	// "use ParsePKCS8PrivateKey instead".
	return nil, fmt.Errorf("not a PKCS#8, PKCS#1 or SEC1 private key: %w", err8)
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// parsePKCS7 returns the certificates of a PKCS#7 SignedData (a .p7b/.p7c
// bundle, as `openssl crl2pkcs7 -nocrl` writes), ignoring signatures and
// CRLs: the file is a certificate carrier, nothing in it is verified here.
func parsePKCS7(der []byte) ([]*x509.Certificate, error) {
	s := cryptobyte.String(der)
	var ci, content, sd cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&oid) {
		return nil, errors.New("not a PKCS#7 ContentInfo")
	}
	if !oid.Equal(oidSignedData) {
		return nil, fmt.Errorf("PKCS#7 content type %s is not signedData", oid)
	}
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!content.ReadASN1(&sd, cbasn1.SEQUENCE) {
		return nil, errors.New("PKCS#7 signedData content is malformed")
	}
	var version int64
	if !sd.ReadASN1Integer(&version) || !sd.SkipASN1(cbasn1.SET) || !sd.SkipASN1(cbasn1.SEQUENCE) {
		return nil, errors.New("PKCS#7 signedData header is malformed")
	}
	var certs cryptobyte.String
	var present bool
	if !sd.ReadOptionalASN1(&certs, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("PKCS#7 certificate set is malformed")
	}
	var out []*x509.Certificate
	for !certs.Empty() {
		var raw cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&raw, &tag) {
			return nil, errors.New("PKCS#7 certificate set is malformed")
		}
		if tag != cbasn1.SEQUENCE {
			continue // attribute certificates and other CertificateChoices
		}
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, fmt.Errorf("PKCS#7 certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("PKCS#7 bundle holds no certificates")
	}
	return out, nil
}
