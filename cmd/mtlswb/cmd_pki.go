package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

const pkiUsage = `Usage:
  mtlswb pki ca NAME --cn CN [--parent CA] [--days N] [--key TYPE] [--path-len N]
  mtlswb pki issue NAME --ca CA --cn CN [--client] [--server] [--dns H]... [--ip IP]...
                   [--uri URI]... [--email E]... [--days N] [--key TYPE]
                   [--not-before T] [--not-after T]
  mtlswb pki self-signed NAME --cn CN [--client] [--dns H]... [--uri URI]... [--days N] [--key TYPE]

Makes a development PKI in the workspace: the openssl recipe of every mTLS
tutorial, in one command. Keys are sealed in the workspace; CAs made here can
issue. TYPE is one of ec-p256 (default), ec-p384, ec-p521, rsa-2048, rsa-3072,
rsa-4096, ed25519. Times are RFC 3339 (2025-01-31T00:00:00Z) or dates (2025-01-31),
for deliberately expired or future certificates.
`

func cmdPKI(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stdout, pkiUsage)
		if len(args) == 0 {
			return usagef("pki needs a subcommand: ca, issue or self-signed")
		}
		return errHelpShown
	}
	switch args[0] {
	case "ca":
		return pkiCA(c, args[1:])
	case "issue":
		return pkiIssue(c, args[1:])
	case "self-signed":
		return pkiSelfSigned(c, args[1:])
	}
	return usagef("unknown pki subcommand %q: use ca, issue or self-signed", args[0])
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// certFlags are the flags every pki subcommand shares.
type certFlags struct {
	cn, key                string
	days                   int
	notBefore, notAfter    string
	dns, ips, uris, emails stringList
}

func addCertFlags(fs *flag.FlagSet) *certFlags {
	f := &certFlags{}
	fs.StringVar(&f.cn, "cn", "", "subject common name (required)")
	fs.StringVar(&f.key, "key", "ec-p256", "key `type`")
	fs.IntVar(&f.days, "days", 0, "validity in days (default 365; CAs 3650)")
	fs.StringVar(&f.notBefore, "not-before", "", "start of validity (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&f.notAfter, "not-after", "", "end of validity (RFC 3339 or YYYY-MM-DD)")
	fs.Var(&f.dns, "dns", "DNS name SAN (repeatable)")
	fs.Var(&f.ips, "ip", "IP address SAN (repeatable)")
	fs.Var(&f.uris, "uri", "URI SAN, e.g. a SPIFFE ID (repeatable)")
	fs.Var(&f.emails, "email", "email SAN (repeatable)")
	return f
}

func (f *certFlags) spec(defaultDays int) (pki.Spec, error) {
	if strings.TrimSpace(f.cn) == "" {
		return pki.Spec{}, usagef("--cn is required: the certificate's common name")
	}
	kt, err := pki.ParseKeyType(f.key)
	if err != nil {
		return pki.Spec{}, badInput(err)
	}
	spec := pki.Spec{CN: f.cn, Key: kt, Days: f.days}
	if spec.Days == 0 {
		spec.Days = defaultDays
	}
	if spec.NotBefore, err = parseTime("--not-before", f.notBefore); err != nil {
		return pki.Spec{}, err
	}
	if spec.NotAfter, err = parseTime("--not-after", f.notAfter); err != nil {
		return pki.Spec{}, err
	}
	spec.DNSNames, spec.Emails = f.dns, f.emails
	for _, s := range f.ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return pki.Spec{}, usagef("--ip %q is not an IP address", s)
		}
		spec.IPs = append(spec.IPs, ip)
	}
	for _, s := range f.uris {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return pki.Spec{}, usagef("--uri %q is not an absolute URI (e.g. spiffe://example.org/service)", s)
		}
		spec.URIs = append(spec.URIs, u)
	}
	return spec, nil
}

func parseTime(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("%s %q: use RFC 3339 (2025-01-31T00:00:00Z) or a date (2025-01-31)", flagName, s)
}

func pkiCA(c *cli, args []string) error {
	fs := c.flags()
	cf := addCertFlags(fs)
	parent := fs.String("parent", "", "make an intermediate signed by this workspace `CA`")
	pathLen := fs.Int("path-len", -2, "how many CAs may follow below this one (default 1 for a root, 0 for an intermediate)")
	name, err := c.parseName(fs, args, "ca NAME --cn CN [--parent CA] [--days N] [--key TYPE] [--path-len N]")
	if err != nil {
		return err
	}
	spec, err := cf.spec(3650)
	if err != nil {
		return err
	}
	spec.MaxPathLen = *pathLen
	if *pathLen == -2 {
		spec.MaxPathLen = 1
		if *parent != "" {
			spec.MaxPathLen = 0
		}
	}
	if err := workspace.ValidateName(name); err != nil {
		return badInput(err)
	}
	s, keys, err := c.unlocked()
	if err != nil {
		return err
	}
	e, err := s.NewCA(keys, name, *parent, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created CA %s (CN=%s, %s, expires %s)\n", e.Name, cell(e.SubjectCN), e.KeyType, e.NotAfter.Format("2006-01-02"))
	return nil
}

func pkiIssue(c *cli, args []string) error {
	fs := c.flags()
	cf := addCertFlags(fs)
	ca := fs.String("ca", "", "the workspace `CA` that signs (required)")
	client := fs.Bool("client", false, "EKU clientAuth (the default when neither --client nor --server is given)")
	server := fs.Bool("server", false, "EKU serverAuth")
	name, err := c.parseName(fs, args, "issue NAME --ca CA --cn CN [--client] [--server] [--dns H]... [--ip IP]... [--uri URI]... [--email E]... [--days N] [--key TYPE]")
	if err != nil {
		return err
	}
	if *ca == "" {
		return usagef("--ca is required: the workspace CA that signs (see `mtlswb ls`)")
	}
	spec, err := cf.spec(365)
	if err != nil {
		return err
	}
	spec.Client, spec.Server = *client, *server
	if !*client && !*server {
		spec.Client = true
	}
	if err := workspace.ValidateName(name); err != nil {
		return badInput(err)
	}
	s, keys, err := c.unlocked()
	if err != nil {
		return err
	}
	e, err := s.Issue(keys, *ca, name, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "issued identity %s (CN=%s by %s, %s, expires %s)\n", e.Name, cell(e.SubjectCN), cell(e.IssuerCN), e.KeyType, e.NotAfter.Format("2006-01-02"))
	return nil
}

func pkiSelfSigned(c *cli, args []string) error {
	fs := c.flags()
	cf := addCertFlags(fs)
	fs.Bool("client", true, "EKU clientAuth (always set: this is a client certificate)")
	name, err := c.parseName(fs, args, "self-signed NAME --cn CN [--client] [--dns H]... [--ip IP]... [--uri URI]... [--email E]... [--days N] [--key TYPE]")
	if err != nil {
		return err
	}
	spec, err := cf.spec(365)
	if err != nil {
		return err
	}
	spec.Client = true
	if err := workspace.ValidateName(name); err != nil {
		return badInput(err)
	}
	s, keys, err := c.unlocked()
	if err != nil {
		return err
	}
	e, err := s.SelfSigned(keys, name, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created self-signed identity %s (CN=%s, %s, expires %s) for RFC 8705 self_signed_tls_client_auth\n",
		e.Name, cell(e.SubjectCN), e.KeyType, e.NotAfter.Format("2006-01-02"))
	return nil
}
