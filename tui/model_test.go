package tui

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

// TestHostileSubjectIsShownEscaped: a certificate subject carrying OSC 52
// (clipboard write) and CSI 2J (clear screen) must reach the terminal as
// visible text. With NO_COLOR the UI emits no escape of its own, so any ESC
// byte in the frame is a failure.
func TestHostileSubjectIsShownEscaped(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	t.Cleanup(workspace.AllowWeakKDFForTests())
	path := filepath.Join(t.TempDir(), "ws.db")
	s, err := workspace.Create(path, workspace.CreateOptions{NoPassphrase: true})
	if err != nil {
		t.Fatal(err)
	}
	evilCN := "evil\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202egnp.exe"
	leaf, err := pki.NewRoot(pki.Spec{CN: evilCN, Client: true, NotBefore: fixedNow.AddDate(0, -1, 0), NotAfter: fixedNow.AddDate(5, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.Unlock(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(keys, []workspace.NewRecord{{Kind: workspace.KindIdentity, Name: "evil", Chain: []*x509.Certificate{leaf.Cert}, Key: leaf.Key}}); err != nil {
		t.Fatal(err)
	}

	cases := map[string][]string{
		"list and detail": nil,
		"narrow detail":   {"enter"},
		"filtered":        {"/", "e", "v", "enter"},
	}
	for name, keys := range cases {
		t.Run(name, func(t *testing.T) {
			m := newTestModel(t, path, nil)
			w := 120
			if name == "narrow detail" {
				w = 80
			}
			start(t, m, w, 40)
			press(t, m, keys...)
			frame := m.View().Content
			if i := strings.IndexByte(frame, 0x1b); i >= 0 {
				t.Fatalf("frame holds an ESC byte at %d: %q", i, frame[max(i-20, 0):min(i+20, len(frame))])
			}
			if strings.ContainsAny(frame, "\x07\u202e\u009b") {
				t.Fatalf("frame holds a control or bidi character: %q", frame)
			}
			if !strings.Contains(frame, "^[]52;c;ZXZpbA==^G") && !strings.Contains(frame, `\x1b]52`) {
				t.Fatalf("the hostile subject is not visible as escaped text:\n%s", frame)
			}
		})
	}
}

// TestListFilterAndSort drives the identities list with keys.
func TestListFilterAndSort(t *testing.T) {
	ws := newTestWorkspace(t, true)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 80, 24)

	names := func() []string {
		var out []string
		for _, i := range m.ids.list.visible {
			out = append(out, m.ids.list.rows[i].key)
		}
		return out
	}
	if got := strings.Join(names(), ","); got != "alice,bob-soon,carol-old,web-server" {
		t.Fatalf("by name: %s", got)
	}
	press(t, m, "s")
	if got := strings.Join(names(), ","); got != "carol-old,bob-soon,alice,web-server" {
		t.Fatalf("by expiry: %s", got)
	}
	press(t, m, "/", "o", "l", "d")
	if !m.ids.typing() {
		t.Fatal("the filter input does not hold the keys")
	}
	if got := strings.Join(names(), ","); got != "carol-old" {
		t.Fatalf("filter old: %s", got)
	}
	press(t, m, "q") // typed into the filter, not quit
	if got := strings.Join(names(), ","); got != "" {
		t.Fatalf("filter oldq: %q", got)
	}
	press(t, m, "esc")
	if len(names()) != 4 || m.ids.typing() {
		t.Fatalf("esc did not clear the filter: %v", names())
	}
	view := plainView(m)
	for _, want := range []string{"EXPIRED", "expires in 12d", "no clientAuth"} {
		if !strings.Contains(view, want) {
			t.Errorf("list does not show badge %q:\n%s", want, view)
		}
	}
}

// TestLateAnswerOfCancelledRequestIsDropped: esc cancels a running send and
// an answer that still arrives for it changes nothing.
func TestLateAnswerOfCancelledRequestIsDropped(t *testing.T) {
	ws := newTestWorkspace(t, false)
	release := make(chan struct{})
	engine := func(ctx context.Context, _ tlsengine.Request) tlsengine.Report {
		<-release
		return okReport()
	}
	m := newTestModel(t, ws.copyOf(t), engine)
	start(t, m, 80, 24)
	press(t, m, "3")
	typeText(t, m, "https://example.org/")
	_, cmd := m.Update(keyMsg("ctrl+s"))
	if !m.composer.sending {
		t.Fatal("ctrl+s did not start a request")
	}
	if !strings.Contains(plainView(m), "sending") {
		t.Fatalf("no progress shown:\n%s", plainView(m))
	}
	id := m.composer.reqID
	press(t, m, "esc")
	if m.composer.sending {
		t.Fatal("esc did not cancel the request")
	}
	close(release)
	drive(t, m, cmd) // the engine answers late
	if m.page != pageComposer || m.inspector.report != nil {
		t.Fatalf("a cancelled request's answer was shown (request %d)", id)
	}
}

// TestUnlockOnDemandAndLock: browsing needs no passphrase; export asks for
// it once, a wrong one is refused, L locks again.
func TestUnlockOnDemandAndLock(t *testing.T) {
	ws := newTestWorkspace(t, true)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 80, 24)
	if m.keys != nil || m.modal != nil {
		t.Fatal("the workspace asked for its passphrase before a key was needed")
	}
	out := filepath.Join(t.TempDir(), "alice.pem")
	press(t, m, "e")
	if m.modal == nil || !strings.Contains(plainView(m), "Export alice") {
		t.Fatalf("no export form:\n%s", plainView(m))
	}
	press(t, m, "tab")
	// Replace the default path with ours.
	for range len("alice.pem") {
		press(t, m, "backspace")
	}
	typeText(t, m, out)
	press(t, m, "enter", "enter") // path -> passphrase (empty: unencrypted PEM) -> submit
	if !strings.Contains(plainView(m), "Unlock the workspace") {
		t.Fatalf("export did not ask for the passphrase:\n%s", plainView(m))
	}
	typeText(t, m, "wrong")
	press(t, m, "enter")
	if m.keys != nil || !strings.Contains(plainView(m), "wrong passphrase") {
		t.Fatalf("a wrong passphrase was not refused:\n%s", plainView(m))
	}
	typeText(t, m, testPass)
	press(t, m, "enter")
	if m.keys == nil {
		t.Fatalf("not unlocked:\n%s", plainView(m))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("export wrote nothing: %v\n%s", err, plainView(m))
	}
	if !strings.Contains(string(data), "PRIVATE KEY") || !strings.Contains(string(data), "CERTIFICATE") {
		t.Fatalf("export is not a PEM chain and key:\n%s", data)
	}
	if strings.Contains(plainView(m), testPass) {
		t.Fatal("the passphrase is on screen")
	}

	// A second export to the same path asks before replacing it.
	press(t, m, "e", "tab")
	for range len("alice.pem") {
		press(t, m, "backspace")
	}
	typeText(t, m, out)
	press(t, m, "enter", "enter")
	if !strings.Contains(plainView(m), "Replace file?") {
		t.Fatalf("an existing file would be overwritten without asking:\n%s", plainView(m))
	}
	press(t, m, "n")

	press(t, m, "L")
	if m.keys != nil {
		t.Fatal("L did not lock the keys")
	}
}

// TestRenameAndDelete goes through the forms to the workspace and back.
func TestRenameAndDelete(t *testing.T) {
	ws := newTestWorkspace(t, true)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 80, 24)
	press(t, m, "r")
	for range len("alice") {
		press(t, m, "backspace")
	}
	typeText(t, m, "alice2")
	press(t, m, "enter")
	if _, ok := m.ids.entries["alice2"]; !ok {
		t.Fatalf("rename did not reach the list:\n%s", plainView(m))
	}
	press(t, m, "d")
	if !strings.Contains(plainView(m), "Delete identity alice2?") {
		t.Fatalf("no confirmation:\n%s", plainView(m))
	}
	press(t, m, "n")
	if _, ok := m.ids.entries["alice2"]; !ok {
		t.Fatal("declining deleted it")
	}
	press(t, m, "d", "y")
	if _, ok := m.ids.entries["alice2"]; ok {
		t.Fatalf("not deleted:\n%s", plainView(m))
	}
}

// TestFirstRunCreatesWorkspace: passphrase twice, no echo, then the empty
// workspace opens.
func TestFirstRunCreatesWorkspace(t *testing.T) {
	t.Cleanup(workspace.AllowWeakKDFForTests())
	path := filepath.Join(t.TempDir(), "sub", "ws.db")
	m := newTestModel(t, path, nil)
	start(t, m, 80, 24)
	if m.state != stateFirstRun {
		t.Fatal("no first-run screen without a workspace")
	}
	press(t, m, "enter")
	typeText(t, m, "secret-one")
	press(t, m, "enter")
	typeText(t, m, "secret-two")
	press(t, m, "enter")
	if !strings.Contains(plainView(m), "differ") || workspace.Exists(path) {
		t.Fatalf("mismatched passphrases were accepted:\n%s", plainView(m))
	}
	if strings.Contains(plainView(m), "secret-") {
		t.Fatal("the passphrase is echoed")
	}
	for range len("secret-two") { // focus stays on the second field
		press(t, m, "backspace")
	}
	typeText(t, m, "secret-one")
	press(t, m, "enter")
	if m.state != stateReady || !workspace.Exists(path) || !m.encrypted {
		t.Fatalf("workspace not created:\n%s", plainView(m))
	}
}

// TestCompareNeedsMark: = without a mark says what to do.
func TestCompareNeedsMark(t *testing.T) {
	ws := newTestWorkspace(t, false)
	addTestHistory(t, ws.store)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 80, 24)
	press(t, m, "4", "=")
	if !strings.Contains(plainView(m), "mark an attempt with m first") {
		t.Fatalf("no hint:\n%s", plainView(m))
	}
	press(t, m, "enter")
	if m.page != pageInspector || m.inspector.report == nil || m.inspector.tab != tabResponse {
		t.Fatalf("enter did not open the attempt:\n%s", plainView(m))
	}
	press(t, m, "esc")
	if m.page != pageHistory {
		t.Fatal("esc did not go back")
	}
}

