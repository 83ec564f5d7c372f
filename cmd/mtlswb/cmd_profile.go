package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

const profileUsage = `Usage:
  mtlswb profile add NAME --host PATTERN... --identity NAME [--ca NAME]... [--system-roots]
                     [--servername S] [--tls-min V] [--tls-max V] [--timeout D] [--env ENV]
  mtlswb profile edit NAME [the same flags] [--no-ca]
  mtlswb profile ls [--json]
  mtlswb profile show NAME [--json]
  mtlswb profile rm NAME

A profile tells send and probe which identity, trust and TLS options to use
for a host, so a request needs no flags. PATTERN is a host (api.example.com),
a host and port (localhost:8443), or a wildcard for one or more leftmost
labels (*.example.com, *.example.com:8443); --host may repeat or take a comma
list. The most specific rule wins: exact host and port, then exact host, then
the longest wildcard. A profile of the active environment (mtlswb env use)
beats one without environment on the same pattern; a profile that would tie
with another is refused. 'mtlswb which URL' shows the choice and why.
Explicit flags of send and probe override the profile's fields.
`

func cmdProfile(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stdout, profileUsage)
		if len(args) == 0 {
			return usagef("profile needs a subcommand: add, edit, ls, show or rm")
		}
		return errHelpShown
	}
	switch args[0] {
	case "add":
		return profileAdd(c, args[1:])
	case "edit":
		return profileEdit(c, args[1:])
	case "ls", "list":
		return profileList(c, args[1:])
	case "show":
		return profileShow(c, args[1:])
	case "rm", "remove":
		return profileRemove(c, args[1:])
	}
	return usagef("unknown profile subcommand %q: use add, edit, ls, show or rm", args[0])
}

// profileFlags are the flags of profile add and edit.
type profileFlags struct {
	hosts, cas                           stringList
	identity, serverName, tlsMin, tlsMax string
	timeout, env                         string
	systemRoots, noCA                    bool
	set                                  map[string]bool
}

func addProfileFlags(fs *flag.FlagSet, edit bool) *profileFlags {
	f := &profileFlags{}
	fs.Var(&f.hosts, "host", "host `PATTERN`: host, host:port or *.domain (repeatable, or a comma list)")
	fs.StringVar(&f.identity, "identity", "", "the workspace identity `NAME` to present")
	fs.Var(&f.cas, "ca", "trust the workspace CA `NAME` (repeatable)")
	fs.BoolVar(&f.systemRoots, "system-roots", false, "also trust the system's root CAs")
	fs.StringVar(&f.serverName, "servername", "", "SNI and name to verify, instead of the URL's host")
	fs.StringVar(&f.tlsMin, "tls-min", "", "minimum TLS `version`: 1.2 or 1.3")
	fs.StringVar(&f.tlsMax, "tls-max", "", "maximum TLS `version`: 1.2 or 1.3")
	fs.StringVar(&f.timeout, "timeout", "", "give up after this `duration` (send's default when empty)")
	fs.StringVar(&f.env, "env", "", "the environment `ENV` the profile belongs to (none: it always applies)")
	if edit {
		fs.BoolVar(&f.noCA, "no-ca", false, "trust no workspace CA (clears --ca)")
	}
	return f
}

// apply copies the flags that were given onto p.
func (f *profileFlags) apply(p *workspace.Profile) {
	if f.set["host"] {
		p.Hosts = nil
		for _, h := range f.hosts {
			for _, part := range strings.Split(h, ",") {
				if part = strings.TrimSpace(part); part != "" {
					p.Hosts = append(p.Hosts, part)
				}
			}
		}
	}
	if f.set["identity"] {
		p.Identity = f.identity
	}
	if f.set["ca"] || f.noCA {
		p.CAs, p.UnboundCAs = append([]string(nil), f.cas...), nil
	}
	if f.set["system-roots"] {
		p.SystemRoots = f.systemRoots
	}
	if f.set["servername"] {
		p.ServerName = f.serverName
	}
	if f.set["tls-min"] {
		p.TLSMin = f.tlsMin
	}
	if f.set["tls-max"] {
		p.TLSMax = f.tlsMax
	}
	if f.set["timeout"] {
		p.Timeout = f.timeout
	}
	if f.set["env"] {
		p.Env = f.env
	}
}

