package workspace

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
)

func TestAddGetEntry(t *testing.T) {
	f := newFixture(t, true)
	rec, err := f.s.Get("joe")
	if err != nil {
		t.Fatal(err)
	}
	e := rec.Entry
	if e.Kind != KindIdentity || e.Name != "joe" || e.SubjectCN != "joe" || e.IssuerCN != "Dev Root" ||
		e.KeyType != "ec-p256" || !e.HasKey || !e.ClientAuth || e.SelfSigned || e.Source != "test" {
		t.Fatalf("entry = %+v", e)
	}
	if !e.NotAfter.Equal(f.joe.Cert.NotAfter) || e.Added.IsZero() || len(e.SHA256) != 64 {
		t.Fatalf("entry dates/fingerprint = %+v", e)
	}
	if len(rec.Chain) != 2 || !rec.Chain[0].Equal(f.joe.Cert) || !rec.Chain[1].Equal(f.root.Cert) {
		t.Fatal("chain did not round-trip")
	}
	ca, err := f.s.Get("devroot")
	if err != nil {
		t.Fatal(err)
	}
	if ca.Kind != KindCA || !ca.SelfSigned || !ca.HasKey {
		t.Fatalf("CA entry = %+v", ca.Entry)
	}
	if _, err := f.s.Get("nobody"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("Get(missing) = %v", err)
	}
}

func TestTLSCertificate(t *testing.T) {
	f := newFixture(t, true)
	c, err := f.s.TLSCertificate(f.keys, "joe")
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf == nil || !c.Leaf.Equal(f.joe.Cert) || len(c.Certificate) != 2 {
		t.Fatalf("certificate = leaf %v, %d certs", c.Leaf, len(c.Certificate))
	}
	// The pair must be usable as is: tls checks key and leaf match.
	if _, err := tls.X509KeyPair(pemChain(c.Certificate), pemKey(t, c.PrivateKey)); err != nil {
		t.Fatalf("key and chain do not form a pair: %v", err)
	}
}

func TestEntryFlags(t *testing.T) {
	root := mustRoot(t, "Root")
	tests := map[string]struct {
		spec       pki.Spec
		selfSigned bool
		clientAuth bool
	}{
		"client EKU":       {spec: pki.Spec{CN: "c", Client: true}, clientAuth: true},
		"server EKU only":  {spec: pki.Spec{CN: "s", Server: true}, clientAuth: false},
		"any EKU":          {spec: pki.Spec{CN: "a", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}, clientAuth: true},
		"no EKU":           {spec: pki.Spec{CN: "n"}, clientAuth: true},
		"self-signed leaf": {spec: pki.Spec{CN: "self", Client: true}, selfSigned: true, clientAuth: true},
		"rsa":              {spec: pki.Spec{CN: "r", Client: true, Key: pki.RSA2048}, clientAuth: true},
	}
	s, keys := newStore(t, true)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var p pki.Pair
			var err error
			if tc.selfSigned {
				p, err = pki.NewRoot(tc.spec)
			} else {
				p, err = root.Issue(tc.spec)
			}
			if err != nil {
				t.Fatal(err)
			}
			recName := strings.ReplaceAll(name, " ", "-")
			if err := s.Add(keys, []NewRecord{identityRecord(recName, p)}); err != nil {
				t.Fatal(err)
			}
			rec, err := s.Get(recName)
			if err != nil {
				t.Fatal(err)
			}
			if rec.SelfSigned != tc.selfSigned || rec.ClientAuth != tc.clientAuth || rec.KeyType != pki.DescribeKey(p.Cert.PublicKey) {
				t.Fatalf("entry = %+v", rec.Entry)
			}
		})
	}
}

