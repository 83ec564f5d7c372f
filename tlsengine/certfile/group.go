package certfile

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// Identity is a private key with its certificate chain.
type Identity struct {
	Key crypto.Signer
	// Chain is leaf first, ordered toward the root, as far as the imported
	// certificates reach.
	Chain []*x509.Certificate
	// Source is where the key came from.
	Source string
}

// maxChainLen stops chain building on pathological inputs; real chains are
// two to four certificates.
const maxChainLen = 10

// Group matches keys to certificates. Each key with a certificate it belongs
// to is an identity (one per certificate, so a renewed certificate for the
// same key gives a second identity), whose chain is built from the other
// certificates by issuer name and signature. Certificates in no identity's
// chain are returned as CAs. A key that matches no certificate is an
// *UnmatchedKeyError; with several, they are joined.
//
// Certificates and keys that appear more than once (the same key in a PEM
// file and a PKCS#12 file) are counted once. The result is deterministic:
// identities follow the order of their keys, CAs the order of first sight.
func Group(bundles []*Bundle) (ids []Identity, cas []*x509.Certificate, err error) {
	type sourcedKey struct {
		key    crypto.Signer
		source string
	}
	// Everything is indexed (certificates by public key and by subject) so
	// a directory of 10,000 identities groups in linear time, not 10,000².
	var certs []*x509.Certificate
	bySPKI := map[string][]*x509.Certificate{}
	seen := map[string]bool{}
	var keys []sourcedKey
	keySeen := map[string]bool{}
	for _, b := range bundles {
		if b == nil {
			continue
		}
		for _, c := range b.Certs {
			if c != nil && !seen[string(c.Raw)] {
				seen[string(c.Raw)] = true
				certs = append(certs, c)
				bySPKI[string(c.RawSubjectPublicKeyInfo)] = append(bySPKI[string(c.RawSubjectPublicKeyInfo)], c)
			}
		}
		for _, k := range b.Keys {
			if k == nil {
				continue
			}
			spki := publicKeyID(k.Public())
			if keySeen[spki] {
				continue
			}
			keySeen[spki] = true
			keys = append(keys, sourcedKey{k, b.Source})
		}
	}

	idx := newChainIndex(certs)
	var unmatched []error
	used := map[*x509.Certificate]bool{}
	for _, k := range keys {
		found := false
		for _, c := range bySPKI[publicKeyID(k.key.Public())] {
			// The SPKI bytes matched; Equal guards against an encoding that
			// differs while naming the same key, and the reverse.
			if !KeyMatches(c, k.key) {
				continue
			}
			found = true
			chain := idx.chain(c)
			for _, link := range chain {
				used[link] = true
			}
			ids = append(ids, Identity{Key: k.key, Chain: chain, Source: k.source})
		}
		if !found {
			unmatched = append(unmatched, &UnmatchedKeyError{File: k.source, Key: pki.DescribeKey(k.key.Public())})
		}
	}
	if len(unmatched) > 0 {
		return nil, nil, errors.Join(unmatched...)
	}
	for _, c := range certs {
		if !used[c] {
			cas = append(cas, c)
		}
	}
	return ids, cas, nil
}

// publicKeyID is the DER SubjectPublicKeyInfo of pub, the key certificates
// are indexed by; "" when it cannot be encoded (such a key matches nothing).
func publicKeyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	return string(der)
}

// KeyMatches reports whether key is the private half of cert's public key.
func KeyMatches(cert *x509.Certificate, key crypto.Signer) bool {
	if cert == nil || key == nil {
		return false
	}
	return samePublic(key.Public(), cert.PublicKey)
}

func samePublic(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && b != nil && eq.Equal(b)
}

// chainIndex finds issuers by subject and remembers every link it checked:
// identities issued by one CA share that CA's signature checks.
type chainIndex struct {
	bySubject map[string][]*x509.Certificate
	issuer    map[*x509.Certificate]*x509.Certificate // nil value: checked, none found
	self      map[*x509.Certificate]bool
}

func newChainIndex(pool []*x509.Certificate) *chainIndex {
	idx := &chainIndex{
		bySubject: map[string][]*x509.Certificate{},
		issuer:    map[*x509.Certificate]*x509.Certificate{},
		self:      map[*x509.Certificate]bool{},
	}
	for _, c := range pool {
		idx.bySubject[string(c.RawSubject)] = append(idx.bySubject[string(c.RawSubject)], c)
	}
	return idx
}

// chain follows issuers from leaf through the pool. It orders certificates;
// it does not verify them (expiry, usage and trust are the engine's job), so
// a signature check from the candidate's key is all that is asked.
func (idx *chainIndex) chain(leaf *x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{leaf}
	in := map[*x509.Certificate]bool{leaf: true}
	for cur := leaf; len(chain) < maxChainLen && !idx.selfSigned(cur); {
		next := idx.findIssuer(cur)
		if next == nil || in[next] {
			break
		}
		chain = append(chain, next)
		in[next] = true
		cur = next
	}
	return chain
}

func (idx *chainIndex) selfSigned(c *x509.Certificate) bool {
	if v, ok := idx.self[c]; ok {
		return v
	}
	v := selfSigned(c)
	idx.self[c] = v
	return v
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && signedBy(c, c)
}

// signedBy uses CheckSignature rather than CheckSignatureFrom: the latter
// also refuses SHA-1 signatures and non-CA issuers, and a chain should still
// be put in order so that the verifier can say what is wrong with it.
func signedBy(child, parent *x509.Certificate) bool {
	return parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature) == nil
}

// findIssuer picks child's issuer among the certificates with its issuer's
// name whose key signed it, preferring a CA and then the latest expiry (a
// renewed intermediate beside the old one).
func (idx *chainIndex) findIssuer(child *x509.Certificate) *x509.Certificate {
	if best, ok := idx.issuer[child]; ok {
		return best
	}
	var best *x509.Certificate
	for _, c := range idx.bySubject[string(child.RawIssuer)] {
		if c == child || !signedBy(child, c) {
			continue
		}
		switch {
		case best == nil:
			best = c
		case c.IsCA != best.IsCA:
			if c.IsCA {
				best = c
			}
		case c.NotAfter.After(best.NotAfter):
			best = c
		}
	}
	idx.issuer[child] = best
	return best
}
