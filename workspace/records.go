package workspace

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// A record lives in two buckets under its name: "entries" holds the summary
// List shows (summaryFormat ‖ summary, see summary.go) and "records" the
// rest (recordBody as JSON: chain, sealed key, notes). List then reads about
// 150 bytes per record instead of 1.5 KB: with both in one value, merely
// walking 10,000 records through the mmap took 25–45 ms, a third of the
// 100 ms `ls --json` budget. Every write touches both buckets in the same
// transaction.
const summaryFormat = 1

// recordBody is the part of a record List does not need.
type recordBody struct {
	Chain [][]byte `json:"chain"`
	// Key is nonce ‖ XChaCha20-Poly1305(PKCS#8 DER), see keyAAD.
	Key   []byte `json:"key,omitempty"`
	Notes string `json:"notes,omitempty"`
}

func encodeEntry(e *Entry) []byte {
	return appendSummary([]byte{summaryFormat}, e)
}

func decodeEntry(v []byte) (Entry, error) {
	if len(v) < 1 || v[0] != summaryFormat {
		return Entry{}, fmt.Errorf("record summary has an unknown format: %w", ErrCorrupt)
	}
	return parseSummary(v[1:])
}

// decodeBody decodes a record body. Its byte slices are copies (JSON
// decoding allocates), so they stay valid after the transaction.
func decodeBody(name string, v []byte) (recordBody, error) {
	var body recordBody
	if err := json.Unmarshal(v, &body); err != nil {
		return body, fmt.Errorf("record %q is unreadable (%v): %w", name, err, ErrCorrupt)
	}
	if len(body.Chain) == 0 {
		return body, fmt.Errorf("record %q has no certificate: %w", name, ErrCorrupt)
	}
	return body, nil
}

func putRecord(tx *bolt.Tx, e *Entry, body *recordBody) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return putEncoded(tx, e.Name, encodeEntry(e), b)
}

func putEncoded(tx *bolt.Tx, name string, entry, body []byte) error {
	if err := tx.Bucket(bucketEntries).Put([]byte(name), entry); err != nil {
		return fmt.Errorf("store `%s`: %w", name, err)
	}
	if err := tx.Bucket(bucketRecords).Put([]byte(name), body); err != nil {
		return fmt.Errorf("store `%s`: %w", name, err)
	}
	return nil
}

func deleteRecord(tx *bolt.Tx, name string) error {
	if err := tx.Bucket(bucketEntries).Delete([]byte(name)); err != nil {
		return err
	}
	return tx.Bucket(bucketRecords).Delete([]byte(name))
}

func getRecord(tx *bolt.Tx, name string) (Entry, recordBody, error) {
	ev := tx.Bucket(bucketEntries).Get([]byte(name))
	bv := tx.Bucket(bucketRecords).Get([]byte(name))
	if ev == nil && bv == nil {
		return Entry{}, recordBody{}, &NotFoundError{What: "CA or identity", Name: name}
	}
	if ev == nil || bv == nil {
		return Entry{}, recordBody{}, fmt.Errorf("record %q is half missing: %w", name, ErrCorrupt)
	}
	e, err := decodeEntry(ev)
	if err != nil {
		return e, recordBody{}, fmt.Errorf("record %q: %w", name, err)
	}
	body, err := decodeBody(name, bv)
	return e, body, err
}

// forEachRecord calls fn for every record of kind (any kind when empty), in
// name order.
func forEachRecord(tx *bolt.Tx, kind Kind, fn func(e Entry, body recordBody) error) error {
	rb := tx.Bucket(bucketRecords)
	return tx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
		e, err := decodeEntry(v)
		if err != nil {
			return fmt.Errorf("record %q: %w", k, err)
		}
		if kind != "" && e.Kind != kind {
			return nil
		}
		bv := rb.Get(k)
		if bv == nil {
			return fmt.Errorf("record %q is half missing: %w", k, ErrCorrupt)
		}
		body, err := decodeBody(e.Name, bv)
		if err != nil {
			return err
		}
		return fn(e, body)
	})
}

func parseChain(name string, ders [][]byte) ([]*x509.Certificate, error) {
	chain := make([]*x509.Certificate, len(ders))
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("record `%s`: certificate %d does not parse (%v): %w", name, i, err, ErrCorrupt)
		}
		chain[i] = c
	}
	return chain, nil
}

// List returns every CA and identity, sorted by name. It needs no passphrase
// and parses no certificate.
func (s *Store) List() ([]Entry, error) {
	var out []Entry
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEntries)
		// Counting first (a walk over the small summaries' pages) spares
		// growing a 10,000-entry slice by doubling.
		out = make([]Entry, 0, eb.Stats().KeyN)
		return eb.ForEach(func(k, v []byte) error {
			e, err := decodeEntry(v)
			if err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list workspace: %w", err)
	}
	return out, nil
}

