package tui

import (
	"bytes"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/tlsengine/serve"
	"github.com/mtlswb/mtlswb/tlsengine/tlstest"
	"github.com/mtlswb/mtlswb/workspace"
)

// realServerWorkspace is an encrypted workspace holding the test PKI's root
// as CA "test-root", its client as identity "client", and an identity from
// another root, "stranger", which the server will not accept.
func realServerWorkspace(t *testing.T) (path string, p *tlstest.PKI) {
	t.Helper()
	t.Cleanup(workspace.AllowWeakKDFForTests())
	p = tlstest.NewPKI(t)
	other, err := pki.NewRoot(pki.Spec{CN: "Other Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := other.Issue(pki.Spec{CN: "stranger", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "ws.db")
	s, err := workspace.Create(path, workspace.CreateOptions{Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.Unlock([]byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Lock()
	err = s.Add(keys, []workspace.NewRecord{
		{Kind: workspace.KindCA, Name: "test-root", Chain: []*x509.Certificate{p.Root.Cert}},
		{Kind: workspace.KindIdentity, Name: "client", Chain: []*x509.Certificate{p.Client.Cert, p.Root.Cert}, Key: p.Client.Key},
		{Kind: workspace.KindIdentity, Name: "stranger", Chain: []*x509.Certificate{stranger.Cert}, Key: stranger.Key},
	})
	if err != nil {
		t.Fatal(err)
	}
	return path, p
}

func sendKeys(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
}

func typeKeys(tm *teatest.TestModel, s string) {
	for _, r := range s {
		tm.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// waitOutput waits until want has been drawn. The renderer redraws only the
// cells that changed, so text that changes in place ("1/1" becoming "1/2")
// may reach the output as a lone "2": while want is missing, a full redraw
// is asked for now and then, which draws the screen's text whole.
func waitOutput(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	checks := 0
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		if bytes.Contains(b, []byte(want)) {
			return true
		}
		if checks++; checks%25 == 0 {
			tm.Send(tea.ClearScreen())
		}
		return false
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// TestProgramRealSend runs the whole program against the mtlswb echo server
// on 127.0.0.1: first without an identity (the server requires one), then
// with the identity it trusts, unlocking the workspace on the way.
func TestProgramRealSend(t *testing.T) {
	path, p := realServerWorkspace(t)
	addr := tlstest.StartServe(t, serve.Config{Cert: p.ServerCert(), ClientCAs: []*x509.Certificate{p.Root.Cert}})

	m := New(Options{WorkspacePath: path})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	waitOutput(t, tm, "client")

	// Compose: URL, trust test-root, no identity; send.
	sendKeys(tm, "3")
	typeKeys(tm, "https://"+addr+"/hello")
	sendKeys(tm, "tab", "tab", "tab", "tab", "enter") // Trust picker
	waitOutput(t, tm, "Trust: space toggles")
	sendKeys(tm, "down", "space", "up", "space", "enter") // + test-root, - system roots
	sendKeys(tm, "ctrl+s")
	waitOutput(t, tm, "client-cert-required")

	// Back to the composer, pick identity "client" and send again: the
	// passphrase prompt comes first.
	sendKeys(tm, "esc", "shift+tab", "right", "ctrl+s")
	waitOutput(t, tm, "Unlock the workspace")
	typeKeys(tm, testPass)
	sendKeys(tm, "enter")
	waitOutput(t, tm, "200 HTTP/2.0")
	sendKeys(tm, "shift+tab", "shift+tab", "shift+tab", "shift+tab") // Response -> Verdict
	waitOutput(t, tm, "[Verdict]")
	sendKeys(tm, "4")
	waitOutput(t, tm, "1/2") // the newest attempt has the cursor
	sendKeys(tm, "q")

	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*model)
	if fm.keys == nil {
		t.Fatal("keys are locked after a successful unlock")
	}
	if fm.inspector.report == nil || !fm.inspector.report.OK {
		t.Fatalf("last report = %+v, want OK", fm.inspector.report)
	}
	if len(fm.history.hist.rows) != 2 {
		t.Fatalf("history has %d rows, want 2 (both attempts)", len(fm.history.hist.rows))
	}
	fm.showPage(pageInspector)
	fm.inspector.tab = tabVerdict
	fm.inspector.render()
	view := plainView(fm)
	for _, want := range []string{"✓ OK · HTTP 200", "identity client"} {
		if !strings.Contains(view, want) {
			t.Errorf("verdict tab does not show %q:\n%s", want, view)
		}
	}
}
