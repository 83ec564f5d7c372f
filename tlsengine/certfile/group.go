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
	var certs []*x509.Certificate
	var keys []sourcedKey
	seen := map[string]bool{}
	for _, b := range bundles {
		if b == nil {
			continue
		}
		for _, c := range b.Certs {
			if c != nil && !seen[string(c.Raw)] {
				seen[string(c.Raw)] = true
				certs = append(certs, c)
			}
		}
	next:
		for _, k := range b.Keys {
			if k == nil {
				continue
			}
			for _, have := range keys {
				if samePublic(have.key.Public(), k.Public()) {
					continue next
				}
			}
			keys = append(keys, sourcedKey{k, b.Source})
		}
	}

	var unmatched []error
	used := map[*x509.Certificate]bool{}
	for _, k := range keys {
		found := false
		for _, c := range certs {
			if !KeyMatches(c, k.key) {
				continue
			}
			found = true
			chain := buildChain(c, certs)
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

// buildChain follows issuers from leaf through pool. It orders certificates;
// it does not verify them (expiry, usage and trust are the engine's job), so
// a signature check from the candidate's key is all that is asked.
func buildChain(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{leaf}
	in := map[*x509.Certificate]bool{leaf: true}
	for cur := leaf; len(chain) < maxChainLen && !selfSigned(cur); {
		next := findIssuer(cur, pool, in)
		if next == nil {
			break
		}
		chain = append(chain, next)
		in[next] = true
		cur = next
	}
	return chain
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

// findIssuer picks child's issuer from pool. With several candidates (a
// renewed or cross-signed CA) it prefers a CA, then the one valid longest.
func findIssuer(child *x509.Certificate, pool []*x509.Certificate, exclude map[*x509.Certificate]bool) *x509.Certificate {
	var best *x509.Certificate
	for _, c := range pool {
		if exclude[c] || !bytes.Equal(child.RawIssuer, c.RawSubject) || !signedBy(child, c) {
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
	return best
}