// Get returns one record with its parsed chain.
func (s *Store) Get(name string) (*Record, error) {
	var (
		e    Entry
		body recordBody
	)
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		e, body, err = getRecord(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	chain, err := parseChain(name, body.Chain)
	if err != nil {
		return nil, err
	}
	return &Record{Entry: e, Chain: chain, Notes: body.Notes}, nil
}

// prepared is a NewRecord checked and encoded, ready to Put.
type prepared struct {
	name  string
	kind  Kind
	fp    []byte
	entry []byte
	body  []byte
	label string // the certificate, for DuplicateError
}

// Add stores recs in one transaction: either all of them are added or, on
// any error, none and the file is unchanged. keys may be nil when no record
// carries a private key, or when the workspace has no passphrase.
func (s *Store) Add(keys *Keys, recs []NewRecord) error {
	if len(recs) == 0 {
		return nil
	}
	needKeys := slices.ContainsFunc(recs, func(r NewRecord) bool { return r.Key != nil })
	if needKeys && keys == nil {
		if s.Encrypted() {
			return fmt.Errorf("add: %w", ErrLocked)
		}
		var err error
		if keys, err = s.Unlock(nil); err != nil {
			return fmt.Errorf("add: %w", err)
		}
		defer keys.Lock()
	}
	// Everything costly (encoding, sealing) happens before the file is
	// opened, so the lock is held only for the lookups and puts.
	now := time.Now().UTC().Truncate(time.Second)
	preps := make([]prepared, 0, len(recs))
	names := make(map[string]int, len(recs))
	fps := make(map[string]int, len(recs))
	for i := range recs {
		p, err := s.prepare(keys, &recs[i], now)
		if err != nil {
			return fmt.Errorf("add `%s`: %w", safetext.Line(recs[i].Name), err)
		}
		if j, ok := names[p.name]; ok {
			return fmt.Errorf("add: records %d and %d have the same name: %w", j+1, i+1, &NameTakenError{Name: p.name})
		}
		if j, ok := fps[string(p.fp)]; ok {
			return &DuplicateError{Name: p.name, Existing: preps[j].name, Subject: p.label, SameBatch: true}
		}
		names[p.name] = i
		fps[string(p.fp)] = i
		preps = append(preps, p)
	}
	// Sorted keys fill bbolt's pages in order, which makes large batches
	// markedly cheaper to commit.
	slices.SortFunc(preps, func(a, b prepared) int { return strings.Compare(a.name, b.name) })
	growth := 0
	for _, p := range preps {
		growth += 2*len(p.name) + len(p.entry) + len(p.body) + len(p.fp) + 64
	}
	return s.updateGrowing(growth, func(tx *bolt.Tx) error {
		if !bytes.Equal(tx.Bucket(bucketMeta).Get(metaID), s.workspaceID) {
			return fmt.Errorf("add: %s was replaced by another workspace; open it again", s.path)
		}
		eb, rb, fb := tx.Bucket(bucketEntries), tx.Bucket(bucketRecords), tx.Bucket(bucketFingerprints)
		eb.FillPercent, rb.FillPercent, fb.FillPercent = 0.9, 0.9, 0.9
		for _, p := range preps {
			if eb.Get([]byte(p.name)) != nil || rb.Get([]byte(p.name)) != nil {
				return &NameTakenError{Name: p.name}
			}
			if existing := fb.Get(p.fp); existing != nil {
				return &DuplicateError{Name: p.name, Existing: string(existing), Subject: p.label}
			}
			if err := putEncoded(tx, p.name, p.entry, p.body); err != nil {
				return err
			}
			if err := fb.Put(p.fp, []byte(p.name)); err != nil {
				return fmt.Errorf("add `%s`: %w", p.name, err)
			}
		}
		return nil
	})
}

func (s *Store) prepare(keys *Keys, r *NewRecord, now time.Time) (prepared, error) {
	if err := ValidateName(r.Name); err != nil {
		return prepared{}, err
	}
	if len(r.Chain) == 0 || slices.Contains(r.Chain, nil) {
		return prepared{}, errors.New("no certificate given")
	}
	switch r.Kind {
	case KindCA:
		if len(r.Chain) != 1 {
			return prepared{}, fmt.Errorf("a CA record holds one certificate, got %d; add each CA on its own", len(r.Chain))
		}
	case KindIdentity:
		if r.Key == nil && !r.AwaitingKey {
			return prepared{}, errors.New("an identity needs its private key; give the key with the certificate")
		}
	default:
		return prepared{}, fmt.Errorf("unknown record kind %q", r.Kind)
	}
	leaf := r.Chain[0]
	if r.Key != nil {
		pub, ok := r.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(leaf.PublicKey) {
			return prepared{}, errors.New("the private key does not belong to the certificate; pair each certificate with its own key")
		}
	}
	sum := sha256.Sum256(leaf.Raw)
	e := Entry{
		Kind:       r.Kind,
		Name:       r.Name,
		SubjectCN:  displayName(leaf.Subject.CommonName, leaf.Subject.String()),
		IssuerCN:   displayName(leaf.Issuer.CommonName, leaf.Issuer.String()),
		NotBefore:  leaf.NotBefore.UTC(),
		NotAfter:   leaf.NotAfter.UTC(),
		KeyType:    pki.DescribeKey(leaf.PublicKey),
		SHA256:     hex.EncodeToString(sum[:]),
		HasKey:     r.Key != nil,
		ClientAuth: allowsClientAuth(leaf),
		SelfSigned: selfSigned(leaf),
		Labels:     safetext.Lines(r.Labels),
		Source:     safetext.Line(r.Source),
		Added:      now,
	}
	body := recordBody{Notes: r.Notes, Chain: make([][]byte, len(r.Chain))}
	for i, c := range r.Chain {
		body.Chain[i] = c.Raw
	}
	if r.Key != nil {
		aead, err := keys.recordAEAD(s.workspaceID)
		if err != nil {
			return prepared{}, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(r.Key)
		if err != nil {
			return prepared{}, fmt.Errorf("encode the private key: %w", err)
		}
		body.Key, err = sealWith(aead, der, keyAAD(sum[:]))
		clear(der)
		if err != nil {
			return prepared{}, fmt.Errorf("encrypt the private key: %w", err)
		}
	}
	b, err := json.Marshal(&body)
	if err != nil {
		return prepared{}, err
	}
	return prepared{name: r.Name, kind: r.Kind, fp: sum[:], entry: encodeEntry(&e), body: b, label: e.SubjectCN}, nil
}

// displayName is the CN, or the whole DN when there is no CN, made safe to
// print: it comes from a certificate anyone could have made.
func displayName(cn, dn string) string {
	if cn == "" {
		cn = dn
	}
	return safetext.Line(cn)
}

func allowsClientAuth(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// selfSigned checks the signature with the certificate's own key rather than
// CheckSignatureFrom, which insists the parent be a CA and so misses
// self-signed leaves (RFC 8705 self_signed_tls_client_auth).
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// Signer decrypts the private key of record name (an identity, or a CA
// mtlswb created).
func (s *Store) Signer(keys *Keys, name string) (crypto.Signer, error) {
	signer, _, err := s.signerAndChain(keys, name)
	return signer, err
}

func (s *Store) signerAndChain(keys *Keys, name string) (crypto.Signer, recordBody, error) {
	var (
		e    Entry
		body recordBody
	)
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		e, body, err = getRecord(tx, name)
		return err
	})
	if err != nil {
		return nil, body, err
	}
	signer, err := s.openKey(keys, &e, &body)
	return signer, body, err
}

func (s *Store) openKey(keys *Keys, e *Entry, body *recordBody) (crypto.Signer, error) {
	if len(body.Key) == 0 {
		return nil, fmt.Errorf("`%s`: %w; import its key or use another record", e.Name, ErrNoKey)
	}
	if keys == nil && !s.Encrypted() {
		var err error
		if keys, err = s.Unlock(nil); err != nil {
			return nil, err
		}
		defer keys.Lock()
	}
	aead, err := keys.recordAEAD(s.workspaceID)
	if err != nil {
		return nil, fmt.Errorf("private key of `%s`: %w", e.Name, err)
	}
	fp := sha256.Sum256(body.Chain[0])
	der, err := openSealed(aead, body.Key, keyAAD(fp[:]))
	if err != nil {
		return nil, fmt.Errorf("private key of `%s` does not decrypt (the record was altered or belongs to another workspace): %w", e.Name, ErrCorrupt)
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("private key of `%s` does not parse: %w", e.Name, ErrCorrupt)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of `%s` is a %T, which cannot sign", e.Name, k)
	}
	return signer, nil
}

// TLSCertificate is record name's chain and decrypted key, ready for
// tls.Config; Leaf is set.
func (s *Store) TLSCertificate(keys *Keys, name string) (*tls.Certificate, error) {
	signer, body, err := s.signerAndChain(keys, name)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(body.Chain[0])
	if err != nil {
		return nil, fmt.Errorf("record `%s`: certificate does not parse (%v): %w", name, err, ErrCorrupt)
	}
	return &tls.Certificate{Certificate: body.Chain, PrivateKey: signer, Leaf: leaf}, nil
}

// Rename gives record old the name new. Sealed keys are bound to the
// certificate, not the name, so they need no re-encryption.
func (s *Store) Rename(old, new string) error {
	if err := ValidateName(new); err != nil {
		return fmt.Errorf("rename `%s`: %w", safetext.Line(old), err)
	}
	if old == new {
		_, err := s.Get(old)
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		e, body, err := getRecord(tx, old)
		if err != nil {
			return err
		}
		if tx.Bucket(bucketEntries).Get([]byte(new)) != nil || tx.Bucket(bucketRecords).Get([]byte(new)) != nil {
			return &NameTakenError{Name: new}
		}
		if err := deleteRecord(tx, old); err != nil {
			return err
		}
		e.Name = new
		if err := putRecord(tx, &e, &body); err != nil {
			return err
		}
		fp := sha256.Sum256(body.Chain[0])
		if err := tx.Bucket(bucketFingerprints).Put(fp[:], []byte(new)); err != nil {
			return err
		}
		return renameInProfiles(tx, old, new)
	})
}

