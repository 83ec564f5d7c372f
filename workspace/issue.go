package workspace

import (
	"bytes"
	"crypto/x509"
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

// NewCA makes a CA and stores it with its sealed key, so it can issue. With
// parent empty it is a self-signed root; otherwise an intermediate signed by
// the workspace CA parent.
func (s *Store) NewCA(keys *Keys, name, parent string, spec pki.Spec) (*Entry, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	spec.IsCA = true
	var pair pki.Pair
	var err error
	if parent == "" {
		pair, err = pki.NewRoot(spec)
	} else {
		var issuer pki.Pair
		if issuer, err = s.issuer(keys, parent); err != nil {
			return nil, err
		}
		if issuer.Cert.MaxPathLenZero {
			return nil, fmt.Errorf("CA %q has path length 0, so it may issue only leaf certificates, not another CA: issue the intermediate from its parent, or make %q again with --path-len 1", parent, parent)
		}
		pair, err = issuer.Issue(spec)
	}
	if err != nil {
		return nil, err
	}
	source := "pki ca"
	if parent != "" {
		source = "pki ca --parent " + parent
	}
	if err := s.Add(keys, []NewRecord{{Kind: KindCA, Name: name, Chain: []*x509.Certificate{pair.Cert}, Key: pair.Key, Source: source}}); err != nil {
		return nil, err
	}
	return s.entry(name)
}

// Issue makes a leaf certificate signed by the workspace CA ca and stores it
// as identity name, its chain completed from the workspace's CAs.
func (s *Store) Issue(keys *Keys, ca, name string, spec pki.Spec) (*Entry, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	issuer, err := s.issuer(keys, ca)
	if err != nil {
		return nil, err
	}
	spec.IsCA = false
	pair, err := issuer.Issue(spec)
	if err != nil {
		return nil, err
	}
	chain, err := s.chainAbove(issuer.Cert)
	if err != nil {
		return nil, err
	}
	rec := NewRecord{Kind: KindIdentity, Name: name, Chain: append([]*x509.Certificate{pair.Cert}, chain...), Key: pair.Key, Source: "pki issue --ca " + ca}
	if err := s.Add(keys, []NewRecord{rec}); err != nil {
		return nil, err
	}
	return s.entry(name)
}

// SelfSigned makes a self-signed leaf (RFC 8705 self_signed_tls_client_auth)
// and stores it as identity name.
func (s *Store) SelfSigned(keys *Keys, name string, spec pki.Spec) (*Entry, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	spec.IsCA = false
	pair, err := pki.NewRoot(spec)
	if err != nil {
		return nil, err
	}
	rec := NewRecord{Kind: KindIdentity, Name: name, Chain: []*x509.Certificate{pair.Cert}, Key: pair.Key, Source: "pki self-signed"}
	if err := s.Add(keys, []NewRecord{rec}); err != nil {
		return nil, err
	}
	return s.entry(name)
}

// issuer loads a workspace CA with its key.
func (s *Store) issuer(keys *Keys, name string) (pki.Pair, error) {
	rec, err := s.Get(name)
	if err != nil {
		return pki.Pair{}, err
	}
	if rec.Kind != KindCA {
		return pki.Pair{}, fmt.Errorf("%q is an identity, not a CA: name a CA from `mtlswb ls`", name)
	}
	if !rec.HasKey {
		return pki.Pair{}, fmt.Errorf("CA %q has no private key in the workspace (it was imported), so it cannot issue: make a CA with `mtlswb pki ca`", name)
	}
	key, err := s.Signer(keys, name)
	if err != nil {
		return pki.Pair{}, err
	}
	return pki.Pair{Cert: rec.Chain[0], Key: key}, nil
}

// chainAbove returns cert followed by its issuers found among the workspace's
// CAs, up to a self-signed root or the first issuer the workspace lacks.
func (s *Store) chainAbove(cert *x509.Certificate) ([]*x509.Certificate, error) {
	entries, err := s.List()
	if err != nil {
		return nil, err
	}
	var cas []*x509.Certificate
	for _, e := range entries {
		if e.Kind != KindCA {
			continue
		}
		rec, err := s.Get(e.Name)
		if err != nil {
			return nil, err
		}
		cas = append(cas, rec.Chain[0])
	}
	chain := []*x509.Certificate{cert}
	for cur := cert; len(chain) < 10; {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) {
			break
		}
		var next *x509.Certificate
		for _, ca := range cas {
			if bytes.Equal(ca.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(ca) == nil {
				next = ca
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain, nil
}

func (s *Store) entry(name string) (*Entry, error) {
	rec, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	return &rec.Entry, nil
}
