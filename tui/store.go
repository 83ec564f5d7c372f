package tui

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/certinfo"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/plan"
	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// Every function here returns a tea.Cmd: each workspace call opens the bbolt
// file, runs one transaction and closes it, so the CLI in another terminal
// keeps working, and Update never waits on a disk or a lock. Closures capture
// copies (the store handle, names, specs), never the model.

// historyLimit bounds what the history screen loads; older attempts stay in
// the file for the CLI.
const historyLimit = 5000

type (
	workspaceMissingMsg struct{}
	workspaceOpenedMsg  struct {
		store     *workspace.Store
		encrypted bool
	}
	entriesLoadedMsg struct {
		entries []workspace.Entry
		gen     uint64
	}
	historyLoadedMsg struct{ entries []workspace.HistoryEntry }
	savedLoadedMsg   struct{ saved []workspace.SavedRequest }
	generationMsg    struct{ gen uint64 }
	pollTickedMsg    struct{}
	unlockedMsg      struct {
		keys *workspace.Keys
		err  error
	}
	// recordLoadedMsg is the detail of one record with its chain checked
	// link by link; seq drops answers for a selection that moved on.
	recordLoadedMsg struct {
		seq    int
		name   string
		rec    *workspace.Record
		links  []chainLinkCheck
		ok     bool
		detail string
		err    error
	}
	// actionDoneMsg reports a finished write (rename, delete, import, …);
	// the root reloads the workspace after it.
	actionDoneMsg struct {
		info    string
		select_ string
	}
	// errMsg is the one error path: what failed, in words fit for the user.
	errMsg struct{ err error }
	// needFilePassphraseMsg says an import hit an encrypted file.
	needFilePassphraseMsg struct {
		paths []string
		name  string
		as    workspace.Kind
		wrong bool
	}
	reportReceivedMsg struct {
		id     int
		spec   workspace.RequestSpec
		report tlsengine.Report
	}
	historyAddedMsg struct{ id uint64 }
	requestSavedMsg struct{ name string }
)

func openWorkspaceCmd(path string) tea.Cmd {
	return func() tea.Msg {
		if !workspace.Exists(path) {
			return workspaceMissingMsg{}
		}
		s, err := workspace.Open(path)
		if err != nil {
			return errMsg{err: err}
		}
		return workspaceOpenedMsg{store: s, encrypted: s.Encrypted()}
	}
}

func createWorkspaceCmd(path string, pass []byte, none bool) tea.Cmd {
	return func() tea.Msg {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return errMsg{err: fmt.Errorf("create the workspace directory %s: %w", dir, err)}
			}
		}
		s, err := workspace.Create(path, workspace.CreateOptions{Passphrase: pass, NoPassphrase: none})
		if err != nil {
			return errMsg{err: err}
		}
		return workspaceOpenedMsg{store: s, encrypted: s.Encrypted()}
	}
}

func loadEntriesCmd(s *workspace.Store) tea.Cmd {
	return func() tea.Msg {
		gen, err := s.Generation()
		if err != nil {
			return errMsg{err: err}
		}
		entries, err := s.List()
		if err != nil {
			return errMsg{err: err}
		}
		return entriesLoadedMsg{entries: entries, gen: gen}
	}
}

func loadHistoryCmd(s *workspace.Store) tea.Cmd {
	return func() tea.Msg {
		h, err := s.History(historyLimit)
		if err != nil {
			return errMsg{err: err}
		}
		return historyLoadedMsg{entries: h}
	}
}

func loadSavedCmd(s *workspace.Store) tea.Cmd {
	return func() tea.Msg {
		saved, err := s.SavedRequests()
		if err != nil {
			return errMsg{err: err}
		}
		return savedLoadedMsg{saved: saved}
	}
}

// pollInterval is how often the TUI asks the workspace whether the CLI
// changed it; Generation is one read transaction (~0.1 ms).
const pollInterval = 2 * time.Second

func pollTick(every time.Duration) tea.Cmd {
	if every <= 0 {
		return nil
	}
	return tea.Tick(every, func(time.Time) tea.Msg { return pollTickedMsg{} })
}

func generationCmd(s *workspace.Store) tea.Cmd {
	return func() tea.Msg {
		gen, err := s.Generation()
		if err != nil {
			// A busy file is normal while the CLI writes; try again next tick.
			return generationMsg{gen: 0}
		}
		return generationMsg{gen: gen}
	}
}

func unlockCmd(s *workspace.Store, pass []byte) tea.Cmd {
	return func() tea.Msg {
		k, err := s.Unlock(pass)
		return unlockedMsg{keys: k, err: err}
	}
}

