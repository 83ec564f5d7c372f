package workspace

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/certfile"
)

// ImportOptions shapes an import. Name names the imported identity (with a
// numeric suffix when several are imported); As forces every certificate to
// be stored as a CA or requires every one to be an identity.
type ImportOptions struct {
	Name string
	As   Kind
	// Unlock, when Import is given no keys, is called for them only if a
	// record to store carries a private key: importing certificates alone
	// never asks for the passphrase.
	Unlock func() (*Keys, error)
}

// maxImportFiles bounds a directory walk so a mistaken `import ~` does not
// read a whole home directory.
const maxImportFiles = 100_000

// Import reads every file (directories are walked, hidden entries skipped),
// pairs keys with their certificates and stores the result in one
// transaction: either everything lands or nothing does.
func (s *Store) Import(keys *Keys, paths []string, pass certfile.PassphraseFunc, opts ImportOptions) ([]Entry, error) {
	res, err := s.ImportReport(keys, paths, pass, opts)
	return res.Entries, err
}

// ImportResult is what an import did.
type ImportResult struct {
	// Entries are the records added or completed, in name order.
	Entries []Entry
	// Completed names the identities that were awaiting the keys imported.
	Completed []string
	// Notes say what the user did not ask for: a name with a suffix
	// because the plain one was taken, a certificate kept as an identity
	// awaiting its key, a root stored as a CA.
	Notes []string
}

// ImportReport is Import, saying what it decided. A key whose certificate
// is an identity awaiting its key completes that identity.
func (s *Store) ImportReport(keys *Keys, paths []string, pass certfile.PassphraseFunc, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	files, err := expandPaths(paths)
	if err != nil {
		return res, err
	}
	bundles := make([]*certfile.Bundle, 0, len(files)+1)
	hasKeys := false
	for _, f := range files {
		b, err := certfile.ParseFile(f, pass)
		if err != nil {
			return res, err
		}
		bundles = append(bundles, b)
		hasKeys = hasKeys || len(b.Keys) > 0
	}
	existing, err := s.List()
	if err != nil {
		return res, err
	}
	// Certificates awaiting their key take part in the pairing, so a key
	// imported alone (or with its certificate again) finds its identity.
	awaitingByFP := map[[32]byte]string{}
	if hasKeys && opts.As != KindCA {
		awaiting, err := s.awaiting(existing)
		if err != nil {
			return res, err
		}
		extra := &certfile.Bundle{Source: "the workspace"}
		for name, c := range awaiting {
			awaitingByFP[sha256.Sum256(c.Raw)] = name
			extra.Certs = append(extra.Certs, c)
		}
		bundles = append(bundles, extra)
	}
	ids, cas, err := certfile.Group(bundles)
	if err != nil {
		return res, err
	}
	completions := map[string]crypto.Signer{}
	var fresh []certfile.Identity
	for _, id := range ids {
		if name, ok := awaitingByFP[sha256.Sum256(id.Chain[0].Raw)]; ok {
			completions[name] = id.Key
			continue
		}
		fresh = append(fresh, id)
	}
	cas = slices.DeleteFunc(cas, func(c *x509.Certificate) bool {
		_, injected := awaitingByFP[sha256.Sum256(c.Raw)]
		return injected
	})
	var recs []NewRecord
	if len(fresh) > 0 || len(cas) > 0 || len(completions) == 0 {
		if recs, res.Notes, err = planImport(fresh, cas, opts, existing); err != nil {
			return res, err
		}
	}
	needKeys := len(completions) > 0 || slices.ContainsFunc(recs, func(r NewRecord) bool { return r.Key != nil })
	if keys == nil && opts.Unlock != nil && needKeys {
		if keys, err = opts.Unlock(); err != nil {
			return res, err
		}
	}
	if needKeys && keys == nil && !s.Encrypted() {
		if keys, err = s.Unlock(nil); err != nil {
			return res, err
		}
		defer keys.Lock()
	}
	// Completing and adding are two transactions: an import that does
	// both (a new identity and the key of an awaiting one) could stop
	// between them only if the file became unwritable in that instant.
	if err := s.completeKeys(keys, completions); err != nil {
		return res, err
	}
	if err := s.Add(keys, recs); err != nil {
		return res, err
	}
	changed := make(map[string]bool, len(recs)+len(completions))
	for _, r := range recs {
		changed[r.Name] = true
	}
	for name := range completions {
		changed[name] = true
		res.Completed = append(res.Completed, name)
	}
	slices.Sort(res.Completed)
	all, err := s.List()
	if err != nil {
		return res, err
	}
	for _, e := range all {
		if changed[e.Name] {
			res.Entries = append(res.Entries, e)
		}
	}
	return res, nil
}

