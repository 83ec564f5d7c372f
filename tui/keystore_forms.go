package tui

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// The keystore's forms: import files, issue an identity from a CA, make a
// CA, export a record. Each submit validates what it can at once (the form
// stays open with the error) and hands the write to a command.

func (s *keystoreScreen) importForm() tea.Cmd {
	f := newForm("Import certificates and keys",
		"PEM, DER, PKCS#12 (.p12/.pfx) or a directory. A key file next to its certificate makes an identity.")
	f.addPath("Path", "").addText("Name", "", "optional: derived from the subject").addChoice("As", "auto", "identity", "ca")
	if s.kind == workspace.KindCA {
		f.fields[2].choice = 2
	}
	host, store := s.sh.host, s.sh.store
	f.submit = func(v []string) (tea.Cmd, error) {
		path := strings.TrimSpace(v[0])
		if path == "" {
			return nil, errors.New("type the path of a file or directory to import (tab completes)")
		}
		name := strings.TrimSpace(v[1])
		if name != "" {
			if err := workspace.ValidateName(name); err != nil {
				return nil, err
			}
		}
		var as workspace.Kind
		switch v[2] {
		case "identity":
			as = workspace.KindIdentity
		case "ca":
			as = workspace.KindCA
		}
		return host.withKeys(func(keys *workspace.Keys) tea.Cmd {
			return importCmd(store, keys, []string{path}, name, as, nil)
		}), nil
	}
	return s.sh.host.openForm(f)
}

func (s *keystoreScreen) issueForm() tea.Cmd {
	if s.kind != workspace.KindCA {
		return nil
	}
	e, ok := s.selectedEntry()
	if !ok {
		return nil
	}
	if !e.HasKey {
		s.sh.host.setError(fmt.Errorf("CA %s has no private key in the workspace (it was imported), so it cannot issue: select a CA made by mtlswb", safetext.Line(e.Name)))
		return nil
	}
	keyTypes := make([]string, len(pki.KeyTypes))
	for i, kt := range pki.KeyTypes {
		keyTypes[i] = string(kt)
	}
	f := newForm("Issue a certificate from "+safetext.Line(e.Name), "The new identity is stored with its key and the chain up to the root.")
	f.addText("Name", "", "record name, e.g. alice").
		addText("Common name", "", "subject CN").
		addChoice("Usage", "client", "server", "client+server").
		addText("DNS names", "", "comma separated, optional").
		addText("URI SANs", "", "e.g. spiffe://example.org/svc, optional").
		addText("Days", "365", "").
		addChoice("Key", keyTypes...)
	host, store, ca := s.sh.host, s.sh.store, e.Name
	f.submit = func(v []string) (tea.Cmd, error) {
		name, cn := strings.TrimSpace(v[0]), strings.TrimSpace(v[1])
		if err := workspace.ValidateName(name); err != nil {
			return nil, err
		}
		if cn == "" {
			cn = name
		}
		days, err := strconv.Atoi(strings.TrimSpace(v[5]))
		if err != nil || days <= 0 {
			return nil, fmt.Errorf("days %q is not a positive whole number", safetext.Line(v[5]))
		}
		spec := pki.Spec{CN: cn, Days: days, Key: pki.KeyType(v[6]),
			Client: v[2] != "server", Server: v[2] != "client"}
		spec.DNSNames = append(spec.DNSNames, splitList(v[3])...)
		for _, u := range splitList(v[4]) {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme == "" {
				return nil, fmt.Errorf("URI SAN %q is not an absolute URI (like spiffe://example.org/svc)", safetext.Line(u))
			}
			spec.URIs = append(spec.URIs, pu)
		}
		return host.withKeys(func(keys *workspace.Keys) tea.Cmd { return issueCmd(store, keys, ca, name, spec) }), nil
	}
	return s.sh.host.openForm(f)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *keystoreScreen) exportForm(e workspace.Entry) tea.Cmd {
	if !e.HasKey {
		s.sh.host.setError(fmt.Errorf("%s has no private key in the workspace, so there is nothing to export with it; its certificate shows in the detail pane", safetext.Line(e.Name)))
		return nil
	}
	f := newForm("Export "+safetext.Line(e.Name),
		"Writes the chain and private key. An existing file is replaced only after you confirm.")
	f.addChoice("Format", "pem", "p12", "p12-legacy").
		addPath("Path", e.Name+".pem").
		addSecret("Passphrase")
	f.lines = append(f.lines, "PEM: an empty passphrase writes the key unencrypted. p12: the passphrase protects the file; p12-legacy suits old Java and macOS.")
	host, store, name := s.sh.host, s.sh.store, e.Name
	f.submit = func(v []string) (tea.Cmd, error) {
		format, path, pass := v[0], strings.TrimSpace(v[1]), v[2]
		if path == "" {
			return nil, errors.New("type the path of the file to write")
		}
		if format != "pem" && pass == "" {
			return nil, errors.New("a PKCS#12 file needs a passphrase: most tools refuse an empty one")
		}
		var pb []byte
		if pass != "" {
			pb = []byte(pass)
		}
		return host.withKeys(func(keys *workspace.Keys) tea.Cmd {
			return exportCmd(store, keys, name, format, path, pb, false)
		}), nil
	}
	return s.sh.host.openForm(f)
}

