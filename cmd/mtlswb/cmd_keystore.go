package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/certinfo"
	"github.com/mtlswb/mtlswb/tlsengine/revocation"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/safefile"
)

func cmdInit(c *cli, args []string) error {
	fs := c.flags()
	noPass := fs.Bool("no-passphrase", false, "store private keys without encryption (not recommended; `ls` warns)")
	if _, err := c.parse(fs, args, "[--no-passphrase]"); err != nil {
		return err
	}
	path, err := c.path()
	if err != nil {
		return err
	}
	if err := checkWorkspacePath(path, true); err != nil {
		return err
	}
	if workspace.Exists(path) {
		// Something else at the path (a damaged file) is named as what it
		// is, not as a workspace.
		if err := workspace.Check(path); err != nil {
			return err
		}
		return badInput(fmt.Errorf("a workspace already exists at %s: use it, or pass --workspace PATH for another one", path))
	}
	opts := workspace.CreateOptions{NoPassphrase: *noPass}
	if !*noPass {
		src := c.workspaceSecret("new workspace passphrase")
		src.confirm = true
		src.ways = "set MTLSWB_PASSPHRASE, pass --passphrase-file FILE, or run `mtlswb init --no-passphrase` for a workspace whose keys are not encrypted"
		if opts.Passphrase, err = c.secret(src); err != nil {
			return err
		}
	}
	if _, err := workspace.Create(path, opts); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created workspace %s\n", path)
	if *noPass {
		fmt.Fprintln(c.stdout, "warning: no passphrase: private keys are stored unencrypted; run `mtlswb passwd` to set one")
	}
	return nil
}

// listItem is one `ls --json` element.
type listItem struct {
	workspace.Entry
	DaysLeft int    `json:"days_left"`
	Status   string `json:"status"` // ok, expiring, expired, not-yet-valid
}

func status(e workspace.Entry, now time.Time) (string, int) {
	days := certinfo.DaysUntil(e.NotAfter, now)
	switch {
	case now.After(e.NotAfter):
		return "expired", days
	case now.Before(e.NotBefore):
		return "not-yet-valid", days
	case days < 30:
		return "expiring", days
	}
	return "ok", days
}

