package certfile

import (
	"crypto"
	"crypto/x509"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

type testPKI struct {
	root, inter, alice, bob, other pki.Pair
	// impostor has the root's name but its own key and a longer life, so
	// only the signature check tells it apart.
	impostor pki.Pair
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	must := func(p pki.Pair, err error) pki.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	var tp testPKI
	tp.root = must(pki.NewRoot(pki.Spec{CN: "Group Root", IsCA: true, MaxPathLen: 1}))
	tp.inter = must(tp.root.Issue(pki.Spec{CN: "Group Intermediate", IsCA: true, Key: pki.ECP384}))
	tp.alice = must(tp.inter.Issue(pki.Spec{CN: "alice", Client: true, Key: pki.Ed25519}))
	tp.bob = must(tp.inter.Issue(pki.Spec{CN: "bob", Client: true, Key: pki.RSA2048}))
	tp.other = must(pki.NewRoot(pki.Spec{CN: "Other Root", IsCA: true}))
	tp.impostor = must(pki.NewRoot(pki.Spec{CN: "Group Root", IsCA: true, Days: 3650}))
	return tp
}

func fps(certs []*x509.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, fp(c))
	}
	return out
}

func TestGroup(t *testing.T) {
	tp := newTestPKI(t)
	aliceChain := fps([]*x509.Certificate{tp.alice.Cert, tp.inter.Cert, tp.root.Cert})
	bobChain := fps([]*x509.Certificate{tp.bob.Cert, tp.inter.Cert, tp.root.Cert})
	cases := map[string]struct {
		bundles    []*Bundle
		wantChains [][]string // per identity, in key order
		wantSrc    []string
		wantCAs    []string
	}{
		"leaf, key and chain in root-first order": {
			bundles: []*Bundle{{Source: "a.pem",
				Certs: []*x509.Certificate{tp.root.Cert, tp.inter.Cert, tp.alice.Cert}, Keys: []crypto.Signer{tp.alice.Key}}},
			wantChains: [][]string{aliceChain}, wantSrc: []string{"a.pem"},
		},
		"chain scrambled across files": {
			bundles: []*Bundle{
				{Source: "inter.pem", Certs: []*x509.Certificate{tp.inter.Cert}},
				{Source: "key.pem", Keys: []crypto.Signer{tp.alice.Key}},
				{Source: "root.pem", Certs: []*x509.Certificate{tp.root.Cert}},
				{Source: "leaf.pem", Certs: []*x509.Certificate{tp.alice.Cert}},
			},
			wantChains: [][]string{aliceChain}, wantSrc: []string{"key.pem"},
		},
		"two identities in one file": {
			bundles: []*Bundle{{Source: "both.pem",
				Certs: []*x509.Certificate{tp.bob.Cert, tp.root.Cert, tp.alice.Cert, tp.inter.Cert},
				Keys:  []crypto.Signer{tp.bob.Key, tp.alice.Key}}},
			wantChains: [][]string{bobChain, aliceChain}, wantSrc: []string{"both.pem", "both.pem"},
		},
		"same-named CA with another key is not the issuer": {
			bundles: []*Bundle{{Source: "a.pem",
				Certs: []*x509.Certificate{tp.impostor.Cert, tp.alice.Cert, tp.root.Cert, tp.inter.Cert},
				Keys:  []crypto.Signer{tp.alice.Key}}},
			wantChains: [][]string{aliceChain}, wantSrc: []string{"a.pem"},
			wantCAs: fps([]*x509.Certificate{tp.impostor.Cert}),
		},
		"lone CA certificates": {
			bundles: []*Bundle{{Source: "cas.pem", Certs: []*x509.Certificate{tp.other.Cert, tp.root.Cert}}},
			wantCAs: fps([]*x509.Certificate{tp.other.Cert, tp.root.Cert}),
		},
		"unused CA and leftover leaf become CAs": {
			bundles: []*Bundle{{Source: "x.pem",
				Certs: []*x509.Certificate{tp.other.Cert, tp.alice.Cert, tp.bob.Cert, tp.inter.Cert},
				Keys:  []crypto.Signer{tp.alice.Key}}},
			wantChains: [][]string{fps([]*x509.Certificate{tp.alice.Cert, tp.inter.Cert})},
			wantSrc:    []string{"x.pem"},
			wantCAs:    fps([]*x509.Certificate{tp.other.Cert, tp.bob.Cert}),
		},
		"duplicates across files count once": {
			bundles: []*Bundle{
				{Source: "id.p12", Certs: []*x509.Certificate{tp.alice.Cert, tp.inter.Cert}, Keys: []crypto.Signer{tp.alice.Key}},
				{Source: "id.pem", Certs: []*x509.Certificate{tp.alice.Cert, tp.inter.Cert, tp.root.Cert}, Keys: []crypto.Signer{tp.alice.Key}},
			},
			wantChains: [][]string{aliceChain}, wantSrc: []string{"id.p12"},
		},
		"self-signed client certificate": {
			bundles: []*Bundle{{Source: "self.pem",
				Certs: []*x509.Certificate{tp.other.Cert}, Keys: []crypto.Signer{tp.other.Key}}},
			wantChains: [][]string{fps([]*x509.Certificate{tp.other.Cert})}, wantSrc: []string{"self.pem"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ids, cas, err := Group(c.bundles)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != len(c.wantChains) {
				t.Fatalf("got %d identities, want %d", len(ids), len(c.wantChains))
			}
			for i, id := range ids {
				if got := fps(id.Chain); !slices.Equal(got, c.wantChains[i]) {
					t.Errorf("identity %d chain = %v, want %v", i, got, c.wantChains[i])
				}
				if id.Source != c.wantSrc[i] {
					t.Errorf("identity %d source = %q, want %q", i, id.Source, c.wantSrc[i])
				}
				if !KeyMatches(id.Chain[0], id.Key) {
					t.Errorf("identity %d key does not match its leaf", i)
				}
			}
			if got := fps(cas); !slices.Equal(got, c.wantCAs) {
				t.Errorf("CAs = %v, want %v", got, c.wantCAs)
			}
		})
	}
}