func TestQuitKeys(t *testing.T) {
	ws := newTestWorkspace(t, false)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 80, 24)
	if _, cmd := m.Update(keyMsg("q")); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("q does not quit on a list")
	}
	press(t, m, "3")
	if _, cmd := m.Update(keyMsg("q")); cmd != nil && cmd() == tea.Quit() {
		t.Fatal("q quits while typing a URL")
	}
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("ctrl+c does not quit")
	}
}

// TestIdleLock: unlocked keys are dropped after 15 minutes without a key.
func TestIdleLock(t *testing.T) {
	ws := newTestWorkspace(t, true)
	now := fixedNow
	m := New(Options{WorkspacePath: ws.copyOf(t), Now: func() time.Time { return now }}).(*model)
	m.sh.pollEvery = 0
	start(t, m, 80, 24)
	drive(t, m, m.withKeys(func(*workspace.Keys) tea.Cmd { return nil }))
	typeText(t, m, testPass)
	press(t, m, "enter")
	if m.keys == nil {
		t.Fatalf("not unlocked:\n%s", plainView(m))
	}
	now = now.Add(14 * time.Minute)
	m.Update(pollTickedMsg{})
	if m.keys == nil {
		t.Fatal("locked before 15 idle minutes")
	}
	now = now.Add(2 * time.Minute)
	m.Update(pollTickedMsg{})
	if m.keys != nil {
		t.Fatal("still unlocked after 16 idle minutes")
	}
}