func cmdList(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON array")
	if _, err := c.parse(fs, args, "[--json]"); err != nil {
		return err
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	entries, err := s.List()
	if err != nil {
		return err
	}
	now := time.Now()
	if *asJSON {
		items := make([]listItem, len(entries))
		for i, e := range entries {
			e.SubjectCN, e.IssuerCN = safetext.Line(e.SubjectCN), safetext.Line(e.IssuerCN)
			st, days := status(e, now)
			items[i] = listItem{Entry: e, DaysLeft: days, Status: st}
		}
		return writeJSONArray(c.stdout, items)
	}
	if !s.Encrypted() {
		fmt.Fprintln(c.stderr, "warning: this workspace has no passphrase: private keys are stored unencrypted (run `mtlswb passwd` to set one)")
	}
	if len(entries) == 0 {
		fmt.Fprintln(c.stdout, "The workspace is empty: `mtlswb import FILE` or `mtlswb pki ca NAME --cn CN` to start.")
		return nil
	}
	// tabwriter writes cell by cell: without a buffer, 10,000 rows are
	// 70,000 write calls.
	out := bufio.NewWriter(c.stdout)
	defer out.Flush()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tSUBJECT\tISSUER\tEXPIRES\tKEY\tNOTES")
	for _, e := range entries {
		st, days := status(e, now)
		expiry := e.NotAfter.Format("2006-01-02")
		switch st {
		case "expired":
			expiry += fmt.Sprintf(" (EXPIRED %dd ago)", -days)
		case "not-yet-valid":
			expiry += " (NOT YET VALID)"
		case "expiring":
			expiry += fmt.Sprintf(" (%dd left!)", days)
		default:
			expiry += fmt.Sprintf(" (%dd)", days)
		}
		var notes []string
		if e.Kind == workspace.KindIdentity && !e.HasKey {
			notes = append(notes, "awaiting its key")
		}
		if e.Kind == workspace.KindIdentity && !e.ClientAuth {
			notes = append(notes, "no clientAuth EKU")
		}
		if e.Kind == workspace.KindCA && e.HasKey {
			notes = append(notes, "can issue")
		}
		if e.SelfSigned && e.Kind == workspace.KindIdentity {
			notes = append(notes, "self-signed")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Kind, e.Name, cell(e.SubjectCN), cell(e.IssuerCN), expiry, e.KeyType, strings.Join(notes, ", "))
	}
	return tw.Flush()
}

// cell sanitizes untrusted text for a table cell and keeps it short.
func cell(s string) string {
	s = safetext.Line(s)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	if s == "" {
		s = "-"
	}
	return s
}

// showResult is `show --json`.
type showResult struct {
	Kind       workspace.Kind  `json:"kind"`
	Name       string          `json:"name"`
	AuthMethod string          `json:"auth_method,omitempty"`
	HasKey     bool            `json:"has_key"`
	Source     string          `json:"source,omitempty"`
	Added      time.Time       `json:"added"`
	Labels     []string        `json:"labels,omitempty"`
	Notes      string          `json:"notes,omitempty"`
	Cert       certinfo.Info   `json:"certificate"`
	Chain      []certinfo.Info `json:"chain"`
	Verifies   bool            `json:"chain_verifies"`
	VerifyNote string          `json:"chain_verification"`
	Warnings   []string        `json:"warnings"`
	// Revocation is the identity's status at its issuer's CRL or OCSP
	// responder, when it names one or --crl is given.
	Revocation *revocation.Status `json:"revocation,omitempty"`
}

func cmdShow(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON object")
	rf := addRevocationFlags(fs)
	name, err := c.parseName(fs, args, "NAME [--json] [--crl FILE|URL] [--offline]")
	if err != nil {
		return err
	}
	s, rec, err := c.record(name)
	if err != nil {
		return err
	}
	ok, detail, err := s.VerifyChain(rec.Name)
	if err != nil {
		return err
	}
	res := showResult{
		Kind: rec.Kind, Name: rec.Name, HasKey: rec.HasKey, Source: safetext.Line(rec.Source), Added: rec.Added,
		Labels: safetext.Lines(rec.Labels), Notes: safetext.Block(rec.Notes),
		Cert: certinfo.Describe(rec.Chain[0]), Verifies: ok, VerifyNote: safetext.Line(detail), Warnings: []string{},
	}
	for _, cert := range rec.Chain[1:] {
		res.Chain = append(res.Chain, certinfo.Describe(cert))
	}
	if res.Chain == nil {
		res.Chain = []certinfo.Info{}
	}
	leaf := rec.Chain[0]
	if rec.Kind == workspace.KindIdentity {
		// RFC 8705 §2: a PKI-issued certificate is matched by its subject or SAN
		// (tls_client_auth); a self-signed one by its key (self_signed_tls_client_auth).
		res.AuthMethod = "tls_client_auth"
		if res.Cert.SelfSigned {
			res.AuthMethod = "self_signed_tls_client_auth"
		}
		if !res.Cert.ClientAuth {
			res.Warnings = append(res.Warnings, "the certificate's extended key usage lacks clientAuth: servers will reject it as a client certificate")
		}
	}
	now := time.Now()
	if now.After(leaf.NotAfter) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("expired on %s", leaf.NotAfter.Format(time.RFC3339)))
	} else if now.Before(leaf.NotBefore) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("not valid until %s", leaf.NotBefore.Format(time.RFC3339)))
	}
	if rec.Kind == workspace.KindIdentity {
		res.Revocation = c.revocation(s, rec.Chain, rf)
	}
	if *asJSON {
		return writeJSON(c.stdout, res)
	}
	printShow(c.stdout, res, now)
	return nil
}

