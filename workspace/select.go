package workspace

import (
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

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