func TestGroupUnmatchedKey(t *testing.T) {
	tp := newTestPKI(t)
	_, _, err := Group([]*Bundle{
		{Source: "certs.pem", Certs: []*x509.Certificate{tp.alice.Cert}},
		{Source: "stray.key", Keys: []crypto.Signer{tp.bob.Key}},
	})
	var ue *UnmatchedKeyError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnmatchedKeyError", err)
	}
	if ue.File != "stray.key" || ue.Key != "rsa-2048" {
		t.Errorf("UnmatchedKeyError = %+v", ue)
	}
	for _, want := range []string{"stray.key", "matches none of the certificates", "same command"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to mention %q", err, want)
		}
	}
}

// TestGroupOpenSSLp12 groups what a real p12 with an intermediate gives, plus
// the root from a separate file.
func TestGroupOpenSSLp12(t *testing.T) {
	dir := fixtureDir(t)
	id, err := ParseFile(filepath.Join(dir, "rsa2048-legacy.p12"), fixedPass(fixturePass))
	if err != nil {
		t.Fatal(err)
	}
	roots, err := ParseFile(filepath.Join(dir, "root.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ids, cas, err := Group([]*Bundle{roots, id})
	if err != nil {
		t.Fatal(err)
	}
	want := fps([]*x509.Certificate{
		loadCert(t, filepath.Join(dir, "rsa2048.pem")),
		loadCert(t, filepath.Join(dir, "int.pem")),
		loadCert(t, filepath.Join(dir, "root.pem")),
	})
	if len(ids) != 1 || !slices.Equal(fps(ids[0].Chain), want) {
		t.Fatalf("identities = %d, chain = %v; want 1 with %v", len(ids), fps(ids[0].Chain), want)
	}
	if len(cas) != 0 {
		t.Errorf("CAs = %v, want none (all are in the chain)", fps(cas))
	}
}

func TestKeyMatches(t *testing.T) {
	tp := newTestPKI(t)
	if !KeyMatches(tp.bob.Cert, tp.bob.Key) {
		t.Error("bob's key does not match bob's certificate")
	}
	if KeyMatches(tp.bob.Cert, tp.alice.Key) || KeyMatches(tp.alice.Cert, tp.bob.Key) {
		t.Error("a foreign key matches")
	}
	if KeyMatches(nil, tp.bob.Key) || KeyMatches(tp.bob.Cert, nil) {
		t.Error("nil matches")
	}
}