func printShow(w io.Writer, r showResult, now time.Time) {
	kind := "Identity"
	if r.Kind == workspace.KindCA {
		kind = "CA"
	}
	fmt.Fprintf(w, "%s %s\n", kind, r.Name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", k, v)
		}
	}
	i := r.Cert
	row("Subject", i.Subject)
	row("Issuer", i.Issuer)
	row("Serial", i.Serial)
	row("DNS names", strings.Join(i.DNSNames, ", "))
	row("IP addresses", strings.Join(i.IPAddresses, ", "))
	row("URIs", strings.Join(i.URIs, ", "))
	row("SPIFFE ID", strings.Join(i.SPIFFEIDs, ", "))
	row("Emails", strings.Join(i.Emails, ", "))
	row("Valid from", i.NotBefore.Format(time.RFC3339))
	row("Valid until", fmt.Sprintf("%s (%s)", i.NotAfter.Format(time.RFC3339), daysText(certinfo.DaysUntil(i.NotAfter, now))))
	row("Key", i.KeyType)
	row("Signature", i.SignatureAlgorithm)
	row("Key usage", strings.Join(i.KeyUsage, ", "))
	eku := strings.Join(i.ExtKeyUsage, ", ")
	if eku == "" {
		eku = "(none: any usage)"
	}
	row("Extended key usage", eku)
	if i.IsCA {
		pl := "unlimited"
		if i.MaxPathLen != nil {
			pl = fmt.Sprint(*i.MaxPathLen)
		}
		row("CA", "yes, path length "+pl)
	}
	row("SHA-256", i.SHA256)
	row("SPKI SHA-256", i.SPKISHA256)
	row("x5t#S256", i.X5tS256+"  (RFC 8705, base64url)")
	row("Auth method", r.AuthMethod)
	if r.Revocation != nil {
		row("Revocation", safetext.Line(r.Revocation.Summary()))
	}
	if r.Kind == workspace.KindIdentity || r.HasKey {
		row("Private key", map[bool]string{true: "in the workspace (encrypted unless the workspace has no passphrase)", false: "none"}[r.HasKey])
	}
	row("Source", r.Source)
	row("Added", r.Added.Format(time.RFC3339))
	row("Labels", strings.Join(r.Labels, ", "))
	row("Notes", r.Notes)
	tw.Flush()
	fmt.Fprintln(w, "\nChain:")
	fmt.Fprintf(w, "  %s\n", i.Subject)
	for depth, link := range r.Chain {
		fmt.Fprintf(w, "  %s└─ %s\n", strings.Repeat("   ", depth), link.Subject)
	}
	switch {
	case r.Kind == workspace.KindIdentity && i.SelfSigned:
		// Nothing issued it, so there is no chain to verify: servers trust the
		// certificate itself (RFC 8705 self_signed_tls_client_auth).
		fmt.Fprintln(w, "  self-signed: no CA to verify against; a server must trust this certificate or its key itself")
	case r.Verifies:
		fmt.Fprintln(w, "  verifies against the workspace's CAs")
	default:
		fmt.Fprintf(w, "  does NOT verify against the workspace's CAs")
		if r.VerifyNote != "" {
			fmt.Fprintf(w, ": %s", r.VerifyNote)
		}
		fmt.Fprintln(w)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", warn)
	}
}

func daysText(days int) string {
	switch {
	case days < 0:
		return fmt.Sprintf("EXPIRED %d days ago", -days)
	case days < 30:
		return fmt.Sprintf("%d days left — renew soon", days)
	}
	return fmt.Sprintf("%d days left", days)
}

func cmdImport(c *cli, args []string) error {
	fs := c.flags()
	name := fs.String("name", "", "name of the imported identity (a suffix is added when several are imported)")
	as := fs.String("as", "", "store every certificate as a `ca`, or require identities (`identity`)")
	passFile := fs.String("pass-file", "", "read the passphrase of encrypted files from `FILE`")
	pos, err := c.parse(fs, args, "[--name NAME] [--as ca|identity] [--pass-file F] FILE|DIR...")
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("name at least one FILE or DIR to import")
	}
	opts := workspace.ImportOptions{Name: *name}
	switch *as {
	case "":
	case "ca":
		opts.As = workspace.KindCA
	case "identity":
		opts.As = workspace.KindIdentity
	default:
		return usagef("--as must be ca or identity, not %q", *as)
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	// Only a private key needs the workspace unlocked: certificates alone
	// (a CA, a server's certificate) never ask for the passphrase.
	var unlockErr error
	opts.Unlock = func() (*workspace.Keys, error) {
		keys, err := c.unlock(s)
		unlockErr = err
		return keys, err
	}
	res, err := s.ImportReport(nil, pos, c.importPassphrase(*passFile), opts)
	if err != nil {
		if unlockErr != nil {
			return unlockErr
		}
		return badInputUnlessBusy(err)
	}
	for _, e := range res.Entries {
		what := "imported CA"
		switch {
		case slices.Contains(res.Completed, e.Name):
			what = "completed identity"
		case e.Kind == workspace.KindIdentity && !e.HasKey:
			what = "imported identity awaiting its key:"
		case e.Kind == workspace.KindIdentity:
			what = "imported identity"
		}
		fmt.Fprintf(c.stdout, "%s %s (%s, issued by %s, expires %s, %s)\n", what, e.Name,
			cell(e.SubjectCN), cell(e.IssuerCN), e.NotAfter.Format("2006-01-02"), e.KeyType)
	}
	for _, note := range res.Notes {
		fmt.Fprintf(c.stderr, "note: %s\n", safetext.Line(note))
	}
	return nil
}

// badInputUnlessBusy classifies an import failure: anything but a busy or
// broken workspace was caused by the files given.
func badInputUnlessBusy(err error) error {
	var busy *workspace.BusyError
	if errors.As(err, &busy) || errors.Is(err, workspace.ErrNewerSchema) {
		return err
	}
	return badInput(err)
}

