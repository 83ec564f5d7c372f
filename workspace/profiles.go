package workspace

// # Profiles
//
// A profile binds host patterns to an identity, trust and TLS options, so
// `send URL` needs no flags. The complaints this answers come from other
// clients: a certificate silently not sent because `localhost` did not match
// `localhost:8443`, or "the first rule added wins". So the ranking is fixed
// and explained (Select returns every rule it looked at and why it lost),
// and a rule that could tie with another is refused when it is saved, never
// discovered at send time.
//
// Ranking, most specific first:
//
//  1. exact host and port (`api.partner.example:8443`, `[::1]:8443`)
//  2. exact host, any port (`api.partner.example`)
//  3. wildcards, the longest suffix first (`*.api.partner.example` before
//     `*.partner.example`); at the same suffix, one with a port first
//
// A wildcard stands for one or more leftmost labels, so `*.partner.example`
// covers `a.b.partner.example` but not `partner.example` or an IP address.
// On the same pattern, a profile of the active environment beats a profile
// without environment (the environment overrides the default); two profiles
// with the same pattern and the same environment are a tie, and the second
// is refused.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine"
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
	UnboundIdentity string    `json:"unbound_identity,omitempty"`
	UnboundCAs      []string  `json:"unbound_cas,omitempty"`
	Saved           time.Time `json:"saved"`
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

// HostPattern is one parsed host rule.
type HostPattern struct {
	// Host is lowercase without a trailing dot; a wildcard keeps its "*."
	// prefix. IPv6 addresses are held without brackets.
	Host string
	Port int // 0: any port
}

// ParseHostPattern reads `host`, `host:port`, `*.suffix`, `*.suffix:port`,
// an IP address, or `[v6]:port`. Schemes, paths and wildcards other than a
// whole leftmost label are refused: they are the usual copy-paste mistakes.
func ParseHostPattern(s string) (HostPattern, error) {
	raw := s
	s = strings.TrimSpace(s)
	bad := func(why string) (HostPattern, error) {
		return HostPattern{}, fmt.Errorf("host pattern %q: %s", raw, why)
	}
	switch {
	case s == "":
		return bad("empty; give a host such as api.example.com, *.example.com or localhost:8443")
	case strings.Contains(s, "://"):
		return bad("has a scheme; give the host alone, such as api.example.com or api.example.com:8443")
	case strings.ContainsAny(s, "/?#"):
		return bad("has a path or query; give the host alone, such as api.example.com")
	case strings.Contains(s, "@"):
		return bad("has user information; give the host alone")
	}
	host, port := s, 0
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil && !strings.Contains(s, "]:") {
		host = ip.String()
	} else if h, p, err := net.SplitHostPort(s); err == nil {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 65535 {
			return bad("port " + strconv.Quote(p) + " is not a number from 1 to 65535")
		}
		host, port = h, n
		if ip := net.ParseIP(h); ip != nil {
			host = ip.String()
		}
	} else if strings.Count(s, ":") > 0 {
		return bad("write a port as host:port, and an IPv6 address with a port as [::1]:8443")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(host) != nil {
		return HostPattern{Host: host, Port: port}, nil
	}
	labels := strings.Split(host, ".")
	for i, l := range labels {
		switch {
		case l == "*" && i == 0 && len(labels) >= 2:
		case strings.Contains(l, "*"):
			return bad("a wildcard may only be the whole leftmost label, as in *.example.com")
		case l == "":
			return bad("has an empty label (two dots in a row, or a leading dot)")
		case len(l) > 63:
			return bad("has a label longer than 63 characters")
		default:
			for _, r := range l {
				if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
					return bad(fmt.Sprintf("%q is not allowed in a host name (letters, digits, - and _ only)", r))
				}
			}
		}
	}
	if len(host) > 253 {
		return bad("is longer than 253 characters")
	}
	return HostPattern{Host: host, Port: port}, nil
}

// String is the canonical form, the one profiles store.
func (p HostPattern) String() string {
	if p.Port == 0 {
		return p.Host
	}
	return net.JoinHostPort(p.Host, strconv.Itoa(p.Port))
}

// Wildcard reports whether the pattern starts with "*.".
func (p HostPattern) Wildcard() bool { return strings.HasPrefix(p.Host, "*.") }

// Rank names a pattern's class in the ranking.
type Rank string

