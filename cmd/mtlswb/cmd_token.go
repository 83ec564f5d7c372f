package main

import (
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/boundtoken"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

const tokenUsage = `Usage:
  mtlswb token check TOKEN|@FILE|- (--identity NAME | --cert FILE) [--json]

Says whether an OAuth access token (a JWT) is bound to a client certificate
as RFC 8705 describes: its cnf["x5t#S256"] must be the certificate's
thumbprint, the unpadded base64url SHA-256 of its DER. The token is decoded,
NOT verified: its signature is not checked, so "bound" means the token names
that certificate, not that the token is genuine.

Give the token as @FILE or - (standard input) rather than on the command
line, where it would end up in your shell history.

Exit codes: 0 bound to that certificate, 1 bound to another one, 2 not a JWT,
not certificate-bound (no cnf.x5t#S256), or bad input.
`

func cmdToken(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stdout, tokenUsage)
		if len(args) == 0 {
			return usagef("token needs a subcommand: check")
		}
		fs, _ := tokenCheckFlags(c)
		writeFlags(c.stdout, fs)
		return errHelpShown
	}
	if args[0] == "check" {
		return tokenCheck(c, args[1:])
	}
	return usagef("unknown token subcommand %q: use check", args[0])
}

// tokenCheckResult is `token check --json`. Every string in it is sanitized.
type tokenCheckResult struct {
	Bound           bool   `json:"bound"`
	TokenX5tS256    string `json:"token_x5t_s256"`
	IdentityX5tS256 string `json:"identity_x5t_s256"`
	// Identity is the workspace identity checked, or the --cert file.
	Identity string `json:"identity"`
	// Matches names the other workspace identity the token is bound to.
	Matches *string `json:"matches"`
	// TokenEncoding is how the token writes its thumbprint when that is not
	// RFC 8705's base64url (hex, padded, standard base64).
	TokenEncoding     string         `json:"token_x5t_encoding,omitempty"`
	Claims            map[string]any `json:"claims"`
	SignatureVerified bool           `json:"signature_verified"`
	Verdict           string         `json:"verdict"`
	Note              string         `json:"note"`
	Warnings          []string       `json:"warnings"`
}

const tokenNote = "the token was decoded, not verified: its signature, issuer and audience were not checked"

type tokenCheckOptions struct {
	identity, certFile *string
	asJSON             *bool
}

func tokenCheckFlags(c *cli) (*flag.FlagSet, tokenCheckOptions) {
	fs := c.flags()
	return fs, tokenCheckOptions{
		identity: fs.String("identity", "", "the workspace identity `NAME` whose certificate the token should be bound to"),
		certFile: fs.String("cert", "", "the certificate `FILE` the token should be bound to (instead of --identity)"),
		asJSON:   fs.Bool("json", false, "print one JSON object"),
	}
}

func tokenCheck(c *cli, args []string) error {
	fs, opt := tokenCheckFlags(c)
	identity, certFile, asJSON := opt.identity, opt.certFile, opt.asJSON
	pos, err := c.parse(fs, args, "check TOKEN|@FILE|- (--identity NAME | --cert FILE) [--json]")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "TOKEN, @FILE or - (standard input)"); err != nil {
		return err
	}
	if (*identity == "") == (*certFile == "") {
		return usagef("say which certificate the token should be bound to: --identity NAME or --cert FILE")
	}
	raw, err := c.readToken(pos[0])
	if err != nil {
		return err
	}
	tok, err := boundtoken.Parse(raw)
	if err != nil {
		return badInput(&hintError{err, []string{
			"a JWT looks like eyJ...xxx.eyJ...yyy.zzz; copy the whole value after `Bearer `",
		}})
	}

	res := tokenCheckResult{Claims: tok.SafeClaims(), Note: tokenNote, Warnings: []string{}}
	delete(res.Claims, "cnf") // shown as token_x5t_s256
	if exp, ok := tok.ExpiresAt(); ok && time.Now().After(exp) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the token expired at %s: a resource server refuses it for that reason alone", exp.Format(time.RFC3339)))
	}

	// The certificate to compare with, and the workspace's identities to
	// name when the token is bound to another one.
	var cert *x509.Certificate
	var entries []workspace.Entry
	if *identity != "" {
		s, err := c.store()
		if err != nil {
			return err
		}
		rec, err := s.Get(*identity)
		if err != nil {
			return err
		}
		if rec.Kind != workspace.KindIdentity {
			return badInput(fmt.Errorf("%s is a CA, not an identity: a token is bound to the client certificate it is used with", *identity))
		}
		cert, res.Identity = rec.Chain[0], rec.Name
		if entries, err = s.List(); err != nil {
			return err
		}
	} else {
		b, err := certfile.ParseFile(*certFile, nil)
		if err != nil {
			return badInput(fmt.Errorf("--cert %s: %w", *certFile, err))
		}
		if len(b.Certs) == 0 {
			return badInput(fmt.Errorf("--cert %s: the file holds no certificate", *certFile))
		}
		cert, res.Identity = b.Certs[0], safetext.Line(*certFile)
		// Naming a workspace identity is a bonus here: no workspace, no names.
		if path, err := c.path(); err == nil && workspace.Exists(path) {
			if s, err := workspace.Open(path); err == nil {
				entries, _ = s.List()
			}
		}
	}
	res.IdentityX5tS256 = boundtoken.Thumbprint(cert)

	v, err := boundtoken.Check(tok, cert)
	if err != nil {
		// A JWT without cnf.x5t#S256: show what it does hold, then fail.
		res.Verdict = err.Error()
		if err := c.printTokenCheck(res, *asJSON); err != nil {
			return err
		}
		return badInput(&hintError{err, []string{
			"a certificate-bound token is issued when the client authenticates to the token endpoint over mTLS and the authorization server has certificate binding on (RFC 8705 §3, tls_client_certificate_bound_access_tokens)",
		}})
	}
	res.Bound, res.TokenX5tS256 = v.Bound, v.TokenX5tS256
	res.TokenEncoding = string(v.SameCertWrongEncoding)
	whose := res.Identity + "'s certificate"
	if *certFile != "" {
		whose = "the certificate in " + res.Identity
	}
	res.Verdict = v.Explain(whose)
	if !v.Bound {
		if other, enc := matchIdentity(entries, tok.X5tS256, res.Identity); other != "" {
			res.Matches = &other
			res.Verdict += fmt.Sprintf("; that is the thumbprint of identity %s in this workspace", other)
			if enc != boundtoken.Base64URL {
				res.TokenEncoding = string(enc)
				res.Verdict += fmt.Sprintf(", written as %s instead of base64url", enc)
			}
		}
	}
	if err := c.printTokenCheck(res, *asJSON); err != nil {
		return err
	}
	if !res.Bound {
		return &quietError{exitFailed}
	}
	return nil
}