// planImport names what Group found and decides which records it becomes.
// Without --as, a certificate that came without a key is a CA only when it
// is one: a leaf becomes an identity awaiting its key; and the root that
// ends an identity's chain is stored as a CA too, so the identity verifies
// against the workspace.
func planImport(ids []certfile.Identity, cas []*x509.Certificate, opts ImportOptions, existing []Entry) ([]NewRecord, []string, error) {
	var recs, roots []NewRecord
	var notes []string
	switch opts.As {
	case KindCA:
		for _, id := range ids {
			if !id.Chain[0].IsCA {
				return nil, nil, fmt.Errorf("%s: certificate %q is not a CA certificate, so it cannot be imported --as ca; import it as an identity instead",
					id.Source, commonName(id.Chain[0]))
			}
			recs = append(recs, NewRecord{Kind: KindCA, Chain: id.Chain[:1], Key: id.Key, Source: id.Source})
		}
		for _, c := range cas {
			recs = append(recs, NewRecord{Kind: KindCA, Chain: []*x509.Certificate{c}})
		}
	case KindIdentity:
		if len(ids) == 0 {
			return nil, nil, errors.New("no private key found, so there is no identity to import: add the key file to the same command, or import the certificates as CAs (--as ca)")
		}
		fallthrough
	default:
		known := map[string]bool{}
		for _, e := range existing {
			known[e.SHA256] = true
		}
		for _, c := range cas {
			known[fingerprintHex(c)] = true
		}
		for _, id := range ids {
			recs = append(recs, NewRecord{Kind: KindIdentity, Chain: id.Chain, Key: id.Key, Source: id.Source})
			if root := id.Chain[len(id.Chain)-1]; opts.As != KindIdentity && len(id.Chain) > 1 && root.IsCA && selfSigned(root) && !known[fingerprintHex(root)] {
				known[fingerprintHex(root)] = true
				roots = append(roots, NewRecord{Kind: KindCA, Chain: []*x509.Certificate{root}, Source: id.Source})
				notes = append(notes, fmt.Sprintf("the root %q that ends the chain of %q is stored as a CA too, so the identity verifies against the workspace",
					commonName(root), commonName(id.Chain[0])))
			}
		}
		if opts.As != KindIdentity {
			for _, c := range cas {
				if looksLikeLeaf(c) {
					recs = append(recs, NewRecord{Kind: KindIdentity, Chain: []*x509.Certificate{c}, AwaitingKey: true})
					notes = append(notes, fmt.Sprintf("%q is not a CA certificate and came without its key: it is kept as an identity awaiting its key (import the key to complete it, or use --as ca to store it as a CA)",
						commonName(c)))
					continue
				}
				recs = append(recs, NewRecord{Kind: KindCA, Chain: []*x509.Certificate{c}})
			}
		}
	}
	if len(recs) == 0 {
		return nil, nil, errors.New("nothing to import: the files hold no certificate")
	}
	renamed, err := nameRecords(recs, opts.Name, existing)
	if err != nil {
		return nil, nil, err
	}
	// --name names what the files hold; the roots added beside their
	// identities take their own names.
	for _, r := range recs {
		existing = append(existing, Entry{Kind: r.Kind, Name: r.Name})
	}
	more, err := nameRecords(roots, "", existing)
	if err != nil {
		return nil, nil, err
	}
	notes = append(append(renamed, more...), notes...)
	return append(recs, roots...), notes, nil
}

func fingerprintHex(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// nameRecords gives every record a unique name. An explicit name that is
// taken is an error (the user asked for it); a name derived from a
// certificate's CN gets a numeric suffix instead, and a note says so.
func nameRecords(recs []NewRecord, explicit string, existing []Entry) ([]string, error) {
	taken := make(map[string]string, len(existing)+len(recs))
	for _, e := range existing {
		taken[e.Name] = kindWord(e.Kind) + " `" + e.Name + "` already in the workspace"
	}
	if explicit != "" {
		if err := ValidateName(explicit); err != nil {
			return nil, err
		}
	}
	var notes []string
	for i := range recs {
		if explicit != "" {
			name := explicit
			if len(recs) > 1 {
				name = fmt.Sprintf("%s-%d", explicit, i+1)
			}
			if taken[name] != "" {
				return nil, &NameTakenError{Name: name}
			}
			recs[i].Name = name
			taken[name] = "this import"
			continue
		}
		base := Slug(commonName(recs[i].Chain[0]))
		if base == "" && recs[i].Source != "" {
			base = Slug(strings.TrimSuffix(filepath.Base(recs[i].Source), filepath.Ext(recs[i].Source)))
		}
		if base == "" {
			base = string(recs[i].Kind)
		}
		name := base
		for n := 2; taken[name] != ""; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		if name != base {
			notes = append(notes, fmt.Sprintf("named %s, not %s: that name is %s (rename with `mtlswb rename`, or choose with --name)", name, base, taken[base]))
		}
		recs[i].Name = name
		taken[name] = fmt.Sprintf("%s `%s` of this import", kindWord(recs[i].Kind), name)
	}
	return notes, nil
}

// maxNameLen keeps names short enough for a list column and a shell argument.
const maxNameLen = 64

// ValidateName accepts names a user can type and a terminal shows as they are.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("a name must not be empty")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("name %q is longer than %d characters", name, maxNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@+", r)) {
			return fmt.Errorf("name %q may hold only letters, digits and . _ - @ +", name)
		}
	}
	return nil
}

// Slug turns a certificate's common name into a record name: "Partner Root
// CA" becomes "partner-root-ca".
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '@'
		if ok {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= maxNameLen-4 {
			break
		}
	}
	return strings.Trim(b.String(), "-.")
}

func commonName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return ""
}

// expandPaths lists the files to read: files as given, directories walked in
// lexical order, hidden files and directories skipped.
func expandPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no file to import: name one or more files or directories")
	}
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				found = append(found, path)
				if len(found) > maxImportFiles {
					return fmt.Errorf("more than %d files under %s: import a narrower directory", maxImportFiles, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("import %s: the directory holds no files", p)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}