// TestImportEncryptedFile: the import asks for the workspace passphrase,
// then for the file's, and a wrong file passphrase is asked again.
func TestImportEncryptedFile(t *testing.T) {
	ws := newTestWorkspace(t, true)
	leaf, err := pki.NewRoot(pki.Spec{CN: "imported-one", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := certfile.EncodePEM([]*x509.Certificate{leaf.Cert}, leaf.Key, []byte("file-pass"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "id.pem")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 100, 30)
	press(t, m, "i")
	typeText(t, m, file)
	press(t, m, "enter")
	typeText(t, m, "imported")
	press(t, m, "enter", "enter")
	if !strings.Contains(plainView(m), "Unlock the workspace") {
		t.Fatalf("no workspace passphrase prompt:\n%s", plainView(m))
	}
	typeText(t, m, testPass)
	press(t, m, "enter")
	if !strings.Contains(plainView(m), "File passphrase") {
		t.Fatalf("no file passphrase prompt:\n%s", plainView(m))
	}
	typeText(t, m, "nope")
	press(t, m, "enter")
	if !strings.Contains(plainView(m), "wrong passphrase for the file") {
		t.Fatalf("a wrong file passphrase was not reported:\n%s", plainView(m))
	}
	typeText(t, m, "file-pass")
	press(t, m, "enter")
	if _, ok := m.ids.entries["imported"]; !ok {
		t.Fatalf("not imported:\n%s", plainView(m))
	}
	if m.ids.list.selectedKey() != "imported" {
		t.Errorf("the imported identity is not selected: %q", m.ids.list.selectedKey())
	}
}

// TestFirstRunDemoIsLabelled: choosing the demo on the first-run screen opens
// it with the demo's guide and badge, as `mtlswb demo` does.
func TestFirstRunDemoIsLabelled(t *testing.T) {
	ws := newTestWorkspace(t, false)
	demoPath := ws.copyOf(t)
	cleaned := false
	m := New(Options{
		WorkspacePath: filepath.Join(t.TempDir(), "none.db"),
		StartDemo:     func() (string, func(), error) { return demoPath, func() { cleaned = true }, nil },
		DemoGuide:     "DEMO GUIDE: send a saved request",
		Now:           func() time.Time { return fixedNow },
	}).(*model)
	m.sh.pollEvery = 0
	start(t, m, 100, 30)
	if !strings.Contains(plainView(m), "Open the demo") {
		t.Fatalf("first-run screen does not offer the demo:\n%s", plainView(m))
	}
	_, cmd := m.Update(demoStartedMsg{path: demoPath, cleanup: func() { cleaned = true }})
	drive(t, m, cmd)
	view := plainView(m)
	if !strings.Contains(view, "DEMO GUIDE: send a saved request") || !strings.Contains(view, "DEMO") {
		t.Errorf("the demo opened from the first-run screen is not labelled:\n%s", view)
	}
	if m.cleanup == nil || cleaned {
		t.Error("the demo's cleanup must be kept for exit, not run yet")
	}
}

// TestNoticesChangesFromAnotherProcess: a record the CLI adds while the TUI
// is open shows up at the next poll, without a restart.
func TestNoticesChangesFromAnotherProcess(t *testing.T) {
	ws := newTestWorkspace(t, false)
	path := ws.copyOf(t)
	m := newTestModel(t, path, nil)
	start(t, m, 120, 40)
	if strings.Contains(plainView(m), "newcomer") {
		t.Fatal("newcomer is there before it was added")
	}
	// What `mtlswb import` in another terminal does: its own Store, its own
	// open-transaction-close.
	other, err := workspace.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := other.Unlock(nil)
	if err != nil {
		t.Fatal(err)
	}
	root, err := pki.NewRoot(pki.Spec{CN: "newcomer", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Add(keys, []workspace.NewRecord{{Kind: workspace.KindIdentity, Name: "newcomer", Chain: []*x509.Certificate{root.Cert}, Key: root.Key}}); err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(pollTickedMsg{})
	drive(t, m, cmd)
	if !strings.Contains(plainView(m), "newcomer") {
		t.Errorf("the TUI did not pick up the record added by another process:\n%s", plainView(m))
	}
}

// TestHistoryCursorFollowsNewAttempt: a new attempt takes the cursor, even
// when the cursor was on an older one.
func TestHistoryCursorFollowsNewAttempt(t *testing.T) {
	m := newTestModel(t, "unused", nil)
	h := m.history
	at := fixedNow
	entry := func(id uint64) workspace.HistoryEntry {
		return workspace.HistoryEntry{ID: id, At: at, Method: "GET", URL: fmt.Sprintf("https://h/%d", id), OK: true, Status: 200}
	}
	h.setHistory([]workspace.HistoryEntry{entry(2), entry(1)})
	h.hist.selectKey("1")
	h.setHistory([]workspace.HistoryEntry{entry(2), entry(1)}) // a reload with nothing new
	if got := h.hist.selectedKey(); got != "1" {
		t.Fatalf("a reload moved the cursor to %s", got)
	}
	h.setHistory([]workspace.HistoryEntry{entry(3), entry(2), entry(1)})
	if got := h.hist.selectedKey(); got != "3" {
		t.Errorf("cursor on %s after a new attempt, want 3", got)
	}
}
