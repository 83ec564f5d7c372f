package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// The composer's identity field holds an identity name or one of these.
// The zero value follows the CLI: with no identity chosen, the profile
// matching the URL decides. The others cannot collide with a record name:
// ValidateName refuses NUL.
const (
	identityByProfile = ""
	identityNone      = "\x00none"
	identityAuto      = "\x00auto"
)

type (
	// profilesLoadedMsg carries the profiles for the composer's live
	// "which" line.
	profilesLoadedMsg struct {
		set workspace.ProfileSet
		err error
	}
	// autoChosenMsg answers the probe of an "auto" identity; id ties it to
	// the request in flight, spec is the request to send once decided.
	autoChosenMsg struct {
		id     int
		spec   workspace.RequestSpec
		choice workspace.AutoChoice
		report tlsengine.Report
	}
)

func loadProfilesCmd(s *workspace.Store) tea.Cmd {
	return func() tea.Msg {
		set, err := s.Profiles()
		return profilesLoadedMsg{set: set, err: err}
	}
}

// autoProbeCmd probes the server with no certificate and every workspace
// identity as a candidate, and lets workspace.ChooseIdentity decide, as
// `--identity auto` does. It needs no keys: candidates are public.
func autoProbeCmd(ctx context.Context, s *workspace.Store, engine func(context.Context, tlsengine.Request) tlsengine.Report, id int, spec workspace.RequestSpec) tea.Cmd {
	return func() tea.Msg {
		probe := spec
		probe.Identity, probe.Probe, probe.Method, probe.Body, probe.Headers = "", true, "", "", nil
		req, err := s.Resolve(nil, probe)
		if err != nil {
			return reportReceivedMsg{id: id, spec: probe, report: resolveFailure(probe, err)}
		}
		rep := engine(ctx, req)
		return autoChosenMsg{id: id, spec: spec, choice: workspace.ChooseIdentity(rep), report: rep}
	}
}

// loadProfiles asks for the profiles again after the workspace changed.
func (s *composerScreen) loadProfiles() tea.Cmd {
	if !s.profilesStale || s.sh.store == nil {
		return nil
	}
	s.profilesStale = false
	return loadProfilesCmd(s.sh.store)
}

func (s *composerScreen) setProfiles(msg profilesLoadedMsg) {
	if msg.err != nil {
		s.sh.host.setError(msg.err)
		return
	}
	s.profiles = msg.set
	s.which = whichCache{}
}

// whichCache keeps the last selection: a render asks for it three times,
// and with 1,000 profiles one Select takes about 4 ms.
type whichCache struct {
	url string
	sel workspace.Selection
	ok  bool
	set bool
}

// selection is the profile the URL now typed would use; ok is false when
// there are no profiles or the URL is not one a profile can match yet.
func (s *composerScreen) selection() (workspace.Selection, bool) {
	if len(s.profiles.Profiles) == 0 {
		return workspace.Selection{}, false
	}
	u := strings.TrimSpace(s.url.Value())
	if s.which.set && s.which.url == u {
		return s.which.sel, s.which.ok
	}
	sel, err := s.profiles.Select(u)
	s.which = whichCache{url: u, sel: sel, ok: err == nil, set: true}
	return sel, err == nil
}

// whichLine is the live answer to `mtlswb which URL` under the URL.
func (s *composerScreen) whichLine() string {
	sel, ok := s.selection()
	if !ok {
		return ""
	}
	if !sel.Matched {
		return "no profile matches " + sel.Target.String()
	}
	line := fmt.Sprintf("profile %s (identity %s): %s", safetext.Line(sel.Profile), safetext.Line(sel.Identity), safetext.Line(sel.Reason))
	if s.identity != identityByProfile {
		line += "; the identity chosen here wins"
	}
	return line
}

// explicitFields says which parts of spec the user set in the form, so the
// profile leaves them alone. Trust counts as set once it differs from the
// form's default (system roots only).
func (s *composerScreen) explicitFields(spec workspace.RequestSpec) workspace.ExplicitFields {
	return workspace.ExplicitFields{
		Identity:   s.identity != identityByProfile,
		Trust:      len(spec.CAs) > 0 || !spec.SystemRoots,
		ServerName: spec.ServerName != "",
		TLSMin:     spec.TLSMin != "",
		TLSMax:     spec.TLSMax != "",
		Timeout:    spec.Timeout != "" && spec.Timeout != defaultTimeout,
	}
}

// withProfile applies the matching profile to spec; it fails when that
// profile cannot be used as it is.
func (s *composerScreen) withProfile(spec workspace.RequestSpec) (workspace.RequestSpec, string, error) {
	sel, ok := s.selection()
	if !ok || !sel.Matched || s.identity == identityNone {
		return spec, "", nil
	}
	if u := sel.Chosen.Unusable(); u != "" && s.identity == identityByProfile {
		return spec, "", fmt.Errorf("%s", u)
	}
	sel.Chosen.ApplyTo(&spec, s.explicitFields(spec))
	return spec, fmt.Sprintf("using profile %s for %s", sel.Profile, sel.Target), nil
}

// autoChosen acts on the auto probe: send with the one identity that fits,
// or report the ambiguity or the misfit with every candidate marked.
func (s *composerScreen) autoChosen(msg autoChosenMsg) tea.Cmd {
	if !s.sending || msg.id != s.reqID {
		return nil // cancelled or superseded
	}
	ch := msg.choice
	s.markIdentities(ch.Candidates)
	spec := msg.spec
	switch ch.Outcome {
	case workspace.AutoChosen, workspace.AutoNotRequested:
		spec.Identity = ch.Chosen
		s.stopSending()
		note := "auto: " + safetext.Line(ch.Summary)
		s.sh.host.setInfo(note)
		return s.start(spec, note)
	case workspace.AutoProbeFailed:
		// The probe's report explains the failure; the inspector shows it
		// as the answer to this request.
		id, probe, rep := msg.id, spec, msg.report
		probe.Probe = true
		return func() tea.Msg { return reportReceivedMsg{id: id, spec: probe, report: rep} }
	}
	s.stopSending()
	var why []string
	for _, v := range ch.Candidates {
		if !v.Accepted {
			why = append(why, safetext.Line(v.Name)+": "+safetext.Line(v.Reason))
		}
	}
	text := "auto: " + ch.Summary
	if ch.Outcome == workspace.AutoNoneFits && len(why) > 0 {
		text += " (" + strings.Join(why, "; ") + ")"
	}
	s.sh.host.setError(fmt.Errorf("%s; the identity list marks what the server accepts", safetext.Line(text)))
	return nil
}

func (s *composerScreen) stopSending() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.sending = false
}

// specialIdentity reports whether v is one of the choices above rather
// than a record name.
func specialIdentity(v string) bool {
	return v == identityByProfile || v == identityNone || v == identityAuto
}

// withNote puts note first among the warnings of the report cmd answers
// with, so the inspector says how the identity was chosen.
func withNote(cmd tea.Cmd, note string) tea.Cmd {
	if note == "" {
		return cmd
	}
	return func() tea.Msg {
		msg := cmd()
		if r, ok := msg.(reportReceivedMsg); ok {
			r.report.Warnings = append([]string{note}, r.report.Warnings...)
			return r
		}
		return msg
	}
}
