package workspace

// Profile storage: the records, their checks when saved, and the active
// environment. Selection is in select.go, host patterns in hostpattern.go.

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// metaActiveEnv names the active environment in the meta bucket; absent or
// empty means none (only profiles without environment apply).
var metaActiveEnv = []byte("active_env")

// profileFormat is the version of a stored profile record.
const profileFormat = 1

// Profile binds host patterns to an identity, trust and TLS options.
type Profile struct {
	Name        string   `json:"name"`
	Hosts       []string `json:"hosts"`
	Identity    string   `json:"identity,omitempty"`
	CAs         []string `json:"cas,omitempty"`
	SystemRoots bool     `json:"system_roots,omitempty"`
	ServerName  string   `json:"server_name,omitempty"`
	TLSMin      string   `json:"tls_min,omitempty"`
	TLSMax      string   `json:"tls_max,omitempty"`
	Timeout     string   `json:"timeout,omitempty"`
	Env         string   `json:"env,omitempty"`
	// UnboundIdentity and UnboundCAs are names an imported collection used
	// that this workspace has not bound to its own records yet. A profile
	// with either cannot be used until `profile edit` binds them.
	UnboundIdentity string   `json:"unbound_identity,omitempty"`
	UnboundCAs      []string `json:"unbound_cas,omitempty"`
	// Saved is set whenever a profile is stored; a shared profile has none.
	Saved time.Time `json:"saved,omitzero"`
}

// storedProfile is the record kept in the profiles bucket.
type storedProfile struct {
	V int `json:"v"`
	Profile
}

// ProfileSet is every profile and the active environment, read in one
// transaction so a Select sees a consistent state.
type ProfileSet struct {
	Profiles  []Profile `json:"profiles"`
	ActiveEnv string    `json:"active_env"`
}

// TieError says a profile's pattern ties with another profile's: both would
// apply to the same hosts with the same rank.
type TieError struct {
	Profile, Other, Pattern, Env string
}

func (e *TieError) Error() string {
	where := "with no environment"
	if e.Env != "" {
		where = "in environment `" + safetext.Line(e.Env) + "`"
	}
	return fmt.Sprintf("profile `%s`: host pattern %q ties with profile `%s`, which has the same pattern %s; "+
		"use a more specific pattern, another environment, or edit or remove `%s`",
		safetext.Line(e.Profile), e.Pattern, safetext.Line(e.Other), where, safetext.Line(e.Other))
}

// UnknownEnvError says no profile belongs to the environment asked for.
type UnknownEnvError struct {
	Env   string
	Known []string
}

func (e *UnknownEnvError) Error() string {
	known := "there are none yet; give a profile --env " + safetext.Line(e.Env) + " first"
	if len(e.Known) > 0 {
		known = "known: " + strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("no profile belongs to environment `%s` (%s)", safetext.Line(e.Env), known)
}

// Unusable says why a profile cannot be used as it is, or "" when it can.
func (p Profile) Unusable() string {
	var parts, flags []string
	if p.UnboundIdentity != "" {
		parts = append(parts, fmt.Sprintf("its identity is not bound yet (the collection calls it `%s`)", safetext.Line(p.UnboundIdentity)))
		flags = append(flags, "--identity NAME")
	}
	if len(p.UnboundCAs) > 0 {
		parts = append(parts, fmt.Sprintf("CA %s not bound yet", quoteNames(p.UnboundCAs)))
		flags = append(flags, "--ca NAME")
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("profile `%s`: %s; bind with `mtlswb profile edit %s %s`",
		safetext.Line(p.Name), strings.Join(parts, " and "), safetext.Line(p.Name), strings.Join(flags, " "))
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + safetext.Line(n) + "`"
	}
	return strings.Join(q, ", ")
}

// Profiles returns every profile, sorted by name, and the active
// environment.
func (s *Store) Profiles() (ProfileSet, error) {
	var ps ProfileSet
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		ps, err = readProfiles(tx)
		return err
	})
	if err != nil {
		return ProfileSet{}, fmt.Errorf("read profiles: %w", err)
	}
	return ps, nil
}

func readProfiles(tx *bolt.Tx) (ProfileSet, error) {
	ps := ProfileSet{ActiveEnv: string(tx.Bucket(bucketMeta).Get(metaActiveEnv))}
	err := tx.Bucket(bucketProfiles).ForEach(func(k, v []byte) error {
		p, err := decodeProfile(k, v)
		if err != nil {
			return err
		}
		ps.Profiles = append(ps.Profiles, p)
		return nil
	})
	return ps, err
}