// chainLinkCheck is one link of a record's chain with its own verdict.
type chainLinkCheck struct {
	subject string
	issuer  string
	from    string // "record" or "workspace CA <name>"
	verdict string // "ok" or the problem in words
	ok      bool
}

func loadRecordCmd(s *workspace.Store, seq int, name string, cas []string, now time.Time) tea.Cmd {
	return func() tea.Msg {
		rec, err := s.Get(name)
		if err != nil {
			return recordLoadedMsg{seq: seq, name: name, err: err}
		}
		chain := append([]*x509.Certificate(nil), rec.Chain...)
		from := make([]string, len(chain))
		for i := range from {
			from[i] = "record"
		}
		// Complete the chain with workspace CAs, as the request path does, so
		// the tree shows where trust ends.
		for len(chain) > 0 && len(chain) < 10 && !certinfo.IsSelfSigned(chain[len(chain)-1]) {
			top := chain[len(chain)-1]
			var found *x509.Certificate
			var foundName string
			for _, ca := range cas {
				if ca == name {
					continue
				}
				r, err := s.Get(ca)
				if err != nil || len(r.Chain) == 0 {
					continue
				}
				if string(r.Chain[0].RawSubject) == string(top.RawIssuer) && top.CheckSignatureFrom(r.Chain[0]) == nil {
					found, foundName = r.Chain[0], ca
					break
				}
			}
			if found == nil {
				break
			}
			chain = append(chain, found)
			from = append(from, "workspace CA "+foundName)
		}
		links := checkChain(chain, from, now)
		ok, detail, verr := s.VerifyChain(name)
		if verr != nil {
			detail = verr.Error()
		}
		return recordLoadedMsg{seq: seq, name: name, rec: rec, links: links, ok: ok && verr == nil, detail: detail}
	}
}

