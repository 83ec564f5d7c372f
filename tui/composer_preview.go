package tui

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
)

// preflight lists what will be sent and what looks wrong before it is.
func (s *composerScreen) preflight() (present string, warns []string) {
	now := s.sh.now()
	spec := s.spec(false)
	ident, via := s.identity, ""
	if ident == identityByProfile {
		if sel, ok := s.selection(); ok && sel.Matched {
			ident, via = sel.Chosen.Identity, " from profile "+safetext.Line(sel.Profile)
			if u := sel.Chosen.Unusable(); u != "" {
				warns = append(warns, u)
			}
		}
	}
	switch ident {
	case identityByProfile, identityNone:
		present = "no client certificate"
		warns = append(warns, "no identity chosen: a server that requires client certificates will refuse")
	case identityAuto:
		present = "the identity the server accepts (auto: a probe decides first)"
	default:
		var e *workspace.Entry
		for i := range s.idents {
			if s.idents[i].Name == ident {
				e = &s.idents[i]
			}
		}
		if e == nil {
			present = safetext.Line(ident) + via + " (not in the workspace)"
		} else {
			present = fmt.Sprintf("%s%s (CN=%s, expires %s)", safetext.Line(e.Name), via, safetext.Line(e.SubjectCN), e.NotAfter.UTC().Format("2006-01-02"))
			switch {
			case now.After(e.NotAfter):
				warns = append(warns, "the identity's certificate has expired: servers will reject it")
			case now.Before(e.NotBefore):
				warns = append(warns, "the identity's certificate is not valid yet")
			case e.NotAfter.Sub(now) <= expiringSoon:
				warns = append(warns, fmt.Sprintf("the identity expires in %d days", int(e.NotAfter.Sub(now).Hours()/24)))
			}
			if !e.ClientAuth {
				warns = append(warns, "the identity's EKU lacks clientAuth: servers that check usage will reject it")
			}
		}
		if v, ok := s.verdicts[ident]; ok && !v.Accepted {
			warns = append(warns, "last attempt: the server would not accept it: "+safetext.Line(v.Reason))
		}
	}
	if !spec.SystemRoots && len(spec.CAs) == 0 && !spec.Insecure {
		warns = append(warns, "nothing is trusted: the server's chain cannot verify (pick CAs or system roots)")
	}
	if spec.URL != "" {
		if u, err := url.Parse(spec.URL); err == nil && u.Scheme != "" && !knownScheme(u.Scheme) {
			warns = append(warns, "the URL is not https:// (or another scheme mtlswb speaks): mTLS needs TLS")
		}
	}
	if s.tlsMin == 2 && s.tlsMax == 1 {
		warns = append(warns, "TLS min 1.3 is above max 1.2: no version can be negotiated")
	}
	if !isToken(spec.Method) {
		warns = append(warns, "method "+safetext.Line(spec.Method)+" is not an HTTP method token (letters, digits and !#$%&'*+-.^_`|~)")
	}
	if spec.Timeout != "" {
		if _, err := time.ParseDuration(spec.Timeout); err != nil {
			warns = append(warns, "timeout "+safetext.Line(spec.Timeout)+" is not a duration like 10s")
		}
	}
	return present, warns
}

// isToken reports whether s is an RFC 9110 token, as a method must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

// preview is the planner's decision for the form as it is now, without
// I/O (plan.Preview): what a send would decide, except what only the
// server can say (an auto identity).
func (s *composerScreen) preview() (*plan.Plan, error) {
	sel, _ := s.selection()
	return plan.Preview(sel, s.planInput(s.spec(false)))
}

// effective is the request as it will go: the form with the matching
// profile applied, and the name of that profile ("" when none applies).
func (s *composerScreen) effective() (workspace.RequestSpec, string) {
	p, _ := s.preview()
	if p == nil || p.Profile == nil {
		return s.spec(false), ""
	}
	return p.Spec, p.Profile.Name
}

// trustLine says what the server's chain will be checked against: the
// form's choice, or the profile's when the form leaves trust alone.
func (s *composerScreen) trustLine() string {
	st := &s.sh.styles
	eff, profile := s.effective()
	var parts []string
	if eff.SystemRoots {
		parts = append(parts, "system roots")
	}
	for _, c := range eff.CAs {
		parts = append(parts, safetext.Line(c))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing")
	}
	line := strings.Join(parts, ", ")
	form := s.spec(false)
	if profile != "" && (eff.SystemRoots != form.SystemRoots || !slices.Equal(eff.CAs, form.CAs)) {
		line += st.dim.Render("  (from profile " + safetext.Line(profile) + ")")
	}
	return line + st.dim.Render("  (enter to choose)")
}
