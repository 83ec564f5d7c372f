package tlsengine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// verifier reproduces crypto/tls's default verification of a server chain
// and adds a verdict per link, because x509.Verify reports one reason only
// and the user needs to see which certificate is wrong.
type verifier struct {
	roots       *x509.CertPool // nil: the system roots, as crypto/tls does
	rootCerts   []*x509.Certificate
	systemRoots bool // the system roots take part
	known       []NamedChain
	now         time.Time
	// offline forbids fetching a missing issuer (fetchMissing); ctx
	// bounds the fetch by the attempt's.
	offline bool
	ctx     context.Context
}

func newVerifier(req Request, now time.Time) *verifier {
	v := &verifier{rootCerts: req.Roots, known: req.KnownCAs, now: now, offline: req.Offline}
	switch {
	case len(req.Roots) == 0:
		// Like Go's default: no roots given means the system's.
		v.systemRoots = true
	case req.SystemRoots:
		v.systemRoots = true
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, c := range req.Roots {
			pool.AddCert(c)
		}
		v.roots = pool
	default:
		v.roots = x509.NewCertPool()
		for _, c := range req.Roots {
			v.roots.AddCert(c)
		}
	}
	return v
}

// serverCheck is what verifying the server's chain showed.
type serverCheck struct {
	peer  []*x509.Certificate
	links []ChainLink
	// err is what default verification returns (a
	// *tls.CertificateVerificationError), nil when the chain verifies.
	err error
	// incomplete is set when the chain would verify had the server sent the
	// intermediates in missing (found among the caller's CAs), or, with
	// missing empty, when the server sent a lone leaf that chains to no
	// known CA while the system roots are in use: public CAs never issue
	// leaves from a root, so the intermediate is what is missing.
	incomplete bool
	missing    []*x509.Certificate
	// wouldVerify names KnownCAs entries the chain leads to.
	wouldVerify []string
	// fetchedFrom is the caIssuers URL the missing intermediates were
	// fetched from (fetchMissing), when they were; aiaErr says why a fetch
	// tried found none.
	fetchedFrom string
	aiaErr      error
}

var serverAuth = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}

func (v *verifier) check(peer []*x509.Certificate, name string) serverCheck {
	sc := serverCheck{peer: peer}
	if len(peer) == 0 {
		sc.err = &tls.CertificateVerificationError{Err: errors.New("the server sent no certificate")}
		return sc
	}
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	chains, err := peer[0].Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inter, DNSName: name, CurrentTime: v.now, KeyUsages: serverAuth,
	})
	if err == nil {
		sc.links = v.links(chains[0], peer, name, true)
		return sc
	}
	sc.err = &tls.CertificateVerificationError{UnverifiedCertificates: peer, Err: err}
	sc.links = v.links(v.complete(peer), peer, name, false)
	if errors.As(err, &x509.UnknownAuthorityError{}) {
		sc.missing = v.missingIntermediates(peer)
		if len(sc.missing) == 0 && len(peer[len(peer)-1].IssuingCertificateURL) > 0 {
			chain, from, err := v.fetchMissing(peer)
			sc.aiaErr = err
			if err == nil {
				sc.fetchedFrom = from
				for _, c := range chain[1 : len(chain)-1] {
					if !contains(peer, c) {
						sc.missing = append(sc.missing, c)
					}
				}
				sc.links = v.links(chain, peer, name, false)
				aiaLinks(sc.links, chain, peer, from)
			}
		}
		sc.incomplete = len(sc.missing) > 0 ||
			(len(peer) == 1 && !selfSigned(peer[0]) && v.systemRoots && !v.issuerKnown(peer[0]))
		sc.wouldVerify = v.knownThatVerify(peer)
	}
	return sc
}

// complete appends the trusted root that signed the last certificate the
// server sent, when the caller gave it, so the display shows the whole path.
func (v *verifier) complete(peer []*x509.Certificate) []*x509.Certificate {
	last := peer[len(peer)-1]
	if selfSigned(last) {
		return peer
	}
	for _, r := range v.rootCerts {
		if issuedBy(last, r) {
			return append(append([]*x509.Certificate(nil), peer...), r)
		}
	}
	return peer
}

// issuerKnown reports whether c's issuer is among the caller's CAs.
func (v *verifier) issuerKnown(c *x509.Certificate) bool {
	for _, k := range v.knownCerts() {
		if issuedBy(c, k) {
			return true
		}
	}
	return false
}

