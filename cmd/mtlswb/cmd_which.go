package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// autoIdentity is the --identity value that picks an identity from the
// server's certificate request. An identity literally named "auto" can
// still be used through a profile, or after `mtlswb rename auto NEW`.
const autoIdentity = "auto"

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
	sel, err := s.WhichIn(pos[0], envp)
	if err != nil {
		return badInput(err)
	}
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

// chooseProfile applies the profile that matches the request's URL (or the
// one --profile names) to spec, leaving alone what flags set explicitly.
// It says on stderr which profile it used, so a certificate is never sent
// or withheld silently.
func (c *cli) chooseProfile(spec *workspace.RequestSpec, tf *tlsFlags) error {
	if tf.noProfile {
		if tf.profile != "" {
			return usagef("--profile and --no-profile contradict each other: give one")
		}
		return nil
	}
	explicit := workspace.ExplicitFields{
		Identity:   tf.set["identity"] || tf.set["cert"],
		Trust:      tf.set["ca"] || tf.set["cacert"] || tf.set["system-roots"],
		ServerName: tf.set["servername"],
		TLSMin:     tf.set["tls-min"],
		TLSMax:     tf.set["tls-max"],
		Timeout:    tf.set["timeout"],
	}
	path, err := c.path()
	if err != nil || !workspace.Exists(path) {
		if tf.profile != "" {
			return usagef("--profile %s: there is no workspace to hold profiles; run `mtlswb init`", tf.profile)
		}
		return nil
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	var p *workspace.Profile
	var why, target string
	if tf.profile != "" {
		if p, err = s.Profile(tf.profile); err != nil {
			return err
		}
		if u := p.Unusable(); u != "" && !explicit.Identity {
			return badInput(errors.New(u))
		}
		why, target = "as --profile asked", spec.URL
	} else {
		sel, err := s.Which(spec.URL)
		if err != nil || !sel.Matched {
			// A URL Which cannot read is the engine's to explain.
			return nil
		}
		if len(sel.Problems) > 0 && !explicit.Identity {
			return &hintError{
				err:   badInput(fmt.Errorf("%s matches profile `%s`, which cannot be used: %s", sel.Target, sel.Profile, strings.Join(sel.Problems, "; "))),
				hints: []string{"fix the profile, or give --identity NAME (or --no-profile) to send without it"},
			}
		}
		p, why, target = sel.Chosen, sel.Reason, sel.Target.String()
	}
	p.ApplyTo(spec, explicit)
	who := "identity " + p.Identity
	if explicit.Identity {
		who = "its trust and options; the identity from your flags"
	}
	fmt.Fprintf(c.stderr, "mtlswb: using profile %s (%s) for %s: %s\n", p.Name, safetext.Line(who), safetext.Line(target), safetext.Line(why))
	return nil
}

// chooseAutoIdentity probes the server with no certificate and every
// workspace identity as a candidate, and sets spec.Identity to the one
// identity the server's certificate request accepts. Several that fit are
// an ambiguity the user must settle (exit 2); none that fits is a failure
// (exit 1). Either way every candidate is listed with its reason.
func (c *cli) chooseAutoIdentity(spec *workspace.RequestSpec, tf *tlsFlags) error {
	if tf.certFile != "" || tf.keyFile != "" {
		return usagef("--identity auto picks from the workspace; it does not combine with --cert/--key")
	}
	path, err := c.path()
	if err != nil || !workspace.Exists(path) {
		return usagef("--identity auto picks from the workspace's identities, and there is no workspace: run `mtlswb init`")
	}
	probe := *spec
	probe.Identity, probe.Probe, probe.Method, probe.Body, probe.Headers = "", true, "", "", nil
	ptf := *tf
	ptf.identity = ""
	req, store, err := c.resolve(probe, &ptf)
	if err != nil {
		return err
	}
	if store == nil {
		return usagef("--identity auto needs the workspace")
	}
	rep := tlsengine.Run(c.ctx, req)
	ch := workspace.ChooseIdentity(rep)
	w := c.stderr
	if ch.Outcome == workspace.AutoProbeFailed {
		fmt.Fprintf(w, "mtlswb: --identity auto: %s; the probe's report follows\n", safetext.Line(ch.Summary))
		if tf.asJSON {
			if err := writeJSON(c.stdout, rep); err != nil {
				return err
			}
		} else {
			renderReport(c.stdout, rep, c.colour(c.stdout))
		}
		return &quietError{exitFailed}
	}
	if ch.Outcome == workspace.AutoNotRequested {
		fmt.Fprintf(w, "mtlswb: --identity auto: %s; sending none\n", safetext.Line(ch.Summary))
		spec.Identity = ""
		return nil
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
	switch ch.Outcome {
	case workspace.AutoChosen:
		fmt.Fprintf(w, "mtlswb: --identity auto: %s\n", safetext.Line(ch.Summary))
		spec.Identity = ch.Chosen
		return nil
	case workspace.AutoAmbiguous:
		return badInput(fmt.Errorf("--identity auto: %s", ch.Summary))
	}
	return &hintError{
		err:   fmt.Errorf("--identity auto: %s", ch.Summary),
		hints: []string{"import or issue an identity under one of the CAs the server accepts, or ask its operator to accept yours"},
	}
}
