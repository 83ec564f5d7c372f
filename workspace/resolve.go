package workspace

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Resolve turns a request described by workspace names into an engine
// request: the identity's chain and decrypted key, the named CAs as roots,
// and every other identity and CA as candidates for the diagnosis. keys is
// needed only when spec names an identity.
func (s *Store) Resolve(keys *Keys, spec RequestSpec) (tlsengine.Request, error) {
	req, err := spec.Request()
	if err != nil {
		return tlsengine.Request{}, err
	}
	var identity *Entry
	var identityBody recordBody
	trusted := make(map[string]bool, len(spec.CAs))
	err = s.view(func(tx *bolt.Tx) error {
		if spec.Identity != "" {
			e, body, err := getRecord(tx, spec.Identity)
			if err != nil {
				return identityNotFound(err, spec.Identity)
			}
			if e.Kind != KindIdentity {
				return fmt.Errorf("`%s` is a CA, not an identity; pick an identity to present", safetext.Line(spec.Identity))
			}
			identity, identityBody = &e, body
		}
		for _, name := range spec.CAs {
			if trusted[name] {
				continue
			}
			e, body, err := getRecord(tx, name)
			if err != nil {
				var nf *NotFoundError
				if errors.As(err, &nf) {
					return &NotFoundError{What: "CA", Name: name}
				}
				return err
			}
			// A certificate awaiting its key (a server's, imported alone)
			// may be trusted as itself: a pinned server certificate.
			if e.Kind != KindCA && e.HasKey {
				return fmt.Errorf("`%s` is an identity, not a CA; trust a CA instead", safetext.Line(name))
			}
			c, err := x509.ParseCertificate(body.Chain[0])
			if err != nil {
				return fmt.Errorf("CA `%s`: certificate does not parse: %w", name, ErrCorrupt)
			}
			trusted[name] = true
			req.Roots = append(req.Roots, c)
			req.RootNames = append(req.RootNames, name)
		}
		// Candidates and KnownCAs need public data only, so they are
		// filled even on a locked workspace.
		return forEachRecord(tx, "", func(e Entry, body recordBody) error {
			if e.Kind == KindCA && trusted[e.Name] {
				return nil
			}
			chain, err := parseChain(e.Name, body.Chain)
			if err != nil {
				return err
			}
			nc := tlsengine.NamedChain{Name: e.Name, Chain: chain}
			if e.Kind == KindCA {
				req.KnownCAs = append(req.KnownCAs, nc)
			} else {
				req.Candidates = append(req.Candidates, nc)
			}
			return nil
		})
	})
	if err != nil {
		return tlsengine.Request{}, fmt.Errorf("resolve request: %w", err)
	}
	if identity != nil {
		signer, err := s.openKey(keys, identity, &identityBody)
		if err != nil {
			return tlsengine.Request{}, fmt.Errorf("resolve request: %w", err)
		}
		leaf, err := x509.ParseCertificate(identityBody.Chain[0])
		if err != nil {
			return tlsengine.Request{}, fmt.Errorf("resolve request: identity `%s`: certificate does not parse: %w", identity.Name, ErrCorrupt)
		}
		req.ClientCert = &tls.Certificate{Certificate: identityBody.Chain, PrivateKey: signer, Leaf: leaf}
		req.ClientName = identity.Name
	}
	return req, nil
}

func identityNotFound(err error, name string) error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return &NotFoundError{What: "identity", Name: name}
	}
	return err
}
