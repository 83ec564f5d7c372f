package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
)

// tlsFlags are the flags send and probe share.
type tlsFlags struct {
	identity, certFile, keyFile string
	cas                         stringList
	systemRoots, insecure       bool
	serverName, tlsMin, tlsMax  string
	timeout                     string
	asJSON                      bool
	passFile                    string
	profile                     string
	noProfile                   bool
	set                         map[string]bool // the flags given, which a profile must not override
	diag                        *diagFlags
}

func addTLSFlags(fs *flag.FlagSet) *tlsFlags {
	f := &tlsFlags{}
	fs.StringVar(&f.identity, "identity", "", "present the workspace identity `NAME`; auto: the one the server's certificate request accepts")
	fs.StringVar(&f.certFile, "cert", "", "present the certificate in `FILE` (with --key; no workspace needed)")
	fs.StringVar(&f.keyFile, "key", "", "the private key `FILE` for --cert")
	fs.StringVar(&f.passFile, "pass-file", "", "passphrase `FILE` for an encrypted --cert/--key")
	fs.Var(&f.cas, "ca", "trust the workspace CA `NAME` or the CA certificates in FILE (repeatable)")
	fs.Var(&f.cas, "cacert", "alias of --ca, for curl users")
	fs.BoolVar(&f.systemRoots, "system-roots", false, "also trust the system's root CAs (the default only when no --ca is given)")
	fs.BoolVar(&f.insecure, "insecure", false, "do not fail on server certificate problems (they are still reported)")
	fs.StringVar(&f.serverName, "servername", "", "SNI and name to verify, instead of the URL's host")
	fs.StringVar(&f.tlsMin, "tls-min", "", "minimum TLS `version`: 1.2 or 1.3")
	fs.StringVar(&f.tlsMax, "tls-max", "", "maximum TLS `version`: 1.2 or 1.3")
	fs.StringVar(&f.timeout, "timeout", "10s", "give up after this `duration`")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as one JSON object")
	fs.StringVar(&f.profile, "profile", "", "use profile `NAME` whatever the host (default: the profile matching the URL)")
	fs.BoolVar(&f.noProfile, "no-profile", false, "use no profile, only the flags given")
	f.diag = addDiagFlags(fs)
	return f
}

func cmdSend(c *cli, args []string) error {
	fs := c.flags()
	tf := addTLSFlags(fs)
	method := fs.String("X", "", "HTTP `method` (default GET, or POST with -d)")
	var headers stringList
	fs.Var(&headers, "H", "request header 'Name: value' (repeatable)")
	maxBody := sizeFlag(fs, "max-body", defaultMaxBody, "largest request body read from -d @FILE (`SIZE`: bytes, or with K, M, G)")
	maxResponse := sizeFlag(fs, "max-response", defaultMaxBody, "largest response body read, unless -o saves it (`SIZE`: bytes, or with K, M, G); a longer one is cut, with a warning")
	follow := fs.Bool("follow", false, "follow redirects (by default they are reported, not followed)")
	proxy := fs.String("proxy", "", "send through an HTTP CONNECT proxy `URL`")
	pf := addProtoFlags(fs)
	cf := addCurlFlags(fs, tf, method, &headers, follow, proxy)
	pos, err := c.parse(fs, expandShortFlags(fs, args), "[--identity NAME|auto | --cert FILE[:PASS] [--key FILE]] [--ca NAME|FILE]... [--profile NAME | --no-profile] [flags] URL")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "URL"); err != nil {
		return err
	}
	tf.set = setFlags(fs)
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(pos[0])), "https://") {
		cf.user, pf.user = pf.user, "" // curl's USER:PASSWORD, see addCurlFlags
	}
	if err := cf.apply(tf.set, int64(*maxBody)); err != nil {
		return err
	}
	in := tf.input(pos[0], cf.keyPassphrase(c.importPassphrase(tf.passFile)))
	in.Spec.Method, in.Spec.Headers, in.Spec.Body, in.Spec.Follow, in.Spec.Proxy = *method, headers, cf.body, *follow, *proxy
	pf.apply(&in.Spec)
	return c.attempt(in, tf, sendOptions{asJSON: tf.asJSON, output: cf.output,
		include: cf.include, silent: cf.silent || cf.showError, verbose: cf.verbose, maxResponse: int64(*maxResponse)})
}

func cmdProbe(c *cli, args []string) error {
	fs := c.flags()
	tf := addTLSFlags(fs)
	starttls := fs.String("starttls", "", "speak `PROTO`'s plaintext preamble first, as openssl s_client -starttls (postgres, mysql, smtp, imap, pop3, ldap, ftp, xmpp)")
	pos, err := c.parse(fs, args, "[--identity NAME|auto | --cert FILE --key FILE] [--ca NAME|FILE]... [--profile NAME | --no-profile] [--starttls PROTO] [flags] HOST:PORT|URL")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "HOST:PORT"); err != nil {
		return err
	}
	tf.set = setFlags(fs)
	target := pos[0]
	if *starttls != "" {
		if target, err = starttlsURL(*starttls, target); err != nil {
			return err
		}
	}
	in := tf.input(target, c.importPassphrase(tf.passFile))
	in.Spec.Probe = true
	return c.attempt(in, tf, sendOptions{asJSON: tf.asJSON})
}

