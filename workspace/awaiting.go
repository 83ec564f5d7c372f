package workspace

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// An identity awaiting its key is a leaf certificate imported without its
// private key: a CA:FALSE certificate, or one without basicConstraints that
// names clientAuth or serverAuth, is a client's or a server's, never a CA.
// It is listed as an identity (HasKey false), and a later import of the
// matching key completes it in place.

// looksLikeLeaf reports whether c is an end-entity certificate.
func looksLikeLeaf(c *x509.Certificate) bool {
	if c.BasicConstraintsValid {
		return !c.IsCA
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
}

// awaiting returns the leaf certificates of the identities awaiting their
// key, by record name.
func (s *Store) awaiting(existing []Entry) (map[string]*x509.Certificate, error) {
	out := map[string]*x509.Certificate{}
	for _, e := range existing {
		if e.Kind != KindIdentity || e.HasKey {
			continue
		}
		rec, err := s.Get(e.Name)
		if err != nil {
			return nil, err
		}
		out[e.Name] = rec.Chain[0]
	}
	return out, nil
}

// completeKeys seals each key into its identity awaiting it, in one
// transaction: all of them or none.
func (s *Store) completeKeys(keys *Keys, done map[string]crypto.Signer) error {
	if len(done) == 0 {
		return nil
	}
	aead, err := keys.recordAEAD(s.workspaceID)
	if err != nil {
		return fmt.Errorf("complete identities: %w", err)
	}
	return s.update(func(tx *bolt.Tx) error {
		for name, key := range done {
			e, body, err := getRecord(tx, name)
			if err != nil {
				return err
			}
			if e.HasKey {
				return fmt.Errorf("identity `%s` already has its key", name)
			}
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				return fmt.Errorf("encode the private key of `%s`: %w", name, err)
			}
			sum := sha256.Sum256(body.Chain[0])
			body.Key, err = sealWith(aead, der, keyAAD(sum[:]))
			clear(der)
			if err != nil {
				return fmt.Errorf("encrypt the private key of `%s`: %w", name, err)
			}
			e.HasKey = true
			b, err := json.Marshal(&body)
			if err != nil {
				return err
			}
			if err := putEncoded(tx, name, encodeEntry(&e), b); err != nil {
				return err
			}
		}
		return nil
	})
}
