package main

import (
	"context"
	"crypto/x509"
	"flag"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/workspace"
)

// showRevocationBudget bounds show's CRL and OCSP fetches altogether.
const showRevocationBudget = 5 * time.Second

// revocationFlags are show's: where else to look, and whether to fetch.
type revocationFlags struct {
	crls    stringList
	offline bool
}

func addRevocationFlags(fs *flag.FlagSet) *revocationFlags {
	f := &revocationFlags{}
	fs.Var(&f.crls, "crl", "check the identity against the CRL in `FILE or URL` (repeatable; besides its own distribution points and OCSP responder)")
	fs.BoolVar(&f.offline, "offline", false, "fetch nothing: no CRL, OCSP answer or missing server intermediate (cached answers still count)")
	return f
}

// revocation checks an identity whose certificate names a CRL or an OCSP
// responder, or for which --crl was given; nil when there is nothing to
// ask. Answers are cached with their own validity (revocationCacheDir).
func (c *cli) revocation(s *workspace.Store, chain []*x509.Certificate, f *revocationFlags) *revocation.Status {
	leaf := chain[0]
	if len(f.crls) == 0 && len(leaf.CRLDistributionPoints) == 0 && len(leaf.OCSPServer) == 0 {
		return nil
	}
	opt := revocation.Options{Issuer: issuerIn(s, chain), CRLs: f.crls, Offline: f.offline}
	if dir := c.revocationCacheDir(); dir != "" {
		opt.Cache = revocation.DirCache{Dir: dir}
	}
	ctx, cancel := context.WithTimeout(c.ctx, showRevocationBudget)
	defer cancel()
	st := revocation.Check(ctx, leaf, opt)
	return &st
}

// issuerIn finds the certificate that issued chain's leaf: the next in its
// chain, else a workspace CA.
func issuerIn(s *workspace.Store, chain []*x509.Certificate) *x509.Certificate {
	leaf := chain[0]
	for _, c := range chain[1:] {
		if leaf.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	entries, err := s.List()
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if e.Kind != workspace.KindCA || e.SubjectCN != leaf.Issuer.CommonName {
			continue
		}
		if rec, err := s.Get(e.Name); err == nil && leaf.CheckSignatureFrom(rec.Chain[0]) == nil {
			return rec.Chain[0]
		}
	}
	return nil
}
