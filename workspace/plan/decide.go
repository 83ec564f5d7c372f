package plan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/mtlswb/mtlswb/workspace"
)

// Decide takes every decision of in: the profile, the identity (probing
// the server for `--identity auto`) and the trust. It resolves nothing and
// never unlocks; Resolve does that. On error the Plan holds what was decided
// until then.
func Decide(ctx context.Context, in Input, st Steps) (*Plan, error) {
	p := &Plan{Spec: in.Spec, in: in, steps: st}
	if err := checkInput(in); err != nil {
		return p, err
	}
	if err := p.chooseProfile(); err != nil {
		return p, err
	}
	p.addCANames()
	if err := p.chooseIdentity(ctx); err != nil {
		return p, err
	}
	p.explainTrust()
	return p, nil
}

// Preview is Decide without any I/O, from a selection already made (the
// TUI's live line under the URL): the profile, overrides, identity and
// trust as a send would decide them now, except what only the server can
// say. The error is the one a send would stop at.
func Preview(sel workspace.Selection, in Input) (*Plan, error) {
	p := &Plan{Spec: in.Spec, in: in}
	if err := checkInput(in); err != nil {
		return p, err
	}
	var err error
	if in.NoProfile {
		p.noProfile()
	} else {
		if sel.Chosen != nil && sel.Problems == nil {
			// A selection from a ProfileSet has not looked at the
			// workspace's records; what the profile itself lacks shows.
			if u := sel.Chosen.Unusable(); u != "" {
				sel.Problems = []string{u}
			}
		}
		err = p.applySelection(sel)
	}
	p.addCANames()
	if err == nil {
		err = p.chooseIdentity(context.Background())
	}
	p.explainTrust()
	return p, err
}

// checkInput refuses options that contradict each other before anything
// is read.
func checkInput(in Input) error {
	switch {
	case in.NoProfile && in.Profile != "":
		return badInput(StepInput, errors.New("--profile and --no-profile contradict each other: give one"))
	case in.Spec.Identity == IdentityAuto && (in.CertFile != "" || in.KeyFile != ""):
		return badInput(StepInput, errors.New("--identity auto picks from the workspace; it does not combine with --cert/--key"))
	case in.Spec.Identity != "" && (in.CertFile != "" || in.KeyFile != ""):
		return badInput(StepInput, errors.New("use either --identity or --cert/--key, not both"))
	case (in.CertFile == "") != (in.KeyFile == ""):
		return badInput(StepInput, errors.New("--cert and --key go together: give both (or --identity NAME)"))
	}
	return nil
}

// chooseProfile applies the profile --profile names, or the one matching
// the URL, to p.Spec, leaving alone what the user set.
func (p *Plan) chooseProfile() error {
	in := p.in
	if in.NoProfile {
		p.noProfile()
		return nil
	}
	s, err := p.workspace(false)
	if err != nil {
		return &Error{Step: StepProfile, Err: err}
	}
	if s == nil {
		if in.Profile != "" {
			return badInput(StepProfile, fmt.Errorf("--profile %s: there is no workspace to hold profiles; run `mtlswb init`", in.Profile))
		}
		p.decide(Decision{Kind: KindProfile, Source: SourceDefault, Why: "no profile: there is no workspace"})
		return nil
	}
	if in.Profile != "" {
		prof, err := s.Profile(in.Profile)
		if err != nil {
			return &Error{Step: StepProfile, Err: err}
		}
		if u := prof.Unusable(); u != "" && !in.Explicit.Identity {
			return badInput(StepProfile, errors.New(u))
		}
		p.apply(prof, SourceUser, in.Spec.URL, "as --profile asked")
		return nil
	}
	if _, err := workspace.ParseTarget(in.Spec.URL); err != nil {
		// A URL no profile can match is the engine's to explain.
		p.decide(Decision{Kind: KindProfile, Source: SourceDefault, Why: "no profile: " + err.Error()})
		return nil
	}
	sel, err := s.WhichIn(in.Spec.URL, in.Env)
	if err != nil {
		return &Error{Step: StepProfile, Err: err}
	}
	return p.applySelection(sel)
}

func (p *Plan) noProfile() {
	p.decide(Decision{Kind: KindProfile, Source: SourceUser, Why: "no profile: asked for none"})
}

// applySelection applies the winner of sel, refusing one that cannot be
// used unless the user chose the identity themselves.
func (p *Plan) applySelection(sel workspace.Selection) error {
	p.Selection = &sel
	if !sel.Matched {
		p.decide(Decision{Kind: KindProfile, Source: SourceDefault, Target: sel.Target.String(), Why: sel.Reason})
		return nil
	}
	if len(sel.Problems) > 0 && !p.in.Explicit.Identity {
		return badInput(StepProfile,
			fmt.Errorf("%s matches profile `%s`, which cannot be used: %s", sel.Target, sel.Profile, strings.Join(sel.Problems, "; ")),
			"fix the profile, or give --identity NAME (or --no-profile) to send without it")
	}
	p.apply(sel.Chosen, SourceProfile, sel.Target.String(), sel.Reason)
	return nil
}

