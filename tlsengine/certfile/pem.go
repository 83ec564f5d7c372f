package certfile

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

var (
	pemBegin = []byte("-----BEGIN ")
	pemDash  = []byte("-----")
)

// pemStart returns the offset of the first "-----BEGIN " at the start of a
// line at or after from, or -1. Only line starts count, so a certificate
// subject quoting "-----BEGIN" inside `openssl x509 -text` output is text.
func pemStart(data []byte, from int) int {
	for from < len(data) {
		i := bytes.Index(data[from:], pemBegin)
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || data[i-1] == '\n' || data[i-1] == '\r' {
			return i
		}
		from = i + len(pemBegin)
	}
	return -1
}

// lineEnd returns the offset just past the line that contains i.
func lineEnd(data []byte, i int) int {
	if j := bytes.IndexByte(data[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(data)
}

// parsePEM walks the BEGIN/END pairs itself rather than looping over
// pem.Decode, because pem.Decode silently skips a block it cannot parse, and
// a truncated file must be reported, not half-imported.
func (p *parser) parsePEM(data []byte) error {
	n := 0
	for start := pemStart(data, 0); start >= 0; {
		n++
		headerEnd := lineEnd(data, start)
		header := bytes.TrimRight(data[start:headerEnd], " \t\r\n")
		if !bytes.HasSuffix(header, pemDash) || len(header) < len(pemBegin)+len(pemDash) {
			return p.formatErr(fmt.Sprintf("PEM block %d has a malformed BEGIN line %q", n, clip(header)), nil)
		}
		typ := string(header[len(pemBegin) : len(header)-len(pemDash)])
		end := []byte("-----END " + typ + "-----")
		endAt := bytes.Index(data[headerEnd:], end)
		// Any BEGIN before the END, even mid-line, means this block was cut
		// short and another file's block starts inside it.
		next := bytes.Index(data[headerEnd:], pemBegin)
		if endAt < 0 || (next >= 0 && next < endAt) {
			return p.formatErr(fmt.Sprintf("BEGIN %s without END in PEM block %d: the file is truncated or two files were joined badly", quoteType(typ), n), nil)
		}
		blockEnd := lineEnd(data, headerEnd+endAt)
		// Decode only this block's bytes so a malformed block cannot make
		// pem.Decode skip ahead to the next one.
		block, _ := pem.Decode(data[start:blockEnd])
		if block == nil || block.Type != typ {
			return p.formatErr(fmt.Sprintf("PEM block %d (%s) is malformed: bad base64 or headers", n, quoteType(typ)), nil)
		}
		if err := p.pemBlock(block, n); err != nil {
			return err
		}
		start = pemStart(data, blockEnd)
	}
	return nil
}

func quoteType(typ string) string {
	return fmt.Sprintf("%q", clip([]byte(typ)))
}

// clip shortens untrusted text quoted in an error.
func clip(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

func (p *parser) pemBlock(block *pem.Block, n int) error {
	where := fmt.Sprintf("PEM block %d (%s)", n, block.Type)
	switch block.Type {
	case "CERTIFICATE", "X509 CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return p.formatErr(where+" is not a valid certificate", err)
		}
		p.bundle.Certs = append(p.bundle.Certs, c)
	case "TRUSTED CERTIFICATE":
		// OpenSSL's trusted form is the certificate followed by its trust
		// settings; only the first element is the certificate.
		var raw asn1.RawValue
		if _, err := asn1.Unmarshal(block.Bytes, &raw); err != nil {
			return p.formatErr(where+" is not a valid certificate", err)
		}
		c, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			return p.formatErr(where+" is not a valid certificate", err)
		}
		p.bundle.Certs = append(p.bundle.Certs, c)
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
		der, decrypted := block.Bytes, false
		if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck // legacy format on purpose, see legacyDecrypt
			var err error
			if der, err = p.legacyDecrypt(block, where); err != nil {
				return err
			}
			decrypted = true
		}
		k, err := parseClearKey(der)
		if err != nil {
			if decrypted {
				// Decryption "succeeded" only because the padding happened to
				// look right (about 1 in 256 wrong passphrases): the result
				// is not a key.
				return p.wrongPassphrase("")
			}
			return p.formatErr(where+" is not a valid private key", err)
		}
		return p.addKey(k)
	case "ENCRYPTED PRIVATE KEY":
		k, err := p.encryptedPKCS8(block.Bytes, where)
		if err != nil {
			return err
		}
		return p.addKey(k)
	case "PKCS7", "PKCS #7 SIGNED DATA":
		certs, err := parsePKCS7(block.Bytes)
		if err != nil {
			return p.formatErr(where+" is not a PKCS#7 certificate bundle", err)
		}
		p.bundle.Certs = append(p.bundle.Certs, certs...)
	case "OPENSSH PRIVATE KEY":
		return p.formatErr(where+" is an OpenSSH key, which TLS cannot use; convert it with `ssh-keygen -p -m PKCS8 -f FILE` and import the result", nil)
	default:
		// Unknown blocks are noted like the known skippable ones rather than
		// refused: the file's certificates and keys are still useful.
		p.bundle.Skipped = append(p.bundle.Skipped, safetext.Line(clip([]byte(block.Type))))
	}
	return nil
}

// looksBase64 reports whether data is nothing but base64 (and whitespace):
// some tools hand out a .p12 or DER certificate base64-encoded without PEM
// armour.
func looksBase64(data []byte) bool {
	n := 0
	for _, c := range data {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '+', c == '/', c == '=', c == '-', c == '_':
			n++
		case c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			return false
		}
	}
	// A DER certificate is hundreds of bytes; short runs of letters are text.
	return n >= 64
}

func (p *parser) parseBase64(data []byte) error {
	clean := make([]byte, 0, len(data))
	for _, c := range data {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			clean = append(clean, c)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if der, err := enc.DecodeString(string(clean)); err == nil {
			// kubeconfig's client-certificate-data and client-key-data are
			// base64 of PEM, not of DER.
			if pemStart(der, 0) >= 0 {
				return p.parsePEM(der)
			}
			return p.parseDER(der, "base64-encoded ")
		}
	}
	return p.formatErr(garbageReason, nil)
}

const garbageReason = "no certificate or key found: not PEM, DER, PKCS#12 or PKCS#7"