func decodeProfile(k, v []byte) (Profile, error) {
	var sp storedProfile
	if err := json.Unmarshal(v, &sp); err != nil {
		return Profile{}, fmt.Errorf("profile %q is unreadable (%v): %w", k, err, ErrCorrupt)
	}
	if sp.V != profileFormat {
		return Profile{}, fmt.Errorf("profile %q has format %d, which this mtlswb does not know: %w", k, sp.V, ErrCorrupt)
	}
	return sp.Profile, nil
}

// renameInProfiles follows a record's rename in every profile that names it,
// in the rename's transaction, so no profile is left pointing at a name that
// is gone.
func renameInProfiles(tx *bolt.Tx, old, new string) error {
	ps, err := readProfiles(tx)
	if err != nil {
		return err
	}
	for _, p := range ps.Profiles {
		changed := false
		if p.Identity == old {
			p.Identity, changed = new, true
		}
		for i, ca := range p.CAs {
			if ca == old {
				p.CAs[i], changed = new, true
			}
		}
		if changed {
			if err := putProfile(tx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// profilesUsing names the profiles whose identity or CAs are name.
func profilesUsing(tx *bolt.Tx, name string) ([]string, error) {
	ps, err := readProfiles(tx)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, p := range ps.Profiles {
		if p.Identity == name || slices.Contains(p.CAs, name) {
			users = append(users, p.Name)
		}
	}
	return users, nil
}

func putProfile(tx *bolt.Tx, p Profile) error {
	v, err := json.Marshal(storedProfile{V: profileFormat, Profile: p})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketProfiles).Put([]byte(p.Name), v)
}

// Profile returns one profile.
func (s *Store) Profile(name string) (*Profile, error) {
	var p Profile
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketProfiles).Get([]byte(name))
		if v == nil {
			return &NotFoundError{What: "profile", Name: name}
		}
		var err error
		p, err = decodeProfile([]byte(name), v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// AddProfile stores a new profile after checking it (names exist, patterns
// are well formed, no tie with another profile). A failed check leaves the
// workspace unchanged.
func (s *Store) AddProfile(p Profile) error {
	err := s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketProfiles).Get([]byte(p.Name)) != nil {
			return &NameTakenError{Name: p.Name}
		}
		return saveProfile(tx, &p)
	})
	if err != nil {
		return fmt.Errorf("add profile: %w", err)
	}
	return nil
}

// EditProfile changes profile name with fn and stores it after the same
// checks as AddProfile, in one transaction.
func (s *Store) EditProfile(name string, fn func(p *Profile) error) error {
	err := s.update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketProfiles).Get([]byte(name))
		if v == nil {
			return &NotFoundError{What: "profile", Name: name}
		}
		p, err := decodeProfile([]byte(name), v)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		if p.Name != name {
			return errors.New("a profile cannot be renamed by editing it")
		}
		return saveProfile(tx, &p)
	})
	if err != nil {
		return fmt.Errorf("edit profile: %w", err)
	}
	return nil
}

// RemoveProfile deletes profile name.
func (s *Store) RemoveProfile(name string) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProfiles)
		if b.Get([]byte(name)) == nil {
			return &NotFoundError{What: "profile", Name: name}
		}
		return b.Delete([]byte(name))
	})
}

// UseEnv makes env the active environment; "" deactivates environments, so
// only profiles without one apply. The environment must be one a profile
// belongs to: a typo would otherwise switch every env profile off silently.
func (s *Store) UseEnv(env string) error {
	return s.update(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		if env == "" {
			return mb.Delete(metaActiveEnv)
		}
		ps, err := readProfiles(tx)
		if err != nil {
			return err
		}
		known := ps.Envs()
		if !slices.Contains(known, env) {
			return &UnknownEnvError{Env: env, Known: known}
		}
		return mb.Put(metaActiveEnv, []byte(env))
	})
}

// Envs lists the environments profiles belong to, sorted.
func (ps ProfileSet) Envs() []string {
	var out []string
	for _, p := range ps.Profiles {
		if p.Env != "" && !slices.Contains(out, p.Env) {
			out = append(out, p.Env)
		}
	}
	slices.Sort(out)
	return out
}