func TestHostileCertificateTextIsSanitized(t *testing.T) {
	s, keys := newStore(t, true)
	p, err := pki.NewRoot(pki.Spec{CN: "evil\x1b]52;c;AAAA\a\u202e", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := identityRecord("evil", p)
	rec.Source = "file\x1b[2J.pem"
	if err := s.Add(keys, []NewRecord{rec}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{list[0].SubjectCN, list[0].IssuerCN, list[0].Source} {
		if strings.ContainsAny(field, "\x1b\a\u202e") {
			t.Errorf("unsanitized text in entry: %q", field)
		}
	}
}

func TestAddAllOrNothing(t *testing.T) {
	f := newFixture(t, true)
	other := mustRoot(t, "Other Root")
	amy := mustIssue(t, f.root, clientSpec("amy"))
	bob := mustIssue(t, f.root, clientSpec("bob"))
	good := identityRecord("amy", amy, f.root.Cert)
	tests := map[string]struct {
		recs  []NewRecord
		check func(error) bool
	}{
		"duplicate of a stored certificate": {
			recs: []NewRecord{good, identityRecord("joe-again", f.joe)},
			check: func(err error) bool {
				var d *DuplicateError
				return errors.As(err, &d) && d.Existing == "joe" && d.Name == "joe-again" && strings.Contains(err.Error(), "already in the workspace as `joe`")
			},
		},
		"duplicate within the batch": {
			recs: []NewRecord{good, identityRecord("amy2", amy)},
			check: func(err error) bool {
				var d *DuplicateError
				return errors.As(err, &d) && d.Existing == "amy" && d.SameBatch && strings.Contains(err.Error(), "given twice")
			},
		},
		"name taken by a stored record": {
			recs:  []NewRecord{good, identityRecord("joe", bob)},
			check: func(err error) bool { var n *NameTakenError; return errors.As(err, &n) && n.Name == "joe" },
		},
		"name twice in the batch": {
			recs:  []NewRecord{good, identityRecord("amy", bob)},
			check: func(err error) bool { var n *NameTakenError; return errors.As(err, &n) && n.Name == "amy" },
		},
		"key of another certificate": {
			recs:  []NewRecord{good, {Kind: KindIdentity, Name: "bob", Chain: []*x509.Certificate{bob.Cert}, Key: amy.Key}},
			check: func(err error) bool { return err != nil && strings.Contains(err.Error(), "does not belong") },
		},
		"identity without key": {
			recs:  []NewRecord{good, {Kind: KindIdentity, Name: "bob", Chain: []*x509.Certificate{bob.Cert}}},
			check: func(err error) bool { return err != nil && strings.Contains(err.Error(), "needs its private key") },
		},
		"CA with a chain": {
			recs:  []NewRecord{good, {Kind: KindCA, Name: "o", Chain: []*x509.Certificate{other.Cert, f.root.Cert}}},
			check: func(err error) bool { return err != nil && strings.Contains(err.Error(), "one certificate") },
		},
		"bad name": {
			recs:  []NewRecord{good, identityRecord("bad name\x1b", bob)},
			check: func(err error) bool { return err != nil },
		},
		"no certificate": {
			recs:  []NewRecord{good, {Kind: KindCA, Name: "empty"}},
			check: func(err error) bool { return err != nil && strings.Contains(err.Error(), "no certificate") },
		},
		"unknown kind": {
			recs:  []NewRecord{good, {Kind: "server", Name: "srv", Chain: []*x509.Certificate{other.Cert}}},
			check: func(err error) bool { return err != nil && strings.Contains(err.Error(), "unknown record kind") },
		},
	}
	before, err := f.s.List()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var err error
			requireUnchanged(t, f.s.Path(), func() { err = f.s.Add(f.keys, tc.recs) })
			if !tc.check(err) {
				t.Fatalf("Add = %v", err)
			}
			after, _ := f.s.List()
			if !reflect.DeepEqual(before, after) {
				t.Fatal("List changed after a failed Add")
			}
		})
	}
	if err := f.s.Add(f.keys, []NewRecord{good}); err != nil {
		t.Fatalf("the good record alone: %v", err)
	}
}

func TestListSortedWithoutPassphrase(t *testing.T) {
	f := newFixture(t, true)
	root := f.root
	if err := f.s.Add(f.keys, []NewRecord{
		identityRecord("zed", mustIssue(t, root, clientSpec("zed"))),
		identityRecord("abe", mustIssue(t, root, clientSpec("abe"))),
		caRecord("mid", mustRoot(t, "Mid"), false),
	}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(f.s.Path()) // a fresh Store, never unlocked
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name)
	}
	if want := []string{"abe", "devroot", "joe", "mid", "zed"}; !slices.Equal(names, want) {
		t.Fatalf("List names = %v, want %v", names, want)
	}
}