const (
	RankExactHostPort Rank = "exact host and port"
	RankExactHost     Rank = "exact host, any port"
	RankWildcard      Rank = "wildcard"
)

// Rank is the pattern's class.
func (p HostPattern) Rank() Rank {
	switch {
	case p.Wildcard():
		return RankWildcard
	case p.Port != 0:
		return RankExactHostPort
	}
	return RankExactHost
}

// compare orders patterns by specificity: positive when p ranks above q.
func (p HostPattern) compare(q HostPattern) int {
	class := func(h HostPattern) int {
		switch h.Rank() {
		case RankExactHostPort:
			return 3
		case RankExactHost:
			return 2
		}
		return 1
	}
	if c := class(p) - class(q); c != 0 {
		return c
	}
	if c := len(p.Host) - len(q.Host); c != 0 {
		return c
	}
	return boolInt(p.Port != 0) - boolInt(q.Port != 0)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// match reports whether p covers t, and if not, why in words.
func (p HostPattern) match(t Target) (bool, string) {
	if p.Wildcard() {
		suffix := p.Host[1:] // ".partner.example"
		switch {
		case net.ParseIP(t.Host) != nil:
			return false, "a wildcard never matches an IP address"
		case t.Host == suffix[1:]:
			return false, fmt.Sprintf("%s covers the subdomains of %s, not %s itself", p.Host, suffix[1:], t.Host)
		case !strings.HasSuffix(t.Host, suffix):
			return false, fmt.Sprintf("%s is not under %s", t.Host, suffix[1:])
		}
	} else if p.Host != t.Host {
		return false, "another host"
	}
	if p.Port != 0 && p.Port != t.Port {
		return false, fmt.Sprintf("the rule is for port %d, the URL uses port %d", p.Port, t.Port)
	}
	return true, ""
}

// Target is the host and port a URL connects to.
type Target struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

func (t Target) String() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// ParseTarget reads an https:// URL, or host[:port] as probe takes it. The
// port defaults to 443.
func ParseTarget(raw string) (Target, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Target{}, errors.New("no URL: give an https:// URL or HOST:PORT")
	}
	var host, port string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return Target{}, fmt.Errorf("URL %q does not parse: %w", raw, err)
		}
		if !strings.EqualFold(u.Scheme, "https") {
			return Target{}, fmt.Errorf("URL %q: mTLS needs https://, not %s://", raw, u.Scheme)
		}
		host, port = u.Hostname(), u.Port()
	} else {
		if strings.ContainsAny(s, "/?#@") {
			return Target{}, fmt.Errorf("%q is neither an https:// URL nor HOST:PORT", raw)
		}
		host = s
		if h, p, err := net.SplitHostPort(s); err == nil {
			host, port = h, p
		} else {
			host = strings.Trim(s, "[]")
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return Target{}, fmt.Errorf("URL %q has no host", raw)
	}
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	}
	t := Target{Host: host, Port: 443}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("URL %q: port %q is not a number from 1 to 65535", raw, port)
		}
		t.Port = n
	}
	return t, nil
}

// Selection is which profile a target uses and why: the --json form of
// `which` and the composer's live line.
type Selection struct {
	URL       string `json:"url"`
	Target    Target `json:"target"`
	ActiveEnv string `json:"active_env"`
	Matched   bool   `json:"matched"`
	// Profile, Identity, Pattern and Rank describe the winner.
	Profile  string `json:"profile,omitempty"`
	Identity string `json:"identity,omitempty"`
	Pattern  string `json:"pattern,omitempty"`
	Rank     Rank   `json:"rank,omitempty"`
	Reason   string `json:"reason"`
	// Problems say why the winner cannot be used as it is (an identity
	// that was removed, or names an imported collection left unbound).
	Problems []string `json:"problems,omitempty"`
	// Considered is every rule of every profile: the winner first, then the
	// other matching rules best first, then the rest by profile and pattern.
	Considered []Candidate `json:"considered"`
	// Chosen is the winning profile in full (nil when none matched).
	Chosen *Profile `json:"-"`
}

// Candidate is one rule Select looked at.
type Candidate struct {
	Profile  string `json:"profile"`
	Pattern  string `json:"pattern"`
	Env      string `json:"env,omitempty"`
	Identity string `json:"identity,omitempty"`
	Matches  bool   `json:"matches"`
	Chosen   bool   `json:"chosen"`
	Rank     Rank   `json:"rank,omitempty"`
	Reason   string `json:"reason"`

	pattern HostPattern
	applies bool
	index   int // profile index, for the winner's details
}