// checkChain gives every link its own verdict: validity at now, signed by the
// next link, and for the last link whether it is a root at all.
func checkChain(chain []*x509.Certificate, from []string, now time.Time) []chainLinkCheck {
	out := make([]chainLinkCheck, len(chain))
	for i, c := range chain {
		l := chainLinkCheck{subject: certName(c), issuer: certIssuerName(c), from: from[i]}
		var problems []string
		switch {
		case now.After(c.NotAfter):
			problems = append(problems, "expired "+c.NotAfter.UTC().Format("2006-01-02"))
		case now.Before(c.NotBefore):
			problems = append(problems, "not valid before "+c.NotBefore.UTC().Format("2006-01-02"))
		}
		if i > 0 && !c.IsCA {
			problems = append(problems, "not a CA certificate")
		}
		if i+1 < len(chain) {
			if err := c.CheckSignatureFrom(chain[i+1]); err != nil {
				problems = append(problems, "not signed by the next certificate")
			}
		} else if certinfo.IsSelfSigned(c) {
			if err := c.CheckSignatureFrom(c); err != nil {
				problems = append(problems, "self-signature does not verify")
			}
		} else {
			problems = append(problems, "issuer not in the workspace")
		}
		if len(problems) == 0 {
			l.ok, l.verdict = true, "ok"
		} else {
			l.verdict = strings.Join(problems, "; ")
		}
		out[i] = l
	}
	return out
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

func certIssuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

func renameCmd(s *workspace.Store, from, to string) tea.Cmd {
	return func() tea.Msg {
		if err := s.Rename(from, to); err != nil {
			return errMsg{err: err}
		}
		return actionDoneMsg{info: fmt.Sprintf("renamed %s to %s", from, to), select_: to}
	}
}

func removeCmd(s *workspace.Store, name string, force bool) tea.Cmd {
	return func() tea.Msg {
		if err := s.Remove(name, force); err != nil {
			return errMsg{err: err}
		}
		return actionDoneMsg{info: "deleted " + name}
	}
}

// importCmd imports files; pass is the file passphrase the user typed, nil
// until an encrypted file asks for one.
func importCmd(s *workspace.Store, keys *workspace.Keys, paths []string, name string, as workspace.Kind, pass []byte) tea.Cmd {
	return func() tea.Msg {
		asked := false
		passFn := func(string) ([]byte, error) {
			asked = true
			if pass == nil {
				return nil, certfile.ErrEncrypted
			}
			return pass, nil
		}
		entries, err := s.Import(keys, paths, passFn, workspace.ImportOptions{Name: name, As: as})
		switch {
		case err != nil && errors.Is(err, certfile.ErrWrongPassphrase):
			return needFilePassphraseMsg{paths: paths, name: name, as: as, wrong: true}
		case err != nil && (errors.Is(err, certfile.ErrEncrypted) || (asked && pass == nil)):
			return needFilePassphraseMsg{paths: paths, name: name, as: as}
		case err != nil:
			return errMsg{err: err}
		}
		names := make([]string, len(entries))
		for i, e := range entries {
			names[i] = e.Name
		}
		sel := ""
		if len(names) > 0 {
			sel = names[0]
		}
		return actionDoneMsg{info: "imported " + strings.Join(names, ", "), select_: sel}
	}
}

func issueCmd(s *workspace.Store, keys *workspace.Keys, ca, name string, spec pki.Spec) tea.Cmd {
	return func() tea.Msg {
		e, err := s.Issue(keys, ca, name, spec)
		if err != nil {
			return errMsg{err: err}
		}
		return actionDoneMsg{info: fmt.Sprintf("issued %s from CA %s", e.Name, ca), select_: e.Name}
	}
}

// exportCmd writes a record's chain and key to path. It refuses to replace an
// existing file unless overwrite is set (the user confirmed).
func exportCmd(s *workspace.Store, keys *workspace.Keys, name, format, path string, pass []byte, overwrite bool) tea.Cmd {
	return func() tea.Msg {
		rec, err := s.Get(name)
		if err != nil {
			return errMsg{err: err}
		}
		key, err := s.Signer(keys, name)
		if err != nil {
			return errMsg{err: err}
		}
		var data []byte
		switch format {
		case "p12", "p12-legacy":
			data, err = certfile.EncodeP12(rec.Chain, key, pass, format == "p12-legacy")
		default:
			data, err = certfile.EncodePEM(rec.Chain, key, pass)
		}
		if err != nil {
			return errMsg{err: fmt.Errorf("export %s: %w", name, err)}
		}
		// A new 0600 file renamed into place: never written through a
		// link, never left half written (see safefile).
		err = safefile.Write(path, overwrite, func(w io.Writer) error { _, err := w.Write(data); return err })
		if errors.Is(err, os.ErrExist) {
			return exportExistsMsg{name: name, format: format, path: path, pass: pass}
		}
		if err != nil {
			return errMsg{err: fmt.Errorf("export %s to %s: %w", name, path, err)}
		}
		return actionDoneMsg{info: fmt.Sprintf("exported %s to %s", name, path)}
	}
}

// exportExistsMsg asks the user before an export replaces a file.
type exportExistsMsg struct {
	name, format, path string
	pass               []byte
}

// sendCmd resolves the decided plan with the keys the user unlocked (nil
// when it needs none) and runs the engine with a context the model can
// cancel. p is not touched by the model once handed over.
func sendCmd(ctx context.Context, keys *workspace.Keys, engine func(context.Context, tlsengine.Request) tlsengine.Report, id int, p *plan.Plan) tea.Cmd {
	return func() tea.Msg {
		err := p.Resolve(func(*workspace.Store) (*workspace.Keys, error) { return keys, nil })
		if err != nil {
			return reportReceivedMsg{id: id, spec: p.Spec, report: resolveFailure(p.Spec, err)}
		}
		return reportReceivedMsg{id: id, spec: p.Spec, report: engine(ctx, p.Request)}
	}
}

// resolveFailure turns a spec the workspace could not resolve (missing
// identity, bad timeout) into a report, so the inspector shows it like any
// other failure.
func resolveFailure(spec workspace.RequestSpec, err error) tlsengine.Report {
	return tlsengine.Report{
		Request: tlsengine.RequestInfo{Method: spec.Method, URL: spec.URL, Probe: spec.Probe, Identity: spec.Identity, Insecure: spec.Insecure},
		Failure: &tlsengine.Failure{
			Phase:   tlsengine.PhaseRequest,
			Summary: "the request could not be prepared",
			Detail:  err.Error(),
			Hints:   []string{"check the identity, trusted CAs and options in the composer"},
		},
	}
}

func addHistoryCmd(s *workspace.Store, spec workspace.RequestSpec, rep tlsengine.Report, at time.Time) tea.Cmd {
	return func() tea.Msg {
		id, err := s.Remember(spec, rep, at)
		if err != nil {
			return errMsg{err: fmt.Errorf("save the attempt to history: %w", err)}
		}
		return historyAddedMsg{id: id}
	}
}

func saveRequestCmd(s *workspace.Store, name string, spec workspace.RequestSpec, at time.Time) tea.Cmd {
	return func() tea.Msg {
		b, err := json.Marshal(spec)
		if err != nil {
			return errMsg{err: err}
		}
		if err := s.SaveRequest(workspace.SavedRequest{Name: name, Spec: b, Saved: at}); err != nil {
			return errMsg{err: err}
		}
		return requestSavedMsg{name: name}
	}
}

func deleteSavedCmd(s *workspace.Store, name string) tea.Cmd {
	return func() tea.Msg {
		if err := s.DeleteSavedRequest(name); err != nil {
			return errMsg{err: err}
		}
		return actionDoneMsg{info: "deleted saved request " + name}
	}
}