// matchIdentity finds the workspace identity, other than self, whose
// certificate the thumbprint x5t names in any encoding Digest knows.
func matchIdentity(entries []workspace.Entry, x5t, self string) (string, boundtoken.Encoding) {
	for _, e := range entries {
		if e.Kind != workspace.KindIdentity || e.Name == self {
			continue
		}
		if enc, ok := boundtoken.Names(x5t, e.SHA256); ok {
			return e.Name, enc
		}
	}
	return "", ""
}

// readToken reads the token argument: literal text, @FILE or - for stdin.
func (c *cli) readToken(arg string) (string, error) {
	var r io.Reader
	what := "standard input"
	switch {
	case arg == "-":
		r = c.stdin
	case strings.HasPrefix(arg, "@"):
		what = arg[1:]
		f, err := os.Open(what)
		if err != nil {
			return "", badInput(fmt.Errorf("read token: %w", err))
		}
		defer f.Close()
		r = f
	default:
		return arg, nil
	}
	// One byte more than Parse accepts, so it can say the input is too big.
	data, err := io.ReadAll(io.LimitReader(r, boundtoken.MaxTokenSize+1))
	if err != nil {
		return "", badInput(fmt.Errorf("read token from %s: %w", what, err))
	}
	return string(data), nil
}

func (c *cli) printTokenCheck(res tokenCheckResult, asJSON bool) error {
	if asJSON {
		return writeJSON(c.stdout, res)
	}
	w := c.stdout
	fmt.Fprintln(w, "Token (decoded only: its signature was NOT verified)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range claimOrder(res.Claims) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, claimText(k, res.Claims[k]))
	}
	x5t := res.TokenX5tS256
	if x5t == "" {
		x5t = "(none)"
	}
	fmt.Fprintf(tw, "  cnf.x5t#S256\t%s\n", x5t)
	tw.Flush()
	fmt.Fprintf(w, "\nCertificate %s\n  x5t#S256      %s\n\n", res.Identity, res.IdentityX5tS256)
	mark := "NOT BOUND"
	if res.Bound {
		mark = "BOUND"
	} else if res.TokenX5tS256 == "" {
		mark = "NOT CERTIFICATE-BOUND"
	}
	fmt.Fprintf(w, "%s  %s\n", mark, res.Verdict)
	if res.Matches != nil {
		fmt.Fprintf(w, "  → send with --identity %s, or ask for a token bound to %s\n", *res.Matches, res.Identity)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	fmt.Fprintf(w, "note: %s\n", res.Note)
	return nil
}

// claimOrder lists the registered claims people look at first, then the
// rest alphabetically.
func claimOrder(claims map[string]any) []string {
	first := []string{"iss", "sub", "aud", "client_id", "scope", "iat", "nbf", "exp"}
	var out, rest []string
	for _, k := range first {
		if _, ok := claims[k]; ok {
			out = append(out, k)
		}
	}
	for k := range claims {
		if !strings.Contains(" "+strings.Join(first, " ")+" ", " "+k+" ") {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// claimText renders one (already sanitized) claim value on one line.
func claimText(name string, v any) string {
	if n, ok := v.(json.Number); ok && (name == "exp" || name == "iat" || name == "nbf") {
		if secs, err := n.Int64(); err == nil {
			t := time.Unix(secs, 0).UTC()
			d := time.Until(t).Round(time.Second)
			rel := "in " + d.String()
			if d < 0 {
				rel = (-d).String() + " ago"
			}
			return fmt.Sprintf("%s (%s, %s)", n, t.Format(time.RFC3339), rel)
		}
	}
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = claimText("", x)
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return cell(string(b))
}
