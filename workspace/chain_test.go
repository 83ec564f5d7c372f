package workspace

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

func TestAddToChain(t *testing.T) {
	s, keys := newStore(t, false)
	must := func(p pki.Pair, err error) pki.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := must(pki.NewRoot(pki.Spec{CN: "Chain Root", IsCA: true}))
	inter := must(root.Issue(pki.Spec{CN: "Chain Intermediate", IsCA: true}))
	other := must(pki.NewRoot(pki.Spec{CN: "Other Root", IsCA: true}))
	otherInter := must(other.Issue(pki.Spec{CN: "Other Intermediate", IsCA: true}))
	leaf := must(inter.Issue(pki.Spec{CN: "joe", Client: true}))
	if err := s.Add(keys, []NewRecord{
		{Kind: KindIdentity, Name: "joe", Chain: []*x509.Certificate{leaf.Cert}, Key: leaf.Key},
		{Kind: KindCA, Name: "root", Chain: []*x509.Certificate{root.Cert}},
		{Kind: KindCA, Name: "inter", Chain: []*x509.Certificate{inter.Cert}},
		{Kind: KindCA, Name: "other-inter", Chain: []*x509.Certificate{otherInter.Cert}},
	}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ id, ca, want string }{
		"root":            {"joe", "root", "it is a root"},
		"not the issuer":  {"joe", "other-inter", "did not issue the last certificate"},
		"ca first":        {"inter", "root", "must be an identity"},
		"identity second": {"joe", "joe", "must be a CA"},
	} {
		t.Run(name, func(t *testing.T) {
			var ce *ChainError
			if err := s.AddToChain(tc.id, tc.ca); !errors.As(err, &ce) || !strings.Contains(ce.Reason, tc.want) {
				t.Errorf("AddToChain(%s, %s) = %v, want a ChainError saying %q", tc.id, tc.ca, err, tc.want)
			}
		})
	}
	if err := s.AddToChain("joe", "inter"); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Get("joe")
	if err != nil || len(rec.Chain) != 2 || !rec.Chain[1].Equal(inter.Cert) {
		t.Fatalf("after chain add: %v, %d certificates", err, len(rec.Chain))
	}
	if _, err := s.TLSCertificate(keys, "joe"); err != nil {
		t.Errorf("the key no longer opens: %v", err)
	}
	var ce *ChainError
	if err := s.AddToChain("joe", "inter"); !errors.As(err, &ce) {
		t.Errorf("adding it twice: %v", err)
	}
}
