package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
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
	// planDecidedMsg carries what the planner decided for a send (the
	// profile, the identity, for auto after probing the server); id ties
	// it to the request in flight.
	planDecidedMsg struct {
		id   int
		plan *plan.Plan
		err  error
	}
)

func loadProfilesCmd(s *workspace.Store) tea.Cmd {
	return func() tea.Msg {
		set, err := s.Profiles()
		return profilesLoadedMsg{set: set, err: err}
	}
}

// decideCmd runs the planner's decisions for in: the profile from the
// workspace as it is now, and for an auto identity the probe, as
// `--identity auto` does. It needs no keys: the probe's candidates are
// public, and the key is unlocked once the identity is known.
func decideCmd(ctx context.Context, s *workspace.Store, engine func(context.Context, tlsengine.Request) tlsengine.Report, id int, in plan.Input) tea.Cmd {
	return func() tea.Msg {
		p, err := plan.Decide(ctx, in, plan.Steps{
			Workspace: func(bool) (*workspace.Store, error) { return s, nil },
			Probe:     engine,
		})
		return planDecidedMsg{id: id, plan: p, err: err}
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

// whichLine is the live answer to `mtlswb which URL` under the URL: the
// planner's profile decision for the form as it is.
func (s *composerScreen) whichLine() string {
	sel, ok := s.selection()
	if !ok {
		return ""
	}
	if !sel.Matched {
		return "no profile matches " + sel.Target.String()
	}
	line := fmt.Sprintf("profile %s (identity %s): %s", safetext.Line(sel.Profile), safetext.Line(sel.Identity), safetext.Line(sel.Reason))
	p, err := plan.Preview(sel, s.planInput(s.spec(false)))
	if err != nil {
		return line // the pre-flight warnings say why it cannot be used
	}
	switch d, _ := p.Find(plan.KindIdentity); {
	case s.identity == identityNone:
		line += "; not used: " + d.Why
	case d.Source != plan.SourceProfile:
		line += "; the identity chosen here wins"
	}
	return line
}

// planInput is what the form asks for. The identity counts as set unless
// the profile is to choose it; trust counts as set once it differs from
// the form's default (system roots only); "none" uses no profile at all.
func (s *composerScreen) planInput(spec workspace.RequestSpec) plan.Input {
	return plan.Input{
		Spec: spec,
		Explicit: workspace.ExplicitFields{
			Identity:   s.identity != identityByProfile,
			Trust:      len(spec.CAs) > 0 || !spec.SystemRoots,
			ServerName: spec.ServerName != "",
			TLSMin:     spec.TLSMin != "",
			TLSMax:     spec.TLSMax != "",
			Timeout:    spec.Timeout != "" && spec.Timeout != defaultTimeout,
		},
		NoProfile: s.identity == identityNone,
	}
}

// decided acts on the planner's decisions: send with the identity decided,
// or say why not. A failed auto probe, or a probe that could not be
// prepared, is the answer itself: the inspector shows its report.
func (s *composerScreen) decided(msg planDecidedMsg) tea.Cmd {
	if !s.sending || msg.id != s.reqID {
		return nil // cancelled or superseded
	}
	p := msg.plan
	if p.Auto != nil {
		s.markIdentities(p.Auto.Candidates)
	}
	var pe *plan.Error
	errors.As(msg.err, &pe)
	switch {
	case pe != nil && pe.Step == plan.StepResolve:
		id, spec, rep := msg.id, p.Spec, resolveFailure(p.Spec, msg.err)
		return func() tea.Msg { return reportReceivedMsg{id: id, spec: spec, report: rep} }
	case pe != nil && p.Auto != nil && p.Auto.Outcome == workspace.AutoProbeFailed:
		id, probe, rep := msg.id, p.Spec, *p.Probe
		probe.Probe = true
		return func() tea.Msg { return reportReceivedMsg{id: id, spec: probe, report: rep} }
	}
	s.stopSending()
	if pe != nil && pe.Step == plan.StepAuto {
		s.sh.host.setError(autoRefused(p.Auto))
		return nil
	}
	if msg.err != nil {
		s.sh.host.setError(msg.err)
		return nil
	}
	if d, ok := p.Find(plan.KindProfile); ok && d.Profile != nil {
		s.sh.host.setInfo(safetext.Line(fmt.Sprintf("using profile %s for %s", d.Choice, d.Target)))
	}
	note := ""
	if p.Auto != nil {
		note = "auto: " + safetext.Line(p.Auto.Summary)
		s.sh.host.setInfo(note)
	}
	return s.start(p, note)
}

// autoRefused says why auto chose no identity, with the reason of every
// candidate that does not fit.
func autoRefused(ch *workspace.AutoChoice) error {
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
	return fmt.Errorf("%s; the identity list marks what the server accepts", safetext.Line(text))
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
