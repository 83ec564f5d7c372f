package tlsengine

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"strings"
)

// signatureMismatchRule: the server's certificate request lists signature
// schemes, and the key of the identity sent can make none of them (an EC or
// Ed25519 key against a server that allows RSA signatures only). crypto/tls
// then cannot sign the CertificateVerify and aborts the handshake itself.
type signatureMismatchRule struct{}

func (signatureMismatchRule) Info() ruleInfo {
	return ruleInfo{Name: "client-key-signature-mismatch", Categories: []Category{NoSharedCipher},
		Source: "RFC 8446 4.3.2 / RFC 5246 7.4.4: the client signs with one of the schemes of the server's signature_algorithms (OpenSSL ClientSignatureAlgorithms)"}
}

func (signatureMismatchRule) Applies(ev *evidence) bool {
	cl := ev.client
	return ev.err != nil && ev.certReq != nil && cl.sent && cl.leaf != nil && !cl.keyFits && !ev.handshakeDone
}

func (signatureMismatchRule) Propose(ev *evidence) []Cause {
	cl, cr := ev.client, ev.certReq
	schemes := make([]string, len(cr.schemes))
	for i, s := range cr.schemes {
		schemes[i] = SchemeName(s)
	}
	c := Cause{Category: NoSharedCipher, Confidence: Certain, phase: PhaseHandshake,
		Evidence: fmt.Sprintf("local check: the server's certificate request allows client signatures with %s; the %s key of %s can make none of them",
			strings.Join(schemes, ", "), keyType(cl.leaf.PublicKey), cl.who),
		summary: fmt.Sprintf("the server accepts client signatures with %s keys only: %s has a %s key",
			keyFamilies(cr.schemes, cr.version), cl.who, keyType(cl.leaf.PublicKey)),
		detail: "the server's certificate request allows the signature schemes " + strings.Join(schemes, ", ")}
	c.hints = append(c.hints, cl.fitting...)
	c.hints = append(c.hints, fmt.Sprintf("or issue an identity with a key the server allows (mtlswb pki issue --key %s)", keyFlagFor(cr.schemes, cr.version)))
	return []Cause{c}
}

// keyFamilies names the key types the schemes allow: "RSA", "ECDSA P-256
// or Ed25519".
func keyFamilies(schemes []tls.SignatureScheme, version uint16) string {
	var out []string
	for _, f := range keyFamilyList {
		if keyTypeAllowed(f.pub, version, schemes) {
			out = append(out, f.name)
		}
	}
	if len(out) == 0 {
		return "no supported"
	}
	return strings.Join(out, " or ")
}

// keyFlagFor is the pki --key value of the first key type the schemes allow.
func keyFlagFor(schemes []tls.SignatureScheme, version uint16) string {
	for _, f := range keyFamilyList {
		if keyTypeAllowed(f.pub, version, schemes) {
			return f.flag
		}
	}
	return "rsa-2048"
}

// keyFamilyList are the key types pki issues, as keys of each type for
// keyTypeAllowed, in the order hints suggest them.
var keyFamilyList = []struct {
	name, flag string
	pub        any
}{
	{"RSA", "rsa-2048", &rsa.PublicKey{}},
	{"ECDSA P-256", "ec-p256", &ecdsa.PublicKey{Curve: elliptic.P256()}},
	{"ECDSA P-384", "ec-p384", &ecdsa.PublicKey{Curve: elliptic.P384()}},
	{"Ed25519", "ed25519", ed25519.PublicKey(nil)},
}