func (v *verifier) knownCerts() []*x509.Certificate {
	out := append([]*x509.Certificate(nil), v.rootCerts...)
	for _, k := range v.known {
		out = append(out, k.Chain...)
	}
	return out
}

// missingIntermediates retries verification with every CA certificate the
// caller knows as a possible intermediate; when that succeeds, the ones it
// used are what the server should have sent.
func (v *verifier) missingIntermediates(peer []*x509.Certificate) []*x509.Certificate {
	extra := v.knownCerts()
	if len(extra) == 0 {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	for _, c := range extra {
		inter.AddCert(c)
	}
	chains, err := peer[0].Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inter, CurrentTime: v.now, KeyUsages: serverAuth,
	})
	if err != nil {
		return nil
	}
	var missing []*x509.Certificate
	chain := chains[0]
	for _, c := range chain[1 : len(chain)-1] {
		if !contains(peer, c) {
			missing = append(missing, c)
		}
	}
	return missing
}

// knownThatVerify names the KnownCAs entries under which the server's chain
// verifies (ignoring the host name: that is a separate finding).
func (v *verifier) knownThatVerify(peer []*x509.Certificate) []string {
	var names []string
	all := v.knownCerts()
	for _, k := range v.known {
		if len(k.Chain) == 0 {
			continue
		}
		roots, inter := x509.NewCertPool(), x509.NewCertPool()
		for _, c := range k.Chain {
			roots.AddCert(c)
		}
		for _, c := range peer[1:] {
			inter.AddCert(c)
		}
		for _, c := range all {
			inter.AddCert(c)
		}
		if _, err := peer[0].Verify(x509.VerifyOptions{
			Roots: roots, Intermediates: inter, CurrentTime: v.now, KeyUsages: serverAuth,
		}); err == nil {
			names = append(names, k.Name)
		}
	}
	return names
}

// links gives every certificate of chain its own verdict. When the chain
// verified, x509.Verify has checked the signatures, so they are not checked
// twice: the engine must cost no more than a plain client.
func (v *verifier) links(chain, sent []*x509.Certificate, name string, verified bool) []ChainLink {
	out := make([]ChainLink, 0, len(chain))
	for i, c := range chain {
		var probs []string
		if p := validity(c, v.now); p != "" {
			probs = append(probs, p)
		}
		if i == 0 {
			if name != "" && c.VerifyHostname(name) != nil {
				probs = append(probs, fmt.Sprintf("not valid for %q (valid for %s)", safetext.Line(name), validNames(c)))
			}
			if !allowsUsage(c, x509.ExtKeyUsageServerAuth) {
				probs = append(probs, fmt.Sprintf("extended key usage (%s) does not allow server authentication", ekuNames(c)))
			}
		} else {
			if !c.BasicConstraintsValid || !c.IsCA {
				probs = append(probs, "not a CA certificate, yet it is used as an issuer")
			}
			if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
				probs = append(probs, "key usage does not allow signing certificates (certSign)")
			}
		}
		if !verified {
			if i+1 < len(chain) {
				next := chain[i+1]
				switch {
				case string(c.RawIssuer) != string(next.RawSubject):
					probs = append(probs, fmt.Sprintf("issued by %s, but the next certificate is %s", issuer(c), subject(next)))
				case next.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) != nil:
					probs = append(probs, fmt.Sprintf("signature does not verify with the key of %s", subject(next)))
				}
			} else if !selfSigned(c) {
				probs = append(probs, fmt.Sprintf("issuer %s was not sent by the server and is not a trusted CA", issuer(c)))
			}
		}
		link := chainLink(c)
		link.Verdict, link.Problems, link.Source = "ok", probs, "server"
		if len(probs) > 0 {
			link.Verdict = probs[0]
		}
		if !contains(sent, c) {
			link.Source = "trust"
		}
		out = append(out, link)
	}
	return out
}

// validNames lists the names a leaf is valid for.
func validNames(c *x509.Certificate) string {
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, safetext.Line(n))
	}
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no names: the certificate has no subject alternative names"
	}
	if len(names) > 8 {
		names = append(names[:8], fmt.Sprintf("%d more", len(names)-8))
	}
	return strings.Join(names, ", ")
}

func contains(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if x.Equal(c) {
			return true
		}
	}
	return false
}