// apply fills p.Spec from prof and records the profile and every field of
// the user's that the profile would have set otherwise.
func (p *Plan) apply(prof *workspace.Profile, src Source, target, why string) {
	p.Profile = prof
	p.decide(Decision{Kind: KindProfile, Choice: prof.Name, Source: src, Target: target, Why: why, Profile: prof})
	ex, spec := p.in.Explicit, p.Spec
	override := func(field, yours, theirs string) {
		if theirs != "" && yours != theirs {
			p.decide(Decision{Kind: KindOverride, Choice: field, Source: SourceUser,
				Why: fmt.Sprintf("%s: yours (%s) instead of profile %s's (%s)", field, orNone(yours), prof.Name, theirs)})
		}
	}
	if ex.Identity {
		yours := spec.Identity
		if p.in.CertFile != "" {
			yours = "--cert " + p.in.CertFile
		}
		override("identity", yours, prof.Identity)
	}
	if ex.Trust {
		override("trust", trustWords(append(slices.Clone(spec.CAs), p.in.CAs...), spec.SystemRoots),
			trustWords(prof.CAs, prof.SystemRoots))
	}
	if ex.ServerName {
		override("server name", spec.ServerName, prof.ServerName)
	}
	if ex.TLSMin {
		override("minimum TLS version", spec.TLSMin, prof.TLSMin)
	}
	if ex.TLSMax {
		override("maximum TLS version", spec.TLSMax, prof.TLSMax)
	}
	if ex.Timeout {
		override("timeout", spec.Timeout, prof.Timeout)
	}
	prof.ApplyTo(&p.Spec, ex)
}

// addCANames splits --ca values into files and workspace CA names; the
// names join the spec's.
func (p *Plan) addCANames() {
	p.caFiles = nil
	for _, ca := range p.in.CAs {
		if _, err := os.Stat(ca); err == nil {
			p.caFiles = append(p.caFiles, ca)
		} else if !slices.Contains(p.Spec.CAs, ca) {
			p.Spec.CAs = append(p.Spec.CAs, ca)
		}
	}
}

// chooseIdentity records where the identity comes from, and for
// IdentityAuto probes the server to choose it.
func (p *Plan) chooseIdentity(ctx context.Context) error {
	in, spec := p.in, p.Spec
	d := Decision{Kind: KindIdentity, Choice: spec.Identity, Source: SourceUser}
	switch {
	case in.Spec.Identity == IdentityAuto:
		if p.steps.Probe == nil {
			d.Why = "the server's certificate request will decide: a probe runs first"
			p.decide(d)
			return nil
		}
		return p.chooseAuto(ctx)
	case in.CertFile != "":
		d.Choice, d.Why = in.CertFile, "the certificate in the --cert file"
	case spec.Identity == "":
		d.Source, d.Why = SourceDefault, "no client certificate: none chosen, and no profile names one"
		if in.NoProfile {
			d.Source, d.Why = SourceUser, "no client certificate, whatever the profiles say"
		}
	case p.Profile != nil && !in.Explicit.Identity:
		d.Source, d.Why = SourceProfile, "profile "+p.Profile.Name+" names it"
	default:
		d.Why = "chosen by you"
	}
	p.decide(d)
	return nil
}

// chooseAuto probes the server with no certificate and every workspace
// identity as a candidate, and takes the one identity the server's
// certificate request accepts. Several that fit are an ambiguity the user
// must settle; none that fits is a failure.
func (p *Plan) chooseAuto(ctx context.Context) error {
	s, err := p.workspace(false)
	if err != nil {
		return &Error{Step: StepAuto, Err: err}
	}
	if s == nil {
		return badInput(StepAuto, errors.New("--identity auto picks from the workspace's identities, and there is no workspace: run `mtlswb init`"))
	}
	probe := p.Spec
	probe.Identity, probe.Probe, probe.Method, probe.Body, probe.Headers = "", true, "", "", nil
	req, err := p.resolveSpec(probe, nil)
	if err != nil {
		return err
	}
	rep := p.steps.Probe(ctx, req)
	ch := workspace.ChooseIdentity(rep)
	p.Auto, p.Probe = &ch, &rep
	p.decide(Decision{Kind: KindIdentity, Choice: ch.Chosen, Source: SourceServer, Why: ch.Summary, Auto: &ch})
	err = fmt.Errorf("--identity auto: %s", ch.Summary)
	switch ch.Outcome {
	case workspace.AutoChosen, workspace.AutoNotRequested:
		p.Spec.Identity = ch.Chosen
		return nil
	case workspace.AutoAmbiguous:
		return badInput(StepAuto, err)
	case workspace.AutoProbeFailed:
		return &Error{Step: StepAuto, Err: err}
	}
	return &Error{Step: StepAuto, Err: err,
		Hints: []string{"import or issue an identity under one of the CAs the server accepts, or ask its operator to accept yours"}}
}

// explainTrust records what the server's chain will be verified against.
func (p *Plan) explainTrust() {
	spec := p.Spec
	all := append(slices.Clone(spec.CAs), p.caFiles...)
	d := Decision{Kind: KindTrust, Choice: trustWords(all, spec.SystemRoots), Source: SourceUser}
	switch {
	case len(all) == 0:
		d.Choice, d.Source = "system roots", SourceDefault
		d.Why = "no CA given: the system's roots, as any client would"
		if spec.SystemRoots && p.Profile != nil && !p.in.Explicit.Trust {
			d.Source, d.Why = SourceProfile, "profile "+p.Profile.Name+" trusts the system's roots"
		}
	case p.Profile != nil && !p.in.Explicit.Trust:
		d.Source, d.Why = SourceProfile, "profile "+p.Profile.Name+"'s CAs"
	default:
		d.Why = "the CAs you chose"
	}
	if spec.Insecure {
		d.Why += "; --insecure: a failed verification is reported, not fatal"
	}
	p.decide(d)
}

// trustWords names a trust setting: the CAs, then the system roots.
func trustWords(cas []string, systemRoots bool) string {
	words := slices.Clone(cas)
	if systemRoots {
		words = append(words, "system roots")
	}
	return strings.Join(words, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