// Remove deletes record name. A CA that issued identities still present is
// kept unless force is set: removing it would silently break VerifyChain and
// the trust choices made with it. The pages that held the record, its
// sealed key included, are overwritten (see purge.go).
func (s *Store) Remove(name string, force bool) error {
	return s.updateScrubbing(func(tx *bolt.Tx) error {
		e, body, err := getRecord(tx, name)
		if err != nil {
			return err
		}
		if e.Kind == KindCA && !force {
			issued, err := issuedBy(tx, body.Chain[0])
			if err != nil {
				return err
			}
			if len(issued) > 0 {
				return &InUseError{CA: name, Identities: issued}
			}
		}
		if !force {
			users, err := profilesUsing(tx, name)
			if err != nil {
				return err
			}
			if len(users) > 0 {
				return &ProfileUseError{Name: name, Profiles: users}
			}
		}
		fp := sha256.Sum256(body.Chain[0])
		if err := deleteRecord(tx, name); err != nil {
			return err
		}
		return tx.Bucket(bucketFingerprints).Delete(fp[:])
	})
}

// issuedBy names the identities whose chain holds a certificate signed by ca
// (or ca itself). Names alone are not enough: two dev CAs often share a
// subject, so the signature decides.
func issuedBy(tx *bolt.Tx, caDER []byte) ([]string, error) {
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("CA certificate does not parse: %w", ErrCorrupt)
	}
	var names []string
	err = forEachRecord(tx, KindIdentity, func(e Entry, body recordBody) error {
		for _, der := range body.Chain {
			if bytes.Equal(der, caDER) {
				names = append(names, e.Name)
				return nil
			}
			// A certificate the CA signed carries the CA's subject as its
			// issuer; the byte search spares parsing every other chain.
			if !bytes.Contains(der, ca.RawSubject) {
				continue
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				continue
			}
			if bytes.Equal(c.RawIssuer, ca.RawSubject) && ca.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
				names = append(names, e.Name)
				return nil
			}
		}
		return nil
	})
	return names, err
}

