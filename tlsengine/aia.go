package tlsengine

import (
	"context"
	"crypto/x509"
	"errors"

	"github.com/mtlswb/mtlswb/tlsengine/pkifetch"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// aiaHops is how many issuers are fetched one after the other: a leaf's
// intermediate, and the intermediate above it for the rare three-level
// public chains.
const aiaHops = 2

// fetchMissing completes a server chain the way browsers do: when the last
// certificate sent is not self-signed and its issuer is neither sent nor
// trusted, the issuer is fetched from the caIssuers URL of its authority
// information access (pkifetch bounds it: 2 s, 64 KiB, http and https
// only), then verification is retried. It returns the verified chain and
// the URL when the fetched certificates complete it; the chain still fails
// (the server should have sent them), but the diagnosis can name the
// missing certificate instead of blaming the trust store.
func (v *verifier) fetchMissing(peer []*x509.Certificate) (chain []*x509.Certificate, from string, err error) {
	if v.offline {
		return nil, "", errors.New("not fetched: offline")
	}
	ctx := v.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	for _, c := range v.knownCerts() {
		inter.AddCert(c)
	}
	last := peer[len(peer)-1]
	for range aiaHops {
		if selfSigned(last) {
			break
		}
		certs, u, err := pkifetch.Issuer(ctx, last)
		if err != nil {
			return nil, u, err
		}
		if from == "" {
			from = safetext.Line(u)
		}
		var next *x509.Certificate
		for _, c := range certs {
			if issuedBy(last, c) {
				next = c
				inter.AddCert(c)
			}
		}
		if next == nil {
			return nil, from, errors.New("the certificate fetched from " + from + " did not issue " + subject(last))
		}
		chains, err := peer[0].Verify(x509.VerifyOptions{
			Roots: v.roots, Intermediates: inter, CurrentTime: v.now, KeyUsages: serverAuth,
		})
		if err == nil {
			return chains[0], from, nil
		}
		last = next
	}
	return nil, from, errors.New("the fetched issuer does not lead to a trusted root")
}

// aiaLinks marks the links of a chain completed by fetchMissing that the
// server did not send.
func aiaLinks(links []ChainLink, chain, peer []*x509.Certificate, from string) {
	for i, c := range chain {
		if i >= len(links) || contains(peer, c) || selfSigned(c) {
			continue
		}
		links[i].Source = "aia"
		p := "not sent by the server: fetched from " + from + " (its issuer's authority information access)"
		links[i].Problems = append([]string{p}, links[i].Problems...)
		links[i].Verdict = p
	}
}
