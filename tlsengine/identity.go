package tlsengine

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// preflight checks the chosen client certificate before anything is sent.
// Its findings are warnings: the request goes out regardless, because the
// user may be testing exactly this.
func (a *attempt) preflight() []string {
	leaf := a.clientLeaf
	if leaf == nil {
		return nil
	}
	var out []string
	who := a.identity()
	if p := validity(leaf, a.now); p != "" {
		out = append(out, fmt.Sprintf("%s %s: servers will reject it, renew it", who, p))
	}
	if pub, ok := a.req.ClientCert.PrivateKey.(crypto.Signer); ok {
		if eq, ok := pub.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && !eq.Equal(leaf.PublicKey) {
			out = append(out, fmt.Sprintf("the private key of %s does not match its certificate: the handshake will fail, load the key that belongs to it", who))
		}
	}
	if !allowsUsage(leaf, x509.ExtKeyUsageClientAuth) {
		out = append(out, fmt.Sprintf("%s does not allow client authentication (extended key usage: %s): servers reject it, reissue it with clientAuth", who, ekuNames(leaf)))
	}
	if w := a.chainWarning(); w != "" {
		out = append(out, w)
	}
	return out
}

// chainWarning checks that the chain sent with the client certificate leads
// to a root, as far as the caller's CAs allow telling.
func (a *attempt) chainWarning() string {
	chain := a.clientChain
	top := chain[0]
	for used := 1; used < len(chain)+1; used++ {
		next := (*x509.Certificate)(nil)
		for _, c := range chain[1:] {
			if issuedBy(top, c) && !c.Equal(top) {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		top = next
	}
	if selfSigned(top) {
		return ""
	}
	for _, k := range a.req.KnownCAs {
		for _, c := range k.Chain {
			if !issuedBy(top, c) {
				continue
			}
			if selfSigned(c) {
				return ""
			}
			return fmt.Sprintf("the chain of %s stops at %s: its issuer %s (CA %s) is an intermediate the server may need; add it to the identity's chain",
				a.identity(), subject(top), subject(c), quoteName(k.Name))
		}
	}
	if len(a.req.KnownCAs) == 0 && len(a.req.Candidates) == 0 {
		return "" // no workspace to compare with: nothing to say
	}
	return fmt.Sprintf("the issuer of %s, %s, is not among your CAs: cannot tell whether its chain is complete; import the issuing CA",
		a.identity(), issuer(top))
}

// verdicts says, for the chosen certificate and every candidate, whether the
// server's CertificateRequest accepts it.
func (a *attempt) verdicts(cr *certRequest) []IdentityVerdict {
	var out []IdentityVerdict
	var seen []*x509.Certificate
	if len(a.clientChain) > 0 {
		name := a.req.ClientName
		if name == "" {
			name = "(chosen certificate)"
		}
		out = append(out, a.verdict(name, a.clientChain, cr))
		seen = append(seen, a.clientChain[0])
	}
	for _, c := range a.req.Candidates {
		if len(c.Chain) == 0 || contains(seen, c.Chain[0]) {
			continue
		}
		seen = append(seen, c.Chain[0])
		out = append(out, a.verdict(c.Name, c.Chain, cr))
	}
	return out
}

func (a *attempt) verdict(name string, chain []*x509.Certificate, cr *certRequest) IdentityVerdict {
	v := IdentityVerdict{Name: safetext.Line(name)}
	leaf := chain[0]
	var reasons []string
	ca, ok := acceptedIssuer(chain, cr.acceptable)
	if !ok {
		// Name the identity's own issuer, and how far up the chain went.
		if top := chain[len(chain)-1]; top != leaf {
			reasons = append(reasons, fmt.Sprintf("issued by %s and sent with its chain up to %s, none of which the server lists as acceptable", issuer(leaf), issuer(top)))
		} else {
			reasons = append(reasons, fmt.Sprintf("issued by %s, which the server does not list as acceptable", issuer(leaf)))
		}
	}
	if p := validity(leaf, a.now); p != "" {
		reasons = append(reasons, p)
	}
	if !allowsUsage(leaf, x509.ExtKeyUsageClientAuth) {
		reasons = append(reasons, fmt.Sprintf("no clientAuth extended key usage (%s)", ekuNames(leaf)))
	}
	if !keyTypeAllowed(leaf.PublicKey, cr.version, cr.schemes) {
		reasons = append(reasons, fmt.Sprintf("key type %s is not among the server's signature schemes", keyType(leaf.PublicKey)))
	}
	switch {
	case len(reasons) > 0:
		v.Reason = strings.Join(reasons, "; ")
	case ca == nil:
		v.Accepted, v.Reason = true, "accepted: the server lists no CAs, so any issuer may do"
	default:
		v.Accepted, v.Reason = true, "accepted: issued under "+dnString(ca)+", which the server lists"
	}
	return v
}

// acceptedCandidates returns hints naming the identities the server's
// CertificateRequest would accept, other than the one chosen.
func (a *attempt) acceptedCandidates(cr *certRequest) []string {
	if cr == nil {
		return nil
	}
	var hints []string
	for _, c := range a.req.Candidates {
		if len(c.Chain) == 0 || (a.clientLeaf != nil && c.Chain[0].Equal(a.clientLeaf)) {
			continue
		}
		if v := a.verdict(c.Name, c.Chain, cr); v.Accepted {
			ca, _ := acceptedIssuer(c.Chain, cr.acceptable)
			if ca == nil {
				continue // the server lists no CAs: acceptance says nothing
			}
			hints = append(hints, fmt.Sprintf("identity %s is issued by %s, which this server accepts: try it", quoteName(c.Name), dnString(ca)))
		}
	}
	return hints
}