// VerifyChain reports whether record name's chain leads to one of the
// workspace's CAs. detail says how, or why not, in words safe to print.
func (s *Store) VerifyChain(name string) (ok bool, detail string, err error) {
	var (
		e      Entry
		chain  []*x509.Certificate
		roots  = x509.NewCertPool()
		caName = map[string]string{} // leaf sha256 hex -> name
	)
	err = s.view(func(tx *bolt.Tx) error {
		var body recordBody
		var err error
		if e, body, err = getRecord(tx, name); err != nil {
			return err
		}
		if chain, err = parseChain(name, body.Chain); err != nil {
			return err
		}
		return forEachRecord(tx, KindCA, func(ce Entry, cb recordBody) error {
			c, err := x509.ParseCertificate(cb.Chain[0])
			if err != nil {
				return fmt.Errorf("CA `%s`: certificate does not parse: %w", ce.Name, ErrCorrupt)
			}
			roots.AddCert(c)
			caName[ce.SHA256] = ce.Name
			return nil
		})
	})
	if err != nil {
		return false, "", err
	}
	if e.Kind == KindCA {
		return true, fmt.Sprintf("`%s` is a CA of this workspace: it is trusted as it is", e.Name), nil
	}
	if len(caName) == 0 {
		return false, "the workspace holds no CA to verify against; import the CA that issued it", nil
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	chains, verr := chain[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		// Usage is judged separately (Entry.ClientAuth); here the question
		// is only whether the signatures lead to a workspace CA.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if verr != nil {
		return false, safetext.Line(verr.Error()), nil
	}
	links := make([]string, 0, len(chains[0]))
	for _, c := range chains[0] {
		sum := sha256.Sum256(c.Raw)
		l := displayName(c.Subject.CommonName, c.Subject.String())
		if n, ok := caName[hex.EncodeToString(sum[:])]; ok {
			l += fmt.Sprintf(" (CA `%s`)", n)
		}
		links = append(links, l)
	}
	return true, "verifies: " + strings.Join(links, " ← "), nil
}