func TestRemove(t *testing.T) {
	f := newFixture(t, true)
	// A second CA with the same subject but another key did not issue joe.
	twin := mustRoot(t, "Dev Root")
	if err := f.s.Add(nil, []NewRecord{caRecord("twin", twin, false)}); err != nil {
		t.Fatal(err)
	}
	var err error
	requireUnchanged(t, f.s.Path(), func() { err = f.s.Remove("devroot", false) })
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.CA != "devroot" || !slices.Equal(inUse.Identities, []string{"joe"}) {
		t.Fatalf("Remove(in-use CA) = %v", err)
	}
	if err := f.s.Remove("twin", false); err != nil {
		t.Fatalf("Remove of a same-named CA that issued nothing: %v", err)
	}
	requireUnchanged(t, f.s.Path(), func() { err = f.s.Remove("nobody", false) })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove(missing) = %v", err)
	}
	if err := f.s.Remove("joe", false); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Remove("devroot", false); err != nil {
		t.Fatalf("Remove of a CA whose identities are gone: %v", err)
	}
	// The fingerprints went too: the same certificates can come back.
	if err := f.s.Add(f.keys, []NewRecord{caRecord("devroot", f.root, true), identityRecord("joe", f.joe, f.root.Cert)}); err != nil {
		t.Fatalf("re-adding removed certificates: %v", err)
	}
	if err := f.s.Remove("devroot", true); err != nil {
		t.Fatalf("forced Remove: %v", err)
	}
	if _, err := f.s.Signer(f.keys, "joe"); err != nil {
		t.Fatalf("identity after its CA was force-removed: %v", err)
	}
}