// newCAForm is `mtlswb pki ca` as a form: a root, or an intermediate under
// a workspace CA that holds its key.
func (s *keystoreScreen) newCAForm() tea.Cmd {
	parents := []string{"(none: a root)"}
	for _, e := range s.mine {
		if e.HasKey {
			parents = append(parents, e.Name)
		}
	}
	keyTypes := make([]string, len(pki.KeyTypes))
	for i, kt := range pki.KeyTypes {
		keyTypes[i] = string(kt)
	}
	f := newForm("New CA", "Like `mtlswb pki ca`: a root, or an intermediate signed by a workspace CA. Its key is stored sealed in the workspace.")
	f.addText("Name", "", "record name, e.g. team-ca").
		addText("Common name", "", "subject CN").
		addChoice("Parent", parents...).
		addText("Days", "3650", "").
		addChoice("Key", keyTypes...).
		addText("Path length", "", "default: 1 for a root, 0 below a parent")
	host, store := s.sh.host, s.sh.store
	f.submit = func(v []string) (tea.Cmd, error) {
		name, cn := strings.TrimSpace(v[0]), strings.TrimSpace(v[1])
		if err := workspace.ValidateName(name); err != nil {
			return nil, err
		}
		if cn == "" {
			return nil, errors.New("a CA needs a common name: type the CN its certificates will show as issuer")
		}
		parent := v[2]
		if parent == parents[0] {
			parent = ""
		}
		days, err := strconv.Atoi(strings.TrimSpace(v[3]))
		if err != nil || days <= 0 {
			return nil, fmt.Errorf("days %q is not a positive whole number", safetext.Line(v[3]))
		}
		spec := pki.Spec{CN: cn, Days: days, Key: pki.KeyType(v[4]), MaxPathLen: 1}
		if parent != "" {
			spec.MaxPathLen = 0
		}
		if pl := strings.TrimSpace(v[5]); pl != "" {
			n, err := strconv.Atoi(pl)
			if err != nil || n < -1 {
				return nil, fmt.Errorf("path length %q is not a whole number (-1 for unlimited)", safetext.Line(pl))
			}
			spec.MaxPathLen = n
		}
		return host.withKeys(func(keys *workspace.Keys) tea.Cmd { return newCACmd(store, keys, name, parent, spec) }), nil
	}
	return s.sh.host.openForm(f)
}

func newCACmd(s *workspace.Store, keys *workspace.Keys, name, parent string, spec pki.Spec) tea.Cmd {
	return func() tea.Msg {
		e, err := s.NewCA(keys, name, parent, spec)
		if err != nil {
			return errMsg{err: err}
		}
		what := "root CA"
		if parent != "" {
			what = "intermediate CA under " + parent
		}
		return actionDoneMsg{info: fmt.Sprintf("created %s %s (CN=%s)", what, e.Name, e.SubjectCN), select_: e.Name}
	}
}
