package tlsengine

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pkifetch"
	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// revocationBudget bounds all the fetches of one revocation check (each is
// bounded too): a diagnosis waits for it.
const revocationBudget = 5 * time.Second

// checkRevocation checks the chosen identity against its issuer's CRL and
// OCSP responder (and the CRLs of Request.CRLs) once per attempt, and
// returns the status, nil without an identity.
func (a *attempt) checkRevocation(ctx context.Context) *revocation.Status {
	if a.clientLeaf == nil {
		return nil
	}
	a.revokeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, revocationBudget)
		defer cancel()
		cache := a.req.RevocationCache
		if cache == nil {
			cache = &revocation.MemoryCache{}
		}
		s := revocation.Check(ctx, a.clientLeaf, revocation.Options{
			Issuer: a.issuerOf(a.clientLeaf), CRLs: a.req.CRLs, Offline: a.req.Offline, Cache: cache, Now: a.now,
		})
		a.mu.Lock()
		a.revocation = &s
		a.mu.Unlock()
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.revocation
}

// revocationStatus is the status checkRevocation found, nil before.
func (a *attempt) revocationStatus() *revocation.Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.revocation
}

// issuerOf finds the certificate that issued c among the chain sent with
// it, the caller's CAs, the other identities' chains and the roots.
func (a *attempt) issuerOf(c *x509.Certificate) *x509.Certificate {
	var pool []*x509.Certificate
	pool = append(pool, a.clientChain...)
	for _, set := range [][]NamedChain{a.req.KnownCAs, a.req.Candidates} {
		for _, k := range set {
			pool = append(pool, k.Chain...)
		}
	}
	pool = append(pool, a.req.Roots...)
	for _, p := range pool {
		if !p.Equal(c) && issuedBy(c, p) {
			return p
		}
	}
	return nil
}

// checkCRLSource checks a --crl value: an http(s) URL, or a file that
// exists.
func checkCRLSource(src string) error {
	if strings.Contains(src, "://") {
		if !pkifetch.Fetchable(src) {
			return fmt.Errorf("CRL URL %q: only http and https URLs are fetched; give a file instead", safetext.Line(src))
		}
		return nil
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("CRL file %q: %w", safetext.Line(src), err)
	}
	return nil
}