// checkKind checks that name is a record of kind.
func checkKind(tx *bolt.Tx, name string, kind Kind) error {
	v := tx.Bucket(bucketEntries).Get([]byte(name))
	what := "identity"
	if kind == KindCA {
		what = "CA"
	}
	if v == nil {
		return &NotFoundError{What: what, Name: name}
	}
	e, err := decodeEntry(v)
	if err != nil {
		return err
	}
	if e.Kind != kind {
		return fmt.Errorf("`%s` is %s, not %s", safetext.Line(name), kindWord(e.Kind), kindWord(kind))
	}
	return nil
}

func kindWord(k Kind) string {
	if k == KindCA {
		return "a CA"
	}
	return "an identity"
}

// saveProfile normalizes and checks p against the workspace and the other
// profiles, then stores it.
func saveProfile(tx *bolt.Tx, p *Profile) error {
	if err := normalizeProfile(p); err != nil {
		return err
	}
	if p.Identity != "" {
		if err := checkKind(tx, p.Identity, KindIdentity); err != nil {
			return fmt.Errorf("profile `%s`: %w", p.Name, err)
		}
	}
	for _, ca := range p.CAs {
		if err := checkKind(tx, ca, KindCA); err != nil {
			return fmt.Errorf("profile `%s`: %w", p.Name, err)
		}
	}
	ps, err := readProfiles(tx)
	if err != nil {
		return err
	}
	if err := checkTies(*p, ps.Profiles); err != nil {
		return err
	}
	p.Saved = time.Now().UTC().Truncate(time.Second)
	return putProfile(tx, *p)
}

// normalizeProfile checks everything about p that needs no workspace and
// puts its patterns in canonical form.
func normalizeProfile(p *Profile) error {
	if err := ValidateName(p.Name); err != nil {
		return fmt.Errorf("profile name: %w", err)
	}
	if len(p.Hosts) == 0 {
		return fmt.Errorf("profile `%s` has no host pattern: give at least one --host", p.Name)
	}
	seen := map[string]bool{}
	hosts := make([]string, 0, len(p.Hosts))
	for _, h := range p.Hosts {
		hp, err := ParseHostPattern(h)
		if err != nil {
			return fmt.Errorf("profile `%s`: %w", p.Name, err)
		}
		s := hp.String()
		if seen[s] {
			return fmt.Errorf("profile `%s`: host pattern %q is given twice", p.Name, s)
		}
		seen[s] = true
		hosts = append(hosts, s)
	}
	p.Hosts = hosts
	if p.Identity == "" && p.UnboundIdentity == "" {
		return fmt.Errorf("profile `%s` has no identity: give --identity NAME", p.Name)
	}
	if p.Identity != "" {
		p.UnboundIdentity = ""
	}
	p.CAs = dedupe(p.CAs)
	p.UnboundCAs = dedupe(p.UnboundCAs)
	if p.Env != "" {
		if err := ValidateName(p.Env); err != nil {
			return fmt.Errorf("profile `%s`: environment name: %w", p.Name, err)
		}
	}
	if p.ServerName != "" {
		hp, err := ParseHostPattern(p.ServerName)
		if err != nil || hp.Wildcard() || hp.Port != 0 {
			return fmt.Errorf("profile `%s`: server name %q: give a plain host name, without port or wildcard", p.Name, p.ServerName)
		}
		p.ServerName = hp.Host
	}
	spec := RequestSpec{URL: "https://check.invalid/", TLSMin: p.TLSMin, TLSMax: p.TLSMax, Timeout: p.Timeout}
	if _, err := spec.Request(); err != nil {
		return fmt.Errorf("profile `%s`: %w", p.Name, err)
	}
	return nil
}

func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// checkTies refuses p when one of its patterns equals another profile's in
// the same environment: Select could not rank them.
func checkTies(p Profile, others []Profile) error {
	for _, o := range others {
		if o.Name == p.Name || o.Env != p.Env {
			continue
		}
		for _, h := range p.Hosts {
			for _, oh := range o.Hosts {
				if ohp, err := ParseHostPattern(oh); err == nil && ohp.String() == h {
					return &TieError{Profile: p.Name, Other: o.Name, Pattern: h, Env: p.Env}
				}
			}
		}
	}
	return nil
}
