// Package plan turns what the user asked for into the request the engine
// sends, and says why at every step. It is the one path both front ends take:
// `send`, `probe` and `which` in the CLI, the composer in the TUI, and the
// demo's self-check.
//
// A request goes through these steps, each recorded as a Decision:
//
//  1. the profile: the one --profile names, the one matching the URL, or
//     none; its fields fill what the user left unset (overrides recorded);
//  2. the identity: the user's, the profile's, a --cert file, or for
//     `--identity auto` the one the server's certificate request accepts,
//     found by a probe;
//  3. the trust: workspace CAs, CA files, the system's roots;
//  4. resolving: names become certificates and keys, files are read.
//
// The steps that reach outside are injected (Steps): opening the workspace,
// running the probe, and unlocking the keys, which is asked for only when
// an identity's private key is about to be decrypted. A front end that asks
// for the passphrase in its own time (the TUI's modal) calls Decide, then
// Resolve once it holds the keys; the CLI calls Make, which does both.
//
// plan imports workspace and tlsengine and never tui or cmd; tlsengine
// never imports plan.
package plan

import (
	"context"
	"errors"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/workspace"
)

// IdentityAuto is the identity that asks the server which of the
// workspace's identities it accepts. An identity literally named "auto"
// can still be used through a profile.
const IdentityAuto = "auto"

// Input is what the user asked for.
type Input struct {
	// Spec is the request as typed or saved, with workspace names. Its
	// Identity may be IdentityAuto.
	Spec workspace.RequestSpec
	// Explicit says which fields of Spec the user set; a profile leaves
	// them alone.
	Explicit workspace.ExplicitFields
	// Profile forces that profile whatever the host; NoProfile uses none.
	Profile   string
	NoProfile bool
	// Env decides as if that environment were active (nil: the
	// workspace's own choice).
	Env *string
	// CertFile and KeyFile present a certificate read from files instead
	// of a workspace identity; KeyPassphrase answers for an encrypted one.
	CertFile, KeyFile string
	KeyPassphrase     certfile.PassphraseFunc
	// CAs are --ca values: a file when one exists at that path, else the
	// name of a workspace CA. They add to Spec.CAs.
	CAs []string
}

// Steps are the parts of planning that reach outside the process.
type Steps struct {
	// Workspace opens the workspace. With need false it may answer (nil,
	// nil) when there is none: profiles and diagnosis hints are optional.
	// With need true a name must be resolved, and a missing workspace is
	// an error that says how to make one.
	Workspace func(need bool) (*workspace.Store, error)
	// Probe runs the `--identity auto` probe (tlsengine.Run, or a fake).
	// Nil leaves an auto identity undecided.
	Probe func(context.Context, tlsengine.Request) tlsengine.Report
	// Unlock returns the workspace keys. It is called at most once, and
	// only when an identity's private key is needed.
	Unlock Unlock
	// Decided, when set, sees each decision as it is made, so a front end
	// can say which profile it uses before a passphrase prompt.
	Decided func(Decision)
}

// Unlock returns the keys of the workspace s.
type Unlock func(s *workspace.Store) (*workspace.Keys, error)

// Plan is a request decided and (after Resolve) resolved.
type Plan struct {
	// Spec is the request as decided: the profile's fields applied, the
	// identity chosen, --ca names added. History records it.
	Spec workspace.RequestSpec `json:"spec"`
	// Decisions explain every choice, in the order it was made.
	Decisions []Decision `json:"decisions"`
	// Request is the engine request, set by Resolve.
	Request tlsengine.Request `json:"-"`
	// Selection is the profile selection for the URL, when one was made.
	Selection *workspace.Selection `json:"-"`
	// Profile is the profile applied, nil when none.
	Profile *workspace.Profile `json:"-"`
	// Auto is the `--identity auto` decision and Probe the report it
	// was read from.
	Auto  *workspace.AutoChoice `json:"-"`
	Probe *tlsengine.Report     `json:"-"`
	// Store is the workspace the plan used, nil when it needed none.
	Store *workspace.Store `json:"-"`

	in      Input
	steps   Steps
	caFiles []string
	looked  bool // Steps.Workspace answered; nil Store means there is none
}