// Select picks the profile for rawURL. It is pure: Store.Which adds the
// checks that need the workspace.
func (ps ProfileSet) Select(rawURL string) (Selection, error) {
	t, err := ParseTarget(rawURL)
	if err != nil {
		return Selection{}, err
	}
	return ps.SelectTarget(rawURL, t), nil
}

// SelectTarget is Select with the target already parsed.
func (ps ProfileSet) SelectTarget(rawURL string, t Target) Selection {
	sel := Selection{URL: safetext.Line(rawURL), Target: t, ActiveEnv: ps.ActiveEnv, Considered: []Candidate{}}
	var cands []Candidate
	for i, p := range ps.Profiles {
		for _, h := range p.Hosts {
			hp, err := ParseHostPattern(h)
			c := Candidate{Profile: p.Name, Pattern: h, Env: p.Env, Identity: p.Identity, index: i, pattern: hp}
			if c.Identity == "" && p.UnboundIdentity != "" {
				c.Identity = p.UnboundIdentity + " (unbound)"
			}
			if err != nil {
				c.Reason = "unreadable pattern: " + err.Error()
				cands = append(cands, c)
				continue
			}
			c.Pattern = hp.String()
			ok, why := hp.match(t)
			c.Matches = ok
			if !ok {
				c.Reason = "does not match: " + why
			} else {
				c.Rank = hp.Rank()
				c.applies = p.Env == "" || p.Env == ps.ActiveEnv
				if !c.applies {
					active := "none is active"
					if ps.ActiveEnv != "" {
						active = "`" + ps.ActiveEnv + "` is"
					}
					c.Reason = fmt.Sprintf("matches (%s), but its environment `%s` is not active (%s)", c.Rank, p.Env, active)
				}
			}
			cands = append(cands, c)
		}
	}
	// Best first: applicable matches by rank (environment before none on
	// the same pattern), then inactive matches, then the rest by name.
	slices.SortStableFunc(cands, func(a, b Candidate) int {
		if c := boolInt(b.applies) - boolInt(a.applies); c != 0 {
			return c
		}
		if c := boolInt(b.Matches) - boolInt(a.Matches); c != 0 {
			return c
		}
		if a.Matches {
			if c := b.pattern.compare(a.pattern); c != 0 {
				return c
			}
			if c := boolInt(b.Env != "") - boolInt(a.Env != ""); c != 0 {
				return c
			}
		}
		if c := strings.Compare(a.Profile, b.Profile); c != 0 {
			return c
		}
		return strings.Compare(a.Pattern, b.Pattern)
	})
	if len(cands) > 0 && cands[0].applies {
		w := &cands[0]
		w.Chosen = true
		p := ps.Profiles[w.index]
		sel.Matched, sel.Profile, sel.Identity, sel.Pattern, sel.Rank = true, p.Name, w.Identity, w.Pattern, w.Rank
		sel.Chosen = &p
		sel.Reason = winReason(w, t)
		w.Reason = sel.Reason
		for i := 1; i < len(cands) && cands[i].applies; i++ {
			c := &cands[i]
			switch {
			case c.Profile == w.Profile:
				c.Reason = fmt.Sprintf("matches (%s), but the same profile's %s is more specific", c.Rank, w.Pattern)
			case c.pattern == w.pattern:
				c.Reason = fmt.Sprintf("matches equally, but profile `%s` belongs to the active environment `%s`", w.Profile, w.Env)
			default:
				c.Reason = fmt.Sprintf("matches (%s), but profile `%s` matches more specifically (%s %s)", c.Rank, w.Profile, w.Rank, w.Pattern)
			}
		}
	} else {
		sel.Reason = fmt.Sprintf("no profile matches %s", t)
		if n := countMatches(cands); n > 0 {
			sel.Reason += fmt.Sprintf(" in the active environment (%d rule(s) of other environments would)", n)
		}
	}
	for i := range cands {
		cands[i].Profile = safetext.Line(cands[i].Profile)
		cands[i].Reason = safetext.Line(cands[i].Reason)
	}
	sel.Considered = append(sel.Considered, cands...)
	return sel
}

func countMatches(cands []Candidate) int {
	n := 0
	for _, c := range cands {
		if c.Matches {
			n++
		}
	}
	return n
}