func cmdExport(c *cli, args []string) error {
	fs := c.flags()
	format := fs.String("format", "pem", "`pem`, p12 or jwks (public key as a JWK set, for registering an RFC 8705 client)")
	out := fs.String("out", "", "write to `FILE` (default: standard output, PEM and JWKS only)")
	legacy := fs.Bool("legacy", false, "p12 with legacy 3DES/SHA-1 encryption, for old consumers")
	noEncrypt := fs.Bool("no-encrypt", false, "write the private key in clear")
	passFile := fs.String("pass-file", "", "read the export passphrase from `FILE`")
	force := fs.Bool("force", false, "overwrite an existing --out file")
	name, err := c.parseName(fs, args, "NAME [--format pem|p12|jwks] [--out FILE] [--legacy] [--no-encrypt] [--force]")
	if err != nil {
		return err
	}
	s, rec, err := c.record(name)
	if err != nil {
		return err
	}
	var data []byte
	switch {
	case *format == "jwks":
		jwk, err := certfile.JWK(rec.Chain[0])
		if err != nil {
			return err
		}
		return c.writeOutput(*out, *force, func(w io.Writer) error { return writeJSON(w, map[string]any{"keys": []any{jwk}}) })
	case rec.Kind == workspace.KindCA && *format == "pem":
		data = certfile.EncodeCertsPEM(rec.Chain)
	case rec.Kind == workspace.KindCA:
		return usagef("a CA exports as pem (its certificate) or jwks, not %q", *format)
	case *format == "pem" || *format == "p12":
		if *format == "p12" && *out == "" {
			if f, ok := c.stdout.(*os.File); !ok || isTerminal(f) {
				return usagef("a p12 file is binary: pass --out FILE")
			}
		}
		keys, err := c.unlock(s)
		if err != nil {
			return err
		}
		key, err := s.Signer(keys, rec.Name)
		if err != nil {
			return err
		}
		var pass []byte
		if !*noEncrypt {
			if pass, err = c.secret(secretSource{
				what: "export passphrase", env: "MTLSWB_EXPORT_PASSPHRASE", file: *passFile, fileFlag: "--pass-file", confirm: true,
			}); err != nil {
				return err
			}
		}
		if *format == "pem" {
			data, err = certfile.EncodePEM(rec.Chain, key, pass)
		} else {
			data, err = certfile.EncodeP12(rec.Chain, key, pass, *legacy)
		}
		if err != nil {
			return err
		}
	default:
		return usagef("--format must be pem, p12 or jwks, not %q", *format)
	}
	return c.writeOutput(*out, *force, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// writeOutput writes to stdout, or to a file that is never silently
// replaced and never half written: safefile.Write makes it new (0600, as
// it may hold a key) and renames it into place, so --force replaces a
// symlink rather than writing through it, and a failed write leaves the
// old file as it was.
func (c *cli) writeOutput(path string, force bool, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(c.stdout)
	}
	err := safefile.Write(path, force, write)
	if errors.Is(err, fs.ErrExist) {
		return badInput(fmt.Errorf("%s already exists: choose another --out, or pass --force to overwrite it", path))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "wrote %s\n", path)
	return nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func cmdRemove(c *cli, args []string) error {
	fs := c.flags()
	force := fs.Bool("force", false, "remove even a CA whose identities are still in the workspace, or a record profiles use")
	name, err := c.parseName(fs, args, "NAME [--force]")
	if err != nil {
		return err
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	if err := s.Remove(name, *force); err != nil {
		var inUse *workspace.InUseError
		if errors.As(err, &inUse) {
			return &hintError{err, []string{"remove those identities first, or pass --force to keep them without their CA"}}
		}
		return err
	}
	fmt.Fprintf(c.stdout, "removed %s\n", name)
	return nil
}

func cmdRename(c *cli, args []string) error {
	fs := c.flags()
	pos, err := c.parse(fs, args, "OLD NEW")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 2, "OLD NEW"); err != nil {
		return err
	}
	if err := workspace.ValidateName(pos[1]); err != nil {
		return badInput(err)
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	if err := s.Rename(pos[0], pos[1]); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "renamed %s to %s\n", pos[0], pos[1])
	return nil
}

func cmdPasswd(c *cli, args []string) error {
	fs := c.flags()
	newFile := fs.String("new-passphrase-file", "", "read the new passphrase from `FILE`")
	if _, err := c.parse(fs, args, "[--new-passphrase-file F]"); err != nil {
		return err
	}
	s, keys, err := c.unlocked()
	if err != nil {
		return err
	}
	pass, err := c.secret(secretSource{
		what: "new workspace passphrase", env: "MTLSWB_NEW_PASSPHRASE", file: *newFile, fileFlag: "--new-passphrase-file", confirm: true,
	})
	if err != nil {
		return err
	}
	if err := s.ChangePassphrase(keys, pass); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "passphrase changed")
	return nil
}
