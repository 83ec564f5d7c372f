package workspace

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// # Shareable collections
//
// A collection is saved requests and the profiles they need, in a plain
// JSON file meant to be committed or mailed. It names identities and CAs
// but holds no key, certificate, passphrase or file path, and header values
// that look like credentials are redacted; the person importing it binds
// the names to their own records.

// CollectionFormat marks a collection file.
const CollectionFormat = "mtlswb-collection"

// collectionVersion is the version this code writes and reads.
const collectionVersion = 1

// Collection is the shareable file.
type Collection struct {
	Format   string              `json:"format"`
	Version  int                 `json:"version"`
	Requests []CollectionRequest `json:"requests"`
	// Profiles are profiles as shared: names and options only, as
	// sharedProfile builds them; an importer takes the same fields alone.
	Profiles []Profile `json:"profiles"`
}

// CollectionRequest is a saved request as shared.
type CollectionRequest struct {
	Name string      `json:"name"`
	Spec RequestSpec `json:"spec"`
}

// ExportCollection builds a collection of the saved requests named (all
// when none are), every profile with a rule matching one of their URLs, in
// any environment, and the profiles named in withProfiles. notes say what
// was redacted.
func (s *Store) ExportCollection(names, withProfiles []string) (c *Collection, notes []string, err error) {
	c = &Collection{Format: CollectionFormat, Version: collectionVersion, Requests: []CollectionRequest{}, Profiles: []Profile{}}
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRequests)
		want := names
		if len(want) == 0 {
			err := b.ForEach(func(k, _ []byte) error {
				want = append(want, string(k))
				return nil
			})
			if err != nil {
				return err
			}
		}
		ps, err := readProfiles(tx)
		if err != nil {
			return err
		}
		needed := map[string]bool{}
		for _, name := range withProfiles {
			if tx.Bucket(bucketProfiles).Get([]byte(name)) == nil {
				return &NotFoundError{What: "profile", Name: name}
			}
			needed[name] = true
		}
		for _, name := range want {
			v := b.Get([]byte(name))
			if v == nil {
				return &NotFoundError{What: "saved request", Name: name}
			}
			var sr SavedRequest
			var spec RequestSpec
			if err := json.Unmarshal(v, &sr); err != nil {
				return fmt.Errorf("saved request %q is unreadable (%v): %w", name, err, ErrCorrupt)
			}
			if err := json.Unmarshal(sr.Spec, &spec); err != nil {
				return fmt.Errorf("saved request %q: its request is unreadable (%v): %w", name, err, ErrCorrupt)
			}
			spec, redacted := shareableSpec(spec)
			for _, r := range redacted {
				notes = append(notes, fmt.Sprintf("request `%s`: redacted %s", safetext.Line(name), r))
			}
			c.Requests = append(c.Requests, CollectionRequest{Name: name, Spec: spec})
			if t, err := ParseTarget(spec.URL); err == nil {
				for _, cand := range (ProfileSet{Profiles: ps.Profiles}).SelectTarget(spec.URL, t).Considered {
					if cand.Matches {
						needed[ps.Profiles[cand.index].Name] = true
					}
				}
			}
		}
		for _, p := range ps.Profiles {
			if !needed[p.Name] {
				continue
			}
			c.Profiles = append(c.Profiles, sharedProfile(p))
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("export collection: %w", err)
	}
	return c, notes, nil
}

// sharedProfile is p as a collection carries it: the names it uses, bound
// or not, and its options. It copies field by field, so a field added to
// Profile (a record id, a time) stays home until it is added here.
func sharedProfile(p Profile) Profile {
	identity := p.Identity
	if identity == "" {
		identity = p.UnboundIdentity
	}
	return Profile{Name: p.Name, Hosts: p.Hosts, Identity: identity, CAs: append(slices.Clone(p.CAs), p.UnboundCAs...),
		SystemRoots: p.SystemRoots, ServerName: p.ServerName, TLSMin: p.TLSMin, TLSMax: p.TLSMax, Timeout: p.Timeout, Env: p.Env}
}

// redacted replaces a credential in a shared collection.
const redacted = "REDACTED"

// shareableSpec drops what must not travel: credentials in headers, URL
// user information and query values that look like credentials, and proxy
// user information.
func shareableSpec(spec RequestSpec) (RequestSpec, []string) {
	var notes []string
	spec.Headers = slices.Clone(spec.Headers)
	for i, h := range spec.Headers {
		name, _, ok := strings.Cut(h, ":")
		if ok && secretName(name) {
			spec.Headers[i] = strings.TrimSpace(name) + ": " + redacted
			notes = append(notes, "the value of header "+strconv.Quote(safetext.Line(strings.TrimSpace(name))))
		}
	}
	if u, err := url.Parse(spec.URL); err == nil {
		changed := false
		if u.User != nil {
			u.User = nil
			changed = true
			notes = append(notes, "the user information of the URL")
		}
		q := u.Query()
		for k := range q {
			if secretName(k) {
				q.Set(k, redacted)
				changed = true
				notes = append(notes, "the URL parameter "+strconv.Quote(safetext.Line(k)))
			}
		}
		if changed {
			u.RawQuery = q.Encode()
			spec.URL = u.String()
		}
	}
	if u, err := url.Parse(spec.Proxy); err == nil && u.User != nil {
		u.User = nil
		spec.Proxy = u.String()
		notes = append(notes, "the user information of the proxy URL")
	}
	return spec, notes
}