func winReason(w *Candidate, t Target) string {
	var r string
	switch w.Rank {
	case RankExactHostPort:
		r = fmt.Sprintf("%s matches host and port exactly", w.Pattern)
	case RankExactHost:
		r = fmt.Sprintf("%s matches the host exactly (any port)", w.Pattern)
	default:
		r = fmt.Sprintf("wildcard %s covers %s", w.Pattern, t)
	}
	if w.Env != "" {
		r += fmt.Sprintf(", in the active environment `%s`", w.Env)
	}
	return r
}

// ApplyTo fills spec from the profile, leaving alone the fields the caller
// set explicitly. Trust is one unit: explicit CAs or system roots replace
// the profile's trust rather than adding to it.
func (p Profile) ApplyTo(spec *RequestSpec, explicit ExplicitFields) {
	if !explicit.Identity {
		spec.Identity = p.Identity
	}
	if !explicit.Trust {
		spec.CAs = slices.Clone(p.CAs)
		spec.SystemRoots = p.SystemRoots
	}
	if !explicit.ServerName && p.ServerName != "" {
		spec.ServerName = p.ServerName
	}
	if !explicit.TLSMin && p.TLSMin != "" {
		spec.TLSMin = p.TLSMin
	}
	if !explicit.TLSMax && p.TLSMax != "" {
		spec.TLSMax = p.TLSMax
	}
	if !explicit.Timeout && p.Timeout != "" {
		spec.Timeout = p.Timeout
	}
}