func TestRename(t *testing.T) {
	f := newFixture(t, true)
	if err := f.s.Rename("joe", "joseph"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Get("joe"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name still there: %v", err)
	}
	signer, err := f.s.Signer(f.keys, "joseph")
	if err != nil {
		t.Fatalf("key after rename: %v", err)
	}
	if !reflect.DeepEqual(signer.Public(), f.joe.Key.Public()) {
		t.Fatal("key after rename differs")
	}
	var dup *DuplicateError
	if err := f.s.Add(f.keys, []NewRecord{identityRecord("again", f.joe)}); !errors.As(err, &dup) || dup.Existing != "joseph" {
		t.Fatalf("fingerprint index not renamed: %v", err)
	}
	requireUnchanged(t, f.s.Path(), func() {
		var taken *NameTakenError
		if err := f.s.Rename("joseph", "devroot"); !errors.As(err, &taken) {
			t.Fatalf("Rename onto a taken name = %v", err)
		}
		if err := f.s.Rename("joseph", "bad name"); err == nil {
			t.Fatal("Rename to an invalid name succeeded")
		}
	})
}

// TestSwappedKeyCiphertextFails moves joe's sealed key into amy's record:
// the AAD binds each ciphertext to its certificate, so it must not open.
func TestSwappedKeyCiphertextFails(t *testing.T) {
	f := newFixture(t, true)
	amy := mustIssue(t, f.root, clientSpec("amy"))
	if err := f.s.Add(f.keys, []NewRecord{identityRecord("amy", amy)}); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(f.s.Path(), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, joeBody, err := getRecord(tx, "joe")
		if err != nil {
			return err
		}
		amyEntry, amyBody, err := getRecord(tx, "amy")
		if err != nil {
			return err
		}
		amyBody.Key = joeBody.Key
		return putRecord(tx, &amyEntry, &amyBody)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Signer(f.keys, "amy"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Signer with a swapped ciphertext = %v, want ErrCorrupt", err)
	}
	if _, err := f.s.Signer(f.keys, "joe"); err != nil {
		t.Fatalf("joe's own key: %v", err)
	}
}

func TestSignerErrors(t *testing.T) {
	f := newFixture(t, true)
	if err := f.s.Add(nil, []NewRecord{caRecord("keyless", mustRoot(t, "Keyless"), false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Signer(f.keys, "keyless"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Signer(keyless CA) = %v", err)
	}
	if _, err := f.s.Signer(f.keys, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Signer(missing) = %v", err)
	}
	// A CA made by mtlswb can sign (issue.go relies on this).
	signer, err := f.s.Signer(f.keys, "devroot")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := pki.Pair{Cert: f.root.Cert, Key: signer}.Issue(clientSpec("new"))
	if err != nil || leaf.Cert.CheckSignatureFrom(f.root.Cert) != nil {
		t.Fatalf("issuing with the decrypted CA key: %v", err)
	}
}

func TestVerifyChain(t *testing.T) {
	f := newFixture(t, true)
	inter := mustIssue(t, f.root, pki.Spec{CN: "Dev Intermediate", IsCA: true})
	viaInter := mustIssue(t, inter, clientSpec("via"))
	stranger := mustIssue(t, mustRoot(t, "Stranger Root"), clientSpec("stranger"))
	if err := f.s.Add(f.keys, []NewRecord{
		identityRecord("via", viaInter, inter.Cert),
		identityRecord("via-no-inter", mustIssue(t, inter, clientSpec("via2"))),
		identityRecord("stranger", stranger),
	}); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		ok     bool
		detail string
	}{
		"joe":          {ok: true, detail: "CA `devroot`"},
		"via":          {ok: true, detail: "via ← Dev Intermediate ← Dev Root (CA `devroot`)"},
		"via-no-inter": {ok: false, detail: "unknown authority"},
		"stranger":     {ok: false, detail: "unknown authority"},
		"devroot":      {ok: true, detail: "is a CA of this workspace"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ok, detail, err := f.s.VerifyChain(name)
			if err != nil || ok != tc.ok || !strings.Contains(detail, tc.detail) {
				t.Fatalf("VerifyChain = %v, %q, %v; want %v, ...%q...", ok, detail, err, tc.ok, tc.detail)
			}
		})
	}
	if _, _, err := f.s.VerifyChain("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("VerifyChain(missing) = %v", err)
	}
}

func TestHistory(t *testing.T) {
	s, _ := newStore(t, true)
	var ids []uint64
	for i, url := range []string{"https://a", "https://b", "https://c"} {
		id, err := s.AddHistory(HistoryEntry{URL: url, Method: "GET", OK: i%2 == 0, Report: []byte(`{"ok":true}`)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("ids not increasing: %v", ids)
	}
	all, err := s.History(0)
	if err != nil || len(all) != 3 || all[0].URL != "https://c" || all[2].URL != "https://a" || all[0].At.IsZero() {
		t.Fatalf("History(0) = %+v, %v", all, err)
	}
	two, _ := s.History(2)
	if len(two) != 2 || two[0].ID != ids[2] {
		t.Fatalf("History(2) = %+v", two)
	}
	item, err := s.HistoryItem(ids[1])
	if err != nil || item.URL != "https://b" || string(item.Report) != `{"ok":true}` {
		t.Fatalf("HistoryItem = %+v, %v", item, err)
	}
	if _, err := s.HistoryItem(999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("HistoryItem(missing) = %v", err)
	}
	if err := s.ClearHistory(); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.History(0); len(h) != 0 {
		t.Fatalf("history after clear: %d entries", len(h))
	}
	id, err := s.AddHistory(HistoryEntry{URL: "https://d"})
	if err != nil || id <= ids[2] {
		t.Fatalf("id after clear = %d, %v; want > %d", id, err, ids[2])
	}
}

func TestSavedRequests(t *testing.T) {
	s, _ := newStore(t, true)
	for _, r := range []SavedRequest{
		{Name: "zeta", Spec: []byte(`{"url":"https://z"}`)},
		{Name: "alpha", Spec: []byte(`{"url":"https://a"}`)},
		{Name: "zeta", Spec: []byte(`{"url":"https://z2"}`)},
	} {
		if err := s.SaveRequest(r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SavedRequests()
	if err != nil || len(got) != 2 || got[0].Name != "alpha" || string(got[1].Spec) != `{"url":"https://z2"}` || got[1].Saved.IsZero() {
		t.Fatalf("SavedRequests = %+v, %v", got, err)
	}
	if err := s.DeleteSavedRequest("alpha"); err != nil {
		t.Fatal(err)
	}
	requireUnchanged(t, s.Path(), func() {
		if err := s.DeleteSavedRequest("alpha"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete = %v", err)
		}
		if err := s.SaveRequest(SavedRequest{Name: ""}); err == nil {
			t.Fatal("empty name accepted")
		}
	})
}

func TestResolve(t *testing.T) {
	f := newFixture(t, true)
	other := mustRoot(t, "Other Root")
	amy := mustIssue(t, other, clientSpec("amy"))
	if err := f.s.Add(f.keys, []NewRecord{caRecord("other", other, false), identityRecord("amy", amy, other.Cert)}); err != nil {
		t.Fatal(err)
	}
	req, err := f.s.Resolve(f.keys, RequestSpec{
		URL: "https://127.0.0.1:8443/x", Headers: []string{"X-A: 1", "Accept:  text/plain "}, Body: "hi",
		Identity: "joe", CAs: []string{"devroot"}, TLSMin: "1.2", TLSMax: "1.3", Timeout: "3s",
	})
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost || string(req.Body) != "hi" || req.Header.Get("Accept") != "text/plain" || req.Header.Get("X-A") != "1" {
		t.Fatalf("method/body/headers = %s %q %v", req.Method, req.Body, req.Header)
	}
	if req.MinVersion != tls.VersionTLS12 || req.MaxVersion != tls.VersionTLS13 || req.Timeout != 3*time.Second {
		t.Fatalf("versions/timeout = %x %x %v", req.MinVersion, req.MaxVersion, req.Timeout)
	}
	if req.ClientCert == nil || req.ClientCert.Leaf == nil || !req.ClientCert.Leaf.Equal(f.joe.Cert) || req.ClientName != "joe" || req.ClientCert.PrivateKey == nil {
		t.Fatalf("client cert = %+v (%s)", req.ClientCert, req.ClientName)
	}
	if len(req.Roots) != 1 || !req.Roots[0].Equal(f.root.Cert) || !slices.Equal(req.RootNames, []string{"devroot"}) {
		t.Fatalf("roots = %v", req.RootNames)
	}
	if names := chainNames(req.Candidates); !slices.Equal(names, []string{"amy", "joe"}) {
		t.Fatalf("candidates = %v", names)
	}
	if names := chainNames(req.KnownCAs); !slices.Equal(names, []string{"other"}) {
		t.Fatalf("known CAs = %v", names)
	}
	if len(req.Candidates[0].Chain) != 2 {
		t.Fatalf("candidate chain has %d certificates, want 2", len(req.Candidates[0].Chain))
	}

	bad := map[string]struct {
		keys  *Keys
		spec  RequestSpec
		check func(error) bool
	}{
		"no URL":               {spec: RequestSpec{}, check: isErr},
		"bad header":           {spec: RequestSpec{URL: "https://x", Headers: []string{"no colon"}}, check: isErr},
		"bad TLS version":      {spec: RequestSpec{URL: "https://x", TLSMin: "1.1"}, check: isErr},
		"min above max":        {spec: RequestSpec{URL: "https://x", TLSMin: "1.3", TLSMax: "1.2"}, check: isErr},
		"bad timeout":          {spec: RequestSpec{URL: "https://x", Timeout: "soon"}, check: isErr},
		"unknown identity":     {spec: RequestSpec{URL: "https://x", Identity: "nobody"}, check: notFound("identity", "nobody")},
		"unknown CA":           {spec: RequestSpec{URL: "https://x", CAs: []string{"nope"}}, check: notFound("CA", "nope")},
		"CA as identity":       {spec: RequestSpec{URL: "https://x", Identity: "devroot"}, check: isErr},
		"identity as CA":       {spec: RequestSpec{URL: "https://x", CAs: []string{"joe"}}, check: isErr},
		"identity, no keys":    {spec: RequestSpec{URL: "https://x", Identity: "joe"}, check: func(err error) bool { return errors.Is(err, ErrLocked) }},
		"identity, locked key": {keys: lockedKeys(), spec: RequestSpec{URL: "https://x", Identity: "joe"}, check: func(err error) bool { return errors.Is(err, ErrLocked) }},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := f.s.Resolve(tc.keys, tc.spec); !tc.check(err) {
				t.Fatalf("Resolve = %v", err)
			}
		})
	}

	// Without an identity no keys are needed, and GET is the default.
	req, err = f.s.Resolve(nil, RequestSpec{URL: "https://x"})
	if err != nil || req.Method != http.MethodGet || req.ClientCert != nil || len(req.KnownCAs) != 2 || len(req.Candidates) != 2 {
		t.Fatalf("Resolve without identity = %s, %d known CAs, %d candidates, %v", req.Method, len(req.KnownCAs), len(req.Candidates), err)
	}
}

func isErr(err error) bool { return err != nil }

func notFound(what, name string) func(error) bool {
	return func(err error) bool {
		var nf *NotFoundError
		return errors.As(err, &nf) && nf.What == what && nf.Name == name && errors.Is(err, ErrNotFound)
	}
}

func lockedKeys() *Keys {
	k := &Keys{}
	k.Lock()
	return k
}

func chainNames(ncs []tlsengine.NamedChain) []string {
	var names []string
	for _, nc := range ncs {
		names = append(names, nc.Name)
	}
	return names
}

func pemChain(ders [][]byte) []byte {
	var out []byte
	for _, d := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
	}
	return out
}

func pemKey(tb testing.TB, key crypto.PrivateKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
