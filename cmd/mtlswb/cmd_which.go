package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
)

func cmdWhich(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON object: the choice, its reason and every rule considered")
	env := fs.String("env", "", "decide as if environment `ENV` were active (default: the active one)")
	pos, err := c.parse(fs, args, "URL [--json] [--env ENV]")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "URL"); err != nil {
		return err
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	var envp *string
	if setFlags(fs)["env"] {
		envp = env
	}
	// which shows the profile decision send would take, problems and all.
	p, err := plan.Decide(c.ctx, plan.Input{Spec: workspace.RequestSpec{URL: pos[0]}, Env: envp},
		plan.Steps{Workspace: func(bool) (*workspace.Store, error) { return s, nil }})
	if p.Selection == nil {
		if err == nil {
			_, err = workspace.ParseTarget(pos[0]) // why no profile could match
		}
		return badInput(err)
	}
	sel := *p.Selection
	if *asJSON {
		if err := writeJSON(c.stdout, sel); err != nil {
			return err
		}
		if !sel.Matched {
			return &quietError{exitFailed}
		}
		return nil
	}
	renderSelection(c, sel)
	if !sel.Matched {
		return &hintError{
			err:   errors.New(sel.Reason + ": send would present no client certificate"),
			hints: []string{fmt.Sprintf("bind one: mtlswb profile add NAME --host %s --identity NAME", hostHint(sel.Target))},
		}
	}
	return nil
}

func hostHint(t workspace.Target) string {
	if t.Port == 443 {
		return t.Host
	}
	return t.String()
}

func renderSelection(c *cli, sel workspace.Selection) {
	w := c.stdout
	if sel.Matched {
		fmt.Fprintf(w, "%s uses profile %s (identity %s)\n", sel.Target, sel.Profile, safetext.Line(sel.Identity))
		fmt.Fprintf(w, "  why: %s\n", safetext.Line(sel.Reason))
		for _, p := range sel.Problems {
			fmt.Fprintf(w, "  problem: %s\n", safetext.Line(p))
		}
	} else {
		fmt.Fprintf(w, "%s uses no profile\n", sel.Target)
	}
	env := "none"
	if sel.ActiveEnv != "" {
		env = sel.ActiveEnv
	}
	fmt.Fprintf(w, "  active environment: %s\n", safetext.Line(env))
	if len(sel.Considered) == 0 {
		fmt.Fprintln(w, "  no profiles yet")
		return
	}
	fmt.Fprintln(w, "Rules considered, best first:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, cand := range sel.Considered {
		mark := "x"
		switch {
		case cand.Chosen:
			mark = "*"
		case cand.Matches:
			mark = "-"
		}
		env := ""
		if cand.Env != "" {
			env = "[" + cand.Env + "]"
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%s\t%s\n", mark, cand.Profile, cand.Pattern, env, safetext.Line(cand.Reason))
	}
	tw.Flush()
}

// explain prints the decisions a user must not miss, as the planner makes
// them: the profile used (so a certificate is never sent or withheld
// silently) and what `--identity auto` read from the server. identityGiven
// says the identity came from the flags, not the profile.
func (c *cli) explain(d plan.Decision, identityGiven bool) {
	w := c.stderr
	switch {
	case d.Kind == plan.KindProfile && d.Profile != nil:
		who := "identity " + d.Profile.Identity
		if identityGiven {
			who = "its trust and options; the identity from your flags"
		}
		fmt.Fprintf(w, "mtlswb: using profile %s (%s) for %s: %s\n", d.Profile.Name, safetext.Line(who), safetext.Line(d.Target), safetext.Line(d.Why))
	case d.Kind == plan.KindIdentity && d.Auto != nil:
		explainAuto(w, d.Auto)
	}
}

// explainAuto lists what the server's certificate request accepts and
// every candidate with its reason; an ambiguity or a misfit is then said
// by the error that follows.
func explainAuto(w io.Writer, ch *workspace.AutoChoice) {
	switch ch.Outcome {
	case workspace.AutoProbeFailed:
		fmt.Fprintf(w, "mtlswb: --identity auto: %s; the probe's report follows\n", safetext.Line(ch.Summary))
		return
	case workspace.AutoNotRequested:
		fmt.Fprintf(w, "mtlswb: --identity auto: %s; sending none\n", safetext.Line(ch.Summary))
		return
	}
	cas := "any (the server lists none)"
	if len(ch.AcceptableCAs) > 0 {
		cas = strings.Join(ch.AcceptableCAs, "; ")
	}
	fmt.Fprintf(w, "mtlswb: --identity auto: the server accepts certificates issued under: %s\n", safetext.Line(cas))
	if len(ch.SignatureSchemes) > 0 {
		fmt.Fprintf(w, "mtlswb: and signed with: %s\n", safetext.Line(strings.Join(ch.SignatureSchemes, ", ")))
	}
	for _, v := range ch.Candidates {
		mark := "no "
		if v.Accepted {
			mark = "fits"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, safetext.Line(v.Name), safetext.Line(v.Reason))
	}
	if ch.Outcome == workspace.AutoChosen {
		fmt.Fprintf(w, "mtlswb: --identity auto: %s\n", safetext.Line(ch.Summary))
	}
}

// planFailed turns a planning error into the CLI's: exit 2 for what was
// asked wrongly, hints as hint lines. When the auto probe failed, its
// report is the answer (exit 1).
func (c *cli) planFailed(p *plan.Plan, err error, asJSON bool) error {
	var pe *plan.Error
	if !errors.As(err, &pe) {
		return err
	}
	if pe.Step == plan.StepAuto && p.Auto != nil && p.Auto.Outcome == workspace.AutoProbeFailed {
		if err := c.printReport(*p.Probe, asJSON); err != nil {
			return err
		}
		return &quietError{exitFailed}
	}
	err = pe.Err
	if pe.BadInput {
		err = badInput(err)
	}
	if len(pe.Hints) > 0 {
		err = &hintError{err: err, hints: pe.Hints}
	}
	return err
}
