package workspace

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// ChainError says why a CA cannot continue an identity's chain.
type ChainError struct {
	Identity, CA string
	Reason       string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("chain add %s %s: %s", safetext.Line(e.Identity), safetext.Line(e.CA), e.Reason)
}

// AddToChain appends CA ca's certificate to the chain identity name sends,
// where the chain must continue: ca issued the last certificate of the
// chain. A server that trusts only the CA above an intermediate needs the
// intermediate sent with the leaf. The leaf and its sealed key do not
// change (keys are bound to the leaf), so nothing is re-encrypted. A root
// is refused: servers must hold their trust anchors themselves (RFC 8446
// 4.4.2 lets a chain omit it), and sending one proves nothing.
func (s *Store) AddToChain(name, ca string) error {
	return s.update(func(tx *bolt.Tx) error {
		e, body, err := getRecord(tx, name)
		if err != nil {
			return err
		}
		if e.Kind != KindIdentity {
			return &ChainError{name, ca, "the first name must be an identity (a certificate with its key)"}
		}
		ce, cb, err := getRecord(tx, ca)
		if err != nil {
			return err
		}
		if ce.Kind != KindCA {
			return &ChainError{name, ca, "the second name must be a CA"}
		}
		chain, err := parseChain(name, body.Chain)
		if err != nil {
			return err
		}
		caCerts, err := parseChain(ca, cb.Chain[:1])
		if err != nil {
			return err
		}
		caCert, top := caCerts[0], chain[len(chain)-1]
		for _, der := range body.Chain {
			if bytes.Equal(der, caCert.Raw) {
				return &ChainError{name, ca, "the chain already carries it"}
			}
		}
		if selfSigned(caCert) {
			return &ChainError{name, ca, "it is a root (self-signed): a chain carries intermediates only, the server must trust the root itself"}
		}
		if !bytes.Equal(top.RawIssuer, caCert.RawSubject) || top.CheckSignatureFrom(caCert) != nil {
			return &ChainError{name, ca, fmt.Sprintf("it did not issue the last certificate of the chain (%s, issued by %s)",
				safetext.Line(top.Subject.String()), safetext.Line(top.Issuer.String()))}
		}
		body.Chain = append(body.Chain, append([]byte(nil), caCert.Raw...))
		return putRecord(tx, &e, &body)
	})
}