// input is what the flags ask for: the spec, which fields were given (a
// profile must not override them) and the CLI's extras.
func (f *tlsFlags) input(url string, keyPass certfile.PassphraseFunc) plan.Input {
	if f.certFile != "" && f.keyFile == "" {
		// A PEM bundle or a PKCS#12 file holds the key too, as curl expects.
		f.keyFile = f.certFile
	}
	return plan.Input{
		Spec: workspace.RequestSpec{
			URL: url, Identity: f.identity, SystemRoots: f.systemRoots, ServerName: f.serverName,
			TLSMin: f.tlsMin, TLSMax: f.tlsMax, Insecure: f.insecure, Timeout: f.timeout,
		},
		Explicit: workspace.ExplicitFields{
			Identity:   f.set["identity"] || f.set["cert"],
			Trust:      f.set["ca"] || f.set["cacert"] || f.set["system-roots"],
			ServerName: f.set["servername"],
			TLSMin:     f.set["tls-min"],
			TLSMax:     f.set["tls-max"],
			Timeout:    f.set["timeout"],
		},
		Profile: f.profile, NoProfile: f.noProfile,
		CertFile: f.certFile, KeyFile: f.keyFile, KeyPassphrase: keyPass,
		CAs: f.cas,
	}
}

// attempt plans the request (profile, identity, trust), runs it, prints
// the report and keeps it in the workspace history when a workspace was
// used. The plan's decisions reach stderr as they are made.
func (c *cli) attempt(in plan.Input, tf *tlsFlags, o sendOptions) error {
	routes, err := tf.diag.routes(in.Spec.URL)
	if err != nil {
		return err
	}
	steps := c.planSteps(in.Explicit.Identity)
	identity := ""
	decided := steps.Decided
	steps.Decided = func(d plan.Decision) {
		if d.Kind == plan.KindIdentity {
			identity = d.Choice
		}
		decided(d)
	}
	// A passphrase typed for a request that then fails at DNS or TCP is
	// asked for nothing: when unlocking would prompt, the server is
	// reached first, and a failure there is the report.
	steps.Unlock = func(s *workspace.Store) (*workspace.Keys, error) {
		if c.wouldPrompt(s) {
			spec := in.Spec
			spec.Identity = identity
			if req, err := spec.Request(); err == nil {
				req.ClientName, req.Routes = identity, routes
				if rep := tlsengine.Reach(c.ctx, req); rep != nil {
					return nil, &unreachableError{rep: *rep}
				}
			}
		}
		return c.unlock(s)
	}
	p, err := plan.Make(c.ctx, in, steps)
	var unreachable *unreachableError
	if errors.As(err, &unreachable) {
		return c.finishAttempt(p, unreachable.rep, nil, o)
	}
	if err != nil {
		return c.planFailed(p, err, o.asJSON)
	}
	tf.diag.apply(&p.Request, routes, c.revocationCacheDir())
	if err := p.Request.Validate(); err != nil {
		return badInput(err)
	}
	body, err := o.openBody()
	if err != nil {
		return err
	}
	p.Request.BodyTo, p.Request.MaxResponse = body.writer(), o.maxResponse
	return c.finishAttempt(p, tlsengine.Run(c.ctx, p.Request), body, o)
}

// unreachableError ends planning when the server could not be reached
// before a passphrase prompt; rep says why.
type unreachableError struct{ rep tlsengine.Report }

func (e *unreachableError) Error() string {
	return "the server cannot be reached: " + e.rep.Failure.Summary
}

// wouldPrompt reports whether unlocking s would ask at the terminal. It
// takes the agent's keys on the way when the agent holds them.
func (c *cli) wouldPrompt(s *workspace.Store) bool {
	if c.keys != nil || !s.Encrypted() || c.getenv("MTLSWB_PASSPHRASE") != "" || c.passphraseFile != "" {
		return false
	}
	if keys := c.agentKeys(s); keys != nil {
		c.keys = keys
		return false
	}
	return true
}

// finishAttempt keeps rep in history, delivers the body, prints the report
// and sets the exit code.
func (c *cli) finishAttempt(p *plan.Plan, rep tlsengine.Report, body *bodyFile, o sendOptions) error {
	if p.Store != nil {
		// A busy workspace must not turn a finished request into a
		// failure, so it only warns.
		if _, err := p.Store.Remember(p.Spec, rep, time.Time{}); err != nil {
			fmt.Fprintf(c.stderr, "warning: the attempt was not saved in history: %s\n", safetext.Line(err.Error()))
		}
	}
	if err := c.deliver(body, rep, o); err != nil {
		return err
	}
	if err := c.report(rep, o); err != nil {
		return err
	}
	if !rep.OK {
		return &quietError{exitFailed}
	}
	if rep.Unjudged != nil {
		return &quietError{exitUnjudged}
	}
	return nil
}

func (c *cli) printReport(rep tlsengine.Report, asJSON bool) error {
	return c.printReportTo(c.stdout, rep, asJSON)
}

func (c *cli) printReportTo(w io.Writer, rep tlsengine.Report, asJSON bool) error {
	if asJSON {
		return writeJSON(w, rep)
	}
	renderReport(w, rep, c.colour(w))
	return nil
}

// planSteps reach the workspace, the network and the passphrase for the
// planner: the workspace is opened only when it exists or a name needs it,
// and the passphrase asked only for a key.
func (c *cli) planSteps(identityGiven bool) plan.Steps {
	return plan.Steps{
		Workspace: func(need bool) (*workspace.Store, error) {
			path, err := c.path()
			if err != nil {
				if need {
					return nil, err
				}
				return nil, nil
			}
			if !need && !workspace.Exists(path) {
				return nil, nil
			}
			return c.store()
		},
		Probe:   tlsengine.Run,
		Unlock:  c.unlock,
		Decided: func(d plan.Decision) { c.explain(d, identityGiven) },
	}
}
