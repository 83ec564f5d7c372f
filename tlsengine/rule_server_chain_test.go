package tlsengine

import (
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// verified runs the engine's own verification of peer against req (the
// local check these rules read) and records its verdict as the failure.
func verified(req Request, name string, peer ...*x509.Certificate) evOption {
	return func(e *evidence) {
		v := newVerifier(req, testNow)
		sc := v.check(peer, name)
		e.server, e.serverReject, e.serverName = &sc, sc.err != nil, name
		for _, k := range req.KnownCAs {
			for _, c := range k.Chain {
				if contains(sc.missing, c) {
					e.missingHeldBy = append(e.missingHeldBy, k.Name)
				}
			}
		}
		e.req.trustNames, e.req.systemTrust = req.RootNames, len(req.Roots) == 0
	}
}

func TestServerChainRules(t *testing.T) {
	must := func(p pki.Pair, err error) pki.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := must(pki.NewRoot(pki.Spec{CN: "Test Root", IsCA: true, MaxPathLen: 1}))
	inter := must(root.Issue(pki.Spec{CN: "Test Intermediate", IsCA: true}))
	rogue := must(pki.NewRoot(pki.Spec{CN: "Rogue CA", IsCA: true}))
	spec := func(mut func(s *pki.Spec)) pki.Spec {
		s := pki.Spec{CN: "server", Server: true, DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour)}
		if mut != nil {
			mut(&s)
		}
		return s
	}
	good := must(root.Issue(spec(nil)))
	expired := must(root.Issue(spec(func(s *pki.Spec) { s.NotBefore, s.NotAfter = testNow.Add(-72*time.Hour), testNow.Add(-48*time.Hour) })))
	future := must(root.Issue(spec(func(s *pki.Spec) { s.NotBefore, s.NotAfter = testNow.Add(48*time.Hour), testNow.Add(96*time.Hour) })))
	viaInter := must(inter.Issue(spec(nil)))
	fromRogue := must(rogue.Issue(spec(nil)))

	trustRoot := Request{Roots: []*x509.Certificate{root.Cert}, RootNames: []string{"test-root"}}
	knowInter := trustRoot
	knowInter.KnownCAs = []NamedChain{{Name: "test-intermediate", Chain: []*x509.Certificate{inter.Cert}}}
	knowRogue := trustRoot
	knowRogue.KnownCAs = []NamedChain{{Name: "rogue", Chain: []*x509.Certificate{rogue.Cert}}}

	checkRanked(t, map[string]rankCase{
		"expired": {ev: ev(verified(trustRoot, "localhost", expired.Cert)),
			want: []want{{ServerCertExpired, Certain, "CN=server expired 2 days ago"}}},
		"not yet valid": {ev: ev(verified(trustRoot, "localhost", future.Cert)),
			want: []want{{ServerCertNotYetValid, Certain, "starts"}}},
		"hostname": {ev: ev(verified(trustRoot, "other.example", good.Cert)),
			want: []want{{ServerHostnameMismatch, Certain, `valid for localhost, 127.0.0.1, not for "other.example"`}}},
		"incomplete, intermediate known": {ev: ev(verified(knowInter, "localhost", viaInter.Cert)),
			want: []want{{ServerChainIncomplete, Certain, "verifies once CN=Test Intermediate from your CAs is added"}}},
		"untrusted": {ev: ev(verified(knowRogue, "localhost", fromRogue.Cert)),
			want: []want{{ServerCertUntrusted, Certain, "leads to CN=Rogue CA, which is not a trusted CA"}}},
		// Under Insecure the verdict is recorded but ended nothing.
		"verdict without failure": {ev: ev(verified(trustRoot, "localhost", expired.Cert), func(e *evidence) { e.serverReject = false }),
			want: []want{{TLSError, Certain, "handshake phase failed"}}},
	})

	incomplete := ev(verified(knowInter, "localhost", viaInter.Cert)).server
	hints := serverChainIncompleteRule{}.Propose(ev(verified(knowInter, "localhost", viaInter.Cert)))[0].hints
	if len(incomplete.missing) != 1 || hints[1] != "as a workaround, trust `test-intermediate` for this request (--ca test-intermediate, or the composer's trust picker)" {
		t.Errorf("the workaround does not name the workspace CA: %q", hints)
	}
	untrusted := serverUntrustedRule{}.Propose(ev(verified(knowRogue, "localhost", fromRogue.Cert)))[0]
	if untrusted.detail != "trusted for this request: `test-root`" || untrusted.hints[0] != "CA `rogue` in your workspace would verify this server: trust it for this request" {
		t.Errorf("untrusted: detail %q, hints %q", untrusted.detail, untrusted.hints)
	}
}