// Kind is what a decision is about.
type Kind string

const (
	KindProfile  Kind = "profile"
	KindOverride Kind = "override" // a field of the user's that a profile would have set
	KindIdentity Kind = "identity"
	KindTrust    Kind = "trust"
)

// Source says where a decision's choice came from.
type Source string

const (
	SourceUser    Source = "user" // a flag, or the composer's form
	SourceProfile Source = "profile"
	SourceServer  Source = "server" // the auto probe read the server's certificate request
	SourceDefault Source = "default"
)

// Decision is one line of the explanation.
type Decision struct {
	Kind Kind `json:"kind"`
	// Choice is what was decided: a profile, identity or CA name, a file,
	// a field; "" for none.
	Choice string `json:"choice,omitempty"`
	Source Source `json:"source"`
	// Target is what a profile decision is for: the host:port matched, or
	// the URL as given with --profile.
	Target string `json:"target,omitempty"`
	// Why says why, in words fit for the user.
	Why string `json:"why"`
	// Profile is the profile applied (KindProfile with a Choice).
	Profile *workspace.Profile `json:"-"`
	// Auto is the server's certificate request as the auto probe read it
	// (KindIdentity from SourceServer).
	Auto *workspace.AutoChoice `json:"-"`
}

// Step names where planning failed.
type Step string

const (
	StepInput   Step = "input"   // options that contradict each other
	StepProfile Step = "profile" // the profile asked for or matched cannot be used
	StepAuto    Step = "auto"    // the auto probe decided on no identity
	StepResolve Step = "resolve" // a name, file or option does not resolve
)

// Error is a failed planning step. The workspace is never changed by
// planning, so every Error leaves it as it was.
type Error struct {
	Step Step
	// BadInput: what was asked cannot be planned as given (a usage
	// mistake, a name or file that does not fit); the CLI exits 2.
	BadInput bool
	// Hints say what to do, one line each.
	Hints []string
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func badInput(step Step, err error, hints ...string) *Error {
	return &Error{Step: step, BadInput: true, Err: err, Hints: hints}
}

// Make decides and resolves in: the one call of a front end that can ask
// for the passphrase from inside Steps.Unlock. It also checks that the
// engine can send the request (tlsengine.Request.Validate). On error the
// Plan holds what was decided until then.
func Make(ctx context.Context, in Input, st Steps) (*Plan, error) {
	p, err := Decide(ctx, in, st)
	if err != nil {
		return p, err
	}
	if err := p.Resolve(st.Unlock); err != nil {
		return p, err
	}
	if err := p.Request.Validate(); err != nil {
		return p, badInput(StepResolve, err)
	}
	return p, nil
}

// NeedsKey reports whether resolving p decrypts an identity's private key.
func (p *Plan) NeedsKey() bool {
	return p.Spec.Identity != "" && p.Spec.Identity != IdentityAuto
}

// Find returns the first decision of kind, if any.
func (p *Plan) Find(kind Kind) (Decision, bool) {
	for _, d := range p.Decisions {
		if d.Kind == kind {
			return d, true
		}
	}
	return Decision{}, false
}

func (p *Plan) decide(d Decision) {
	p.Decisions = append(p.Decisions, d)
	if p.steps.Decided != nil {
		p.steps.Decided(d)
	}
}

// workspace opens the workspace once and keeps it; see Steps.Workspace.
func (p *Plan) workspace(need bool) (*workspace.Store, error) {
	if p.Store != nil || (p.looked && !need) {
		return p.Store, nil
	}
	if p.steps.Workspace == nil {
		if need {
			return nil, errors.New("this request names workspace records, and there is no workspace")
		}
		return nil, nil
	}
	s, err := p.steps.Workspace(need)
	p.looked = true
	if err != nil {
		return nil, err
	}
	p.Store = s
	return s, nil
}