// setFlags records which flags of fs the user gave.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// profileError classifies a failed profile write: everything the user gave
// wrong is bad input (exit 2, the workspace unchanged).
func profileError(err error) error {
	var busy *workspace.BusyError
	if err == nil || errors.As(err, &busy) || errors.Is(err, workspace.ErrCorrupt) || errors.Is(err, workspace.ErrNoWorkspace) {
		return err
	}
	return badInput(err)
}

func profileAdd(c *cli, args []string) error {
	fs := c.flags()
	pf := addProfileFlags(fs, false)
	const synopsis = "add NAME --host PATTERN... --identity NAME [--ca NAME]... [--system-roots] [--servername S] [--tls-min V] [--tls-max V] [--timeout D] [--env ENV]"
	pos, err := c.parse(fs, args, synopsis)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "NAME"); err != nil {
		return err
	}
	pf.set = setFlags(fs)
	if !pf.set["host"] {
		return usagef("profile add needs at least one --host PATTERN")
	}
	if !pf.set["identity"] {
		return usagef("profile add needs --identity NAME (see `mtlswb ls`)")
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	p := workspace.Profile{Name: pos[0]}
	pf.apply(&p)
	if err := s.AddProfile(p); err != nil {
		return profileError(err)
	}
	fmt.Fprintf(c.stdout, "added profile %s\n", safetext.Line(p.Name))
	return nil
}

func profileEdit(c *cli, args []string) error {
	fs := c.flags()
	pf := addProfileFlags(fs, true)
	pos, err := c.parse(fs, args, "edit NAME [--host PATTERN]... [--identity NAME] [--ca NAME]... [--no-ca] [--system-roots[=false]] [--servername S] [--tls-min V] [--tls-max V] [--timeout D] [--env ENV]")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "NAME"); err != nil {
		return err
	}
	pf.set = setFlags(fs)
	delete(pf.set, "workspace")
	delete(pf.set, "passphrase-file")
	if len(pf.set) == 0 {
		return usagef("profile edit %s: give at least one flag to change (see `mtlswb profile --help`)", pos[0])
	}
	if pf.noCA && pf.set["ca"] {
		return usagef("--no-ca and --ca contradict each other: give one")
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	err = s.EditProfile(pos[0], func(p *workspace.Profile) error {
		pf.apply(p)
		return nil
	})
	if err != nil {
		return profileError(err)
	}
	fmt.Fprintf(c.stdout, "changed profile %s\n", safetext.Line(pos[0]))
	return nil
}

// profileJSON is one profile as `profile ls/show --json` print it.
type profileJSON struct {
	workspace.Profile
	Active bool `json:"active"`
}