// secretName reports whether a header or parameter name usually carries a
// credential.
func secretName(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, w := range []string{"token", "secret", "password", "passwd", "apikey", "api-key", "api_key", "session", "signature", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// CollectionImportResult says what an import did.
type CollectionImportResult struct {
	Requests []string `json:"requests"`
	Profiles []string `json:"profiles"`
	// Notes say which names were left unbound or dropped.
	Notes []string `json:"notes"`
}

// ImportCollection stores the requests and profiles of c in one
// transaction. bind maps a name the collection uses to a record of this
// workspace; a name neither bound nor present here is left for `profile
// edit` to bind (profiles) or dropped (requests, which then fall back to
// profile matching). Names already taken refuse the whole import.
func (s *Store) ImportCollection(c *Collection, bind map[string]string) (*CollectionImportResult, error) {
	if c.Format != CollectionFormat {
		return nil, fmt.Errorf("import collection: not an mtlswb collection (format %q); export one with `mtlswb collection export`", safetext.Line(c.Format))
	}
	if c.Version != collectionVersion {
		return nil, fmt.Errorf("import collection: version %d is not one this mtlswb reads (%d); upgrade mtlswb", c.Version, collectionVersion)
	}
	res := &CollectionImportResult{Requests: []string{}, Profiles: []string{}, Notes: []string{}}
	used := map[string]bool{}
	err := s.update(func(tx *bolt.Tx) error {
		// resolve maps a shared name to a local record of kind: bound
		// explicitly, or present under the same name.
		resolve := func(name string, kind Kind) (string, bool, error) {
			if local, ok := bind[name]; ok {
				used[name] = true
				if err := checkKind(tx, local, kind); err != nil {
					return "", false, fmt.Errorf("--bind %s=%s: %w", safetext.Line(name), safetext.Line(local), err)
				}
				return local, true, nil
			}
			if checkKind(tx, name, kind) == nil {
				return name, true, nil
			}
			return "", false, nil
		}
		pb, rb := tx.Bucket(bucketProfiles), tx.Bucket(bucketRequests)
		for _, cp := range c.Profiles {
			if err := ValidateName(cp.Name); err != nil {
				return fmt.Errorf("profile name: %w", err)
			}
			if pb.Get([]byte(cp.Name)) != nil {
				return fmt.Errorf("profile `%s` exists already: %w; remove it first (`mtlswb profile rm %s`)", cp.Name, &NameTakenError{Name: cp.Name}, cp.Name)
			}
			p := Profile{Name: cp.Name, Hosts: cp.Hosts, SystemRoots: cp.SystemRoots, ServerName: cp.ServerName,
				TLSMin: cp.TLSMin, TLSMax: cp.TLSMax, Timeout: cp.Timeout, Env: cp.Env}
			local, ok, err := resolve(cp.Identity, KindIdentity)
			if err != nil {
				return err
			}
			if ok {
				p.Identity = local
			} else {
				p.UnboundIdentity = cp.Identity
				res.Notes = append(res.Notes, fmt.Sprintf("profile `%s`: identity `%s` is not in this workspace; bind it with `mtlswb profile edit %s --identity NAME`",
					safetext.Line(cp.Name), safetext.Line(cp.Identity), safetext.Line(cp.Name)))
			}
			for _, ca := range cp.CAs {
				local, ok, err := resolve(ca, KindCA)
				if err != nil {
					return err
				}
				if ok {
					p.CAs = append(p.CAs, local)
				} else {
					p.UnboundCAs = append(p.UnboundCAs, ca)
					res.Notes = append(res.Notes, fmt.Sprintf("profile `%s`: CA `%s` is not in this workspace; import it, then `mtlswb profile edit %s --ca NAME`",
						safetext.Line(cp.Name), safetext.Line(ca), safetext.Line(cp.Name)))
				}
			}
			if err := saveProfile(tx, &p); err != nil {
				return err
			}
			res.Profiles = append(res.Profiles, p.Name)
		}
		now := time.Now().UTC()
		for _, cr := range c.Requests {
			if err := ValidateName(cr.Name); err != nil {
				return fmt.Errorf("request name: %w", err)
			}
			if rb.Get([]byte(cr.Name)) != nil {
				return fmt.Errorf("saved request `%s` exists already: %w", cr.Name, &NameTakenError{Name: cr.Name})
			}
			spec, _ := shareableSpec(cr.Spec)
			if _, err := spec.Request(); err != nil {
				return fmt.Errorf("request `%s`: %w", safetext.Line(cr.Name), err)
			}
			if spec.Identity != "" {
				local, ok, err := resolve(spec.Identity, KindIdentity)
				if err != nil {
					return err
				}
				if !ok {
					res.Notes = append(res.Notes, fmt.Sprintf("request `%s`: identity `%s` is not in this workspace; dropped it, so a matching profile decides",
						safetext.Line(cr.Name), safetext.Line(spec.Identity)))
				}
				spec.Identity = local
			}
			var cas []string
			for _, ca := range spec.CAs {
				local, ok, err := resolve(ca, KindCA)
				if err != nil {
					return err
				}
				if ok {
					cas = append(cas, local)
				} else {
					res.Notes = append(res.Notes, fmt.Sprintf("request `%s`: CA `%s` is not in this workspace; dropped it",
						safetext.Line(cr.Name), safetext.Line(ca)))
				}
			}
			spec.CAs = cas
			specJSON, err := json.Marshal(spec)
			if err != nil {
				return err
			}
			v, err := json.Marshal(SavedRequest{Name: cr.Name, Spec: specJSON, Saved: now})
			if err != nil {
				return err
			}
			if err := rb.Put([]byte(cr.Name), v); err != nil {
				return err
			}
			res.Requests = append(res.Requests, cr.Name)
		}
		for name := range bind {
			if !used[name] {
				return fmt.Errorf("--bind %s=...: the collection names no identity or CA `%s`", safetext.Line(name), safetext.Line(name))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import collection: %w", err)
	}
	return res, nil
}
