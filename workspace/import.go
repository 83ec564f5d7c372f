package workspace

import (
	"crypto/x509"
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
	files, err := expandPaths(paths)
	if err != nil {
		return nil, err
	}
	bundles := make([]*certfile.Bundle, 0, len(files))
	for _, f := range files {
		b, err := certfile.ParseFile(f, pass)
		if err != nil {
			return nil, err
		}
		bundles = append(bundles, b)
	}
	ids, cas, err := certfile.Group(bundles)
	if err != nil {
		return nil, err
	}
	existing, err := s.List()
	if err != nil {
		return nil, err
	}
	recs, err := planImport(ids, cas, opts, existing)
	if err != nil {
		return nil, err
	}
	if keys == nil && opts.Unlock != nil && slices.ContainsFunc(recs, func(r NewRecord) bool { return r.Key != nil }) {
		if keys, err = opts.Unlock(); err != nil {
			return nil, err
		}
	}
	if err := s.Add(keys, recs); err != nil {
		return nil, err
	}
	added := make(map[string]bool, len(recs))
	for _, r := range recs {
		added[r.Name] = true
	}
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(recs))
	for _, e := range all {
		if added[e.Name] {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// planImport names what Group found and decides which records it becomes.
func planImport(ids []certfile.Identity, cas []*x509.Certificate, opts ImportOptions, existing []Entry) ([]NewRecord, error) {
	var recs []NewRecord
	switch opts.As {
	case KindCA:
		for _, id := range ids {
			if !id.Chain[0].IsCA {
				return nil, fmt.Errorf("%s: certificate %q is not a CA certificate, so it cannot be imported --as ca; import it as an identity instead",
					id.Source, commonName(id.Chain[0]))
			}
			recs = append(recs, NewRecord{Kind: KindCA, Chain: id.Chain[:1], Key: id.Key, Source: id.Source})
		}
		for _, c := range cas {
			recs = append(recs, NewRecord{Kind: KindCA, Chain: []*x509.Certificate{c}})
		}
	case KindIdentity:
		if len(ids) == 0 {
			return nil, errors.New("no private key found, so there is no identity to import: add the key file to the same command, or import the certificates as CAs (--as ca)")
		}
		fallthrough
	default:
		for _, id := range ids {
			recs = append(recs, NewRecord{Kind: KindIdentity, Chain: id.Chain, Key: id.Key, Source: id.Source})
		}
		if opts.As != KindIdentity {
			for _, c := range cas {
				recs = append(recs, NewRecord{Kind: KindCA, Chain: []*x509.Certificate{c}})
			}
		}
	}
	if len(recs) == 0 {
		return nil, errors.New("nothing to import: the files hold no certificate")
	}
	if err := nameRecords(recs, opts.Name, existing); err != nil {
		return nil, err
	}
	return recs, nil
}

// nameRecords gives every record a unique name. An explicit name that is
// taken is an error (the user asked for it); a name derived from a
// certificate's CN gets a numeric suffix instead.
func nameRecords(recs []NewRecord, explicit string, existing []Entry) error {
	taken := make(map[string]bool, len(existing)+len(recs))
	for _, e := range existing {
		taken[e.Name] = true
	}
	if explicit != "" {
		if err := ValidateName(explicit); err != nil {
			return err
		}
	}
	for i := range recs {
		if explicit != "" {
			name := explicit
			if len(recs) > 1 {
				name = fmt.Sprintf("%s-%d", explicit, i+1)
			}
			if taken[name] {
				return &NameTakenError{Name: name}
			}
			recs[i].Name = name
			taken[name] = true
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
		for n := 2; taken[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		recs[i].Name = name
		taken[name] = true
	}
	return nil
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