func profileList(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON object: the profiles and the active environment")
	if _, err := c.parse(fs, args, "ls [--json]"); err != nil {
		return err
	}
	ps, err := c.profiles()
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			ActiveEnv string        `json:"active_env"`
			Profiles  []profileJSON `json:"profiles"`
		}{ActiveEnv: ps.ActiveEnv, Profiles: []profileJSON{}}
		for _, p := range ps.Profiles {
			out.Profiles = append(out.Profiles, profileJSON{Profile: p, Active: p.Env == "" || p.Env == ps.ActiveEnv})
		}
		return writeJSON(c.stdout, out)
	}
	if len(ps.Profiles) == 0 {
		fmt.Fprintln(c.stdout, "No profiles yet: `mtlswb profile add NAME --host PATTERN --identity NAME` binds an identity to a host.")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tENV\tHOSTS\tIDENTITY\tTRUST")
	for _, p := range ps.Profiles {
		env := "-"
		if p.Env != "" {
			env = p.Env
			if p.Env != ps.ActiveEnv {
				env += " (inactive)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, env, strings.Join(p.Hosts, ","), profileIdentity(p), profileTrust(p))
	}
	return tw.Flush()
}

func profileIdentity(p workspace.Profile) string {
	if p.Identity == "" && p.UnboundIdentity != "" {
		return "UNBOUND (" + safetext.Line(p.UnboundIdentity) + ")"
	}
	return p.Identity
}

func profileTrust(p workspace.Profile) string {
	var parts []string
	parts = append(parts, p.CAs...)
	for _, u := range p.UnboundCAs {
		parts = append(parts, "UNBOUND ("+safetext.Line(u)+")")
	}
	if p.SystemRoots {
		parts = append(parts, "system roots")
	}
	if len(parts) == 0 {
		return "send's default"
	}
	return strings.Join(parts, ",")
}

func profileShow(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON object")
	name, err := c.parseName(fs, args, "show NAME [--json]")
	if err != nil {
		return err
	}
	ps, err := c.profiles()
	if err != nil {
		return err
	}
	var p *workspace.Profile
	for i := range ps.Profiles {
		if ps.Profiles[i].Name == name {
			p = &ps.Profiles[i]
		}
	}
	if p == nil {
		return &workspace.NotFoundError{What: "profile", Name: name}
	}
	active := p.Env == "" || p.Env == ps.ActiveEnv
	if *asJSON {
		return writeJSON(c.stdout, profileJSON{Profile: *p, Active: active})
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Profile", p.Name)
	row("Hosts", strings.Join(p.Hosts, ", "))
	row("Identity", profileIdentity(*p))
	row("Trust", profileTrust(*p))
	env := "none: applies in every environment"
	if p.Env != "" {
		env = p.Env
		if !active {
			env += " (inactive)"
		} else {
			env += " (active)"
		}
	}
	row("Environment", env)
	opt := func(k, v, def string) {
		if v == "" {
			v = def
		}
		row(k, v)
	}
	opt("SNI", p.ServerName, "the URL's host")
	opt("TLS min", p.TLSMin, "default")
	opt("TLS max", p.TLSMax, "default")
	opt("Timeout", p.Timeout, "send's default")
	row("Saved", p.Saved.Format("2006-01-02 15:04:05 UTC"))
	if u := p.Unusable(); u != "" {
		row("Problem", u)
	}
	return tw.Flush()
}

func profileRemove(c *cli, args []string) error {
	fs := c.flags()
	pos, err := c.parse(fs, args, "rm NAME")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "NAME"); err != nil {
		return err
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	if err := s.RemoveProfile(pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed profile %s\n", safetext.Line(pos[0]))
	return nil
}

const envUsage = `Usage:
  mtlswb env ls [--json]
  mtlswb env use ENV
  mtlswb env use --none

Environments group profiles (profile add --env ENV). One environment is
active at a time: its profiles apply, as do profiles without environment;
on the same host pattern, the environment's profile wins. --none leaves only
the profiles without environment.
`

func cmdEnv(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stdout, envUsage)
		if len(args) == 0 {
			return usagef("env needs a subcommand: ls or use")
		}
		return errHelpShown
	}
	switch args[0] {
	case "ls", "list":
		return envList(c, args[1:])
	case "use":
		return envUse(c, args[1:])
	}
	return usagef("unknown env subcommand %q: use ls or use", args[0])
}

func envUse(c *cli, args []string) error {
	fs := c.flags()
	none := fs.Bool("none", false, "activate no environment: only profiles without one apply")
	pos, err := c.parse(fs, args, "use ENV | use --none")
	if err != nil {
		return err
	}
	env := ""
	switch {
	case *none && len(pos) == 0:
	case !*none && len(pos) == 1:
		env = pos[0]
	default:
		return usagef("expected ENV or --none")
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	if err := s.UseEnv(env); err != nil {
		return profileError(err)
	}
	if env == "" {
		fmt.Fprintln(c.stdout, "no environment is active: only profiles without one apply")
	} else {
		fmt.Fprintf(c.stdout, "environment %s is active\n", safetext.Line(env))
	}
	return nil
}

// envJSON is one environment as `env ls --json` prints it.
type envJSON struct {
	Name     string `json:"name"`
	Active   bool   `json:"active"`
	Profiles int    `json:"profiles"`
}

func envList(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := c.parse(fs, args, "ls [--json]"); err != nil {
		return err
	}
	ps, err := c.profiles()
	if err != nil {
		return err
	}
	count := map[string]int{}
	for _, p := range ps.Profiles {
		count[p.Env]++
	}
	envs := ps.Envs()
	if ps.ActiveEnv != "" && count[ps.ActiveEnv] == 0 {
		envs = append(envs, ps.ActiveEnv) // its profiles were removed since
	}
	if *asJSON {
		out := struct {
			ActiveEnv    string    `json:"active_env"`
			Environments []envJSON `json:"environments"`
			Always       int       `json:"profiles_without_env"`
		}{ActiveEnv: ps.ActiveEnv, Environments: []envJSON{}, Always: count[""]}
		for _, e := range envs {
			out.Environments = append(out.Environments, envJSON{Name: e, Active: e == ps.ActiveEnv, Profiles: count[e]})
		}
		return writeJSON(c.stdout, out)
	}
	for _, e := range envs {
		mark := " "
		if e == ps.ActiveEnv {
			mark = "*"
		}
		fmt.Fprintf(c.stdout, "%s %s (%d profile(s))\n", mark, safetext.Line(e), count[e])
	}
	if len(envs) == 0 {
		fmt.Fprintln(c.stdout, "No environments yet: `mtlswb profile add ... --env ENV` makes one.")
	}
	if ps.ActiveEnv == "" {
		fmt.Fprintln(c.stdout, "no environment is active")
	}
	fmt.Fprintf(c.stdout, "%d profile(s) without environment always apply\n", count[""])
	return nil
}

const collectionUsage = `Usage:
  mtlswb collection export [--out FILE] [--force] [--profile NAME]... [REQUEST...]
  mtlswb collection import FILE [--bind SHARED=LOCAL]...

A collection is saved requests (all, or those named), the profiles whose
rules match their URLs and those named with --profile, in a plain JSON file
to share. It names identities
and CAs but holds no key, certificate, passphrase or path; header values and
URL parameters that look like credentials are replaced by REDACTED.
Importing binds the names to your records: a name you have is used as is,
--bind partner-joe=my-joe maps one, and a profile whose identity or CA you do
not have is kept unbound until 'mtlswb profile edit NAME --identity ...'.
`

func cmdCollection(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stdout, collectionUsage)
		if len(args) == 0 {
			return usagef("collection needs a subcommand: export or import")
		}
		return errHelpShown
	}
	switch args[0] {
	case "export":
		return collectionExport(c, args[1:])
	case "import":
		return collectionImport(c, args[1:])
	}
	return usagef("unknown collection subcommand %q: use export or import", args[0])
}

func collectionExport(c *cli, args []string) error {
	fs := c.flags()
	out := fs.String("out", "", "write to `FILE` instead of stdout")
	force := fs.Bool("force", false, "overwrite --out FILE when it exists")
	var profiles stringList
	fs.Var(&profiles, "profile", "also export profile `NAME` (repeatable)")
	pos, err := c.parse(fs, args, "export [--out FILE] [--force] [--profile NAME]... [REQUEST...]")
	if err != nil {
		return err
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	col, notes, err := s.ExportCollection(pos, profiles)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(c.stderr, "note: %s\n", safetext.Line(n))
	}
	if *out == "" {
		return writeJSON(c.stdout, col)
	}
	b, err := json.MarshalIndent(col, "", "  ")
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(*out, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		return badInput(fmt.Errorf("%s exists: choose another --out, or add --force to overwrite it", *out))
	}
	if err != nil {
		return fmt.Errorf("write collection: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write collection %s: %w", *out, werr)
	}
	fmt.Fprintf(c.stdout, "exported %d request(s) and %d profile(s) to %s\n", len(col.Requests), len(col.Profiles), *out)
	return nil
}

// maxCollectionSize bounds what import reads: a collection is a few
// kilobytes of names and options.
const maxCollectionSize = 16 << 20

func collectionImport(c *cli, args []string) error {
	fs := c.flags()
	var binds stringList
	fs.Var(&binds, "bind", "use your record `LOCAL` where the collection names SHARED (SHARED=LOCAL, repeatable)")
	pos, err := c.parse(fs, args, "import FILE [--bind SHARED=LOCAL]...")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "FILE"); err != nil {
		return err
	}
	bind := map[string]string{}
	for _, b := range binds {
		shared, local, ok := strings.Cut(b, "=")
		if !ok || shared == "" || local == "" {
			return usagef("--bind %q: write it as SHARED=LOCAL, e.g. --bind partner-joe=my-joe", b)
		}
		bind[shared] = local
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return badInput(fmt.Errorf("read collection: %w", err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxCollectionSize {
		return badInput(fmt.Errorf("%s is %d bytes, too large for a collection", pos[0], fi.Size()))
	}
	var col workspace.Collection
	if err := json.NewDecoder(io.LimitReader(f, maxCollectionSize)).Decode(&col); err != nil {
		return badInput(fmt.Errorf("%s is not a collection file (%v); export one with `mtlswb collection export`", pos[0], err))
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	res, err := s.ImportCollection(&col, bind)
	if err != nil {
		return profileError(err)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(c.stderr, "note: %s\n", safetext.Line(n))
	}
	fmt.Fprintf(c.stdout, "imported %d request(s) and %d profile(s)\n", len(res.Requests), len(res.Profiles))
	return nil
}

// profiles opens the workspace and reads its profiles.
func (c *cli) profiles() (workspace.ProfileSet, error) {
	s, err := c.store()
	if err != nil {
		return workspace.ProfileSet{}, err
	}
	return s.Profiles()
}