// ExplicitFields says which parts of a request the user set themselves, so
// a profile does not override them.
type ExplicitFields struct {
	Identity, Trust, ServerName, TLSMin, TLSMax, Timeout bool
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

// Which selects the profile for rawURL and checks that the winner can be
// used with this workspace's records as they are now.
func (s *Store) Which(rawURL string) (Selection, error) {
	return s.WhichIn(rawURL, nil)
}

// WhichIn is Which as if env were the active environment (nil: the
// workspace's own choice).
func (s *Store) WhichIn(rawURL string, env *string) (Selection, error) {
	t, err := ParseTarget(rawURL)
	if err != nil {
		return Selection{}, err
	}
	var sel Selection
	err = s.view(func(tx *bolt.Tx) error {
		ps, err := readProfiles(tx)
		if err != nil {
			return err
		}
		if env != nil {
			ps.ActiveEnv = *env
		}
		sel = ps.SelectTarget(rawURL, t)
		if sel.Chosen != nil {
			sel.Problems = profileProblems(tx, sel.Chosen)
		}
		return nil
	})
	if err != nil {
		return Selection{}, fmt.Errorf("select profile: %w", err)
	}
	return sel, nil
}

// profileProblems finds what keeps p from being used: unbound names, and
// records removed or renamed since the profile was saved.
func profileProblems(tx *bolt.Tx, p *Profile) []string {
	var out []string
	if u := p.Unusable(); u != "" {
		out = append(out, u)
	}
	if p.Identity != "" {
		if err := checkKind(tx, p.Identity, KindIdentity); err != nil {
			out = append(out, fmt.Sprintf("profile `%s`: %v; bind another with `mtlswb profile edit %s --identity NAME`",
				safetext.Line(p.Name), err, safetext.Line(p.Name)))
		}
	}
	for _, ca := range p.CAs {
		if err := checkKind(tx, ca, KindCA); err != nil {
			out = append(out, fmt.Sprintf("profile `%s`: %v; change its CAs with `mtlswb profile edit %s --ca NAME`",
				safetext.Line(p.Name), err, safetext.Line(p.Name)))
		}
	}
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

// # Auto-selection

// AutoOutcome is what ChooseIdentity decided.
type AutoOutcome string

const (
	AutoChosen       AutoOutcome = "chosen"
	AutoAmbiguous    AutoOutcome = "ambiguous"
	AutoNoneFits     AutoOutcome = "none-fits"
	AutoNotRequested AutoOutcome = "not-requested"
	// AutoProbeFailed: the probe stopped before the server asked for a
	// certificate; the probe's own report says why.
	AutoProbeFailed AutoOutcome = "probe-failed"
)

// AutoChoice is the result of `--identity auto`: the server's request, every
// candidate with its verdict, and the decision.
type AutoChoice struct {
	Outcome          AutoOutcome                 `json:"outcome"`
	Chosen           string                      `json:"chosen,omitempty"`
	Summary          string                      `json:"summary"`
	AcceptableCAs    []string                    `json:"acceptable_cas"`
	SignatureSchemes []string                    `json:"signature_schemes"`
	Candidates       []tlsengine.IdentityVerdict `json:"candidates"`
}

// ChooseIdentity decides from a probe made with every workspace identity as
// a candidate (Resolve with no identity does that). The engine's verdicts
// already check the issuer against the server's acceptable CAs, validity,
// the clientAuth EKU and the key type against the signature schemes; this
// only refuses to guess when more than one fits.
func ChooseIdentity(rep tlsengine.Report) AutoChoice {
	ch := AutoChoice{
		AcceptableCAs:    rep.TLS.AcceptableCAs,
		SignatureSchemes: rep.TLS.SignatureSchemes,
		Candidates:       rep.Identities,
	}
	if ch.Candidates == nil {
		ch.Candidates = []tlsengine.IdentityVerdict{}
	}
	if !rep.TLS.ClientCertRequested {
		if rep.OK {
			ch.Outcome = AutoNotRequested
			ch.Summary = "the server does not ask for a client certificate: no identity is needed"
			return ch
		}
		ch.Outcome = AutoProbeFailed
		ch.Summary = "the probe failed before the server asked for a client certificate"
		if rep.Failure != nil {
			ch.Summary += ": " + rep.Failure.Summary
		}
		return ch
	}
	var fits []string
	for _, v := range rep.Identities {
		if v.Accepted {
			fits = append(fits, v.Name)
		}
	}
	switch {
	case len(fits) == 1:
		ch.Outcome, ch.Chosen = AutoChosen, fits[0]
		ch.Summary = fmt.Sprintf("chose identity `%s`: the only one the server's certificate request accepts", fits[0])
	case len(fits) > 1:
		ch.Outcome = AutoAmbiguous
		why := ""
		if len(rep.TLS.AcceptableCAs) == 0 {
			why = " (the server lists no acceptable CAs, so it cannot tell them apart)"
		}
		ch.Summary = fmt.Sprintf("%d identities fit%s: %s; choose one with --identity NAME", len(fits), why, quoteNames(fits))
	case len(rep.Identities) == 0:
		ch.Outcome = AutoNoneFits
		ch.Summary = "the workspace holds no identity to offer; import or issue one"
	default:
		ch.Outcome = AutoNoneFits
		ch.Summary = fmt.Sprintf("none of the %d identities fits the server's certificate request", len(rep.Identities))
	}
	return ch
}

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
	Profiles []CollectionProfile `json:"profiles"`
}

// CollectionRequest is a saved request as shared.
type CollectionRequest struct {
	Name string      `json:"name"`
	Spec RequestSpec `json:"spec"`
}

// CollectionProfile is a profile as shared: only fields that are names or
// options, never records.
type CollectionProfile struct {
	Name        string   `json:"name"`
	Hosts       []string `json:"hosts"`
	Identity    string   `json:"identity"`
	CAs         []string `json:"cas,omitempty"`
	SystemRoots bool     `json:"system_roots,omitempty"`
	ServerName  string   `json:"server_name,omitempty"`
	TLSMin      string   `json:"tls_min,omitempty"`
	TLSMax      string   `json:"tls_max,omitempty"`
	Timeout     string   `json:"timeout,omitempty"`
	Env         string   `json:"env,omitempty"`
}

// ExportCollection builds a collection of the saved requests named (all
// when none are), every profile with a rule matching one of their URLs, in
// any environment, and the profiles named in withProfiles. notes say what
// was redacted.
func (s *Store) ExportCollection(names, withProfiles []string) (c *Collection, notes []string, err error) {
	c = &Collection{Format: CollectionFormat, Version: collectionVersion, Requests: []CollectionRequest{}, Profiles: []CollectionProfile{}}
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
			cp := CollectionProfile{Name: p.Name, Hosts: p.Hosts, Identity: p.Identity, CAs: append(slices.Clone(p.CAs), p.UnboundCAs...),
				SystemRoots: p.SystemRoots, ServerName: p.ServerName, TLSMin: p.TLSMin, TLSMax: p.TLSMax, Timeout: p.Timeout, Env: p.Env}
			if cp.Identity == "" {
				cp.Identity = p.UnboundIdentity
			}
			c.Profiles = append(c.Profiles, cp)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("export collection: %w", err)
	}
	return c, notes, nil
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
