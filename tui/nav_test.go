package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/workspace"
)

// isQuit reports whether cmd (run) asks the program to quit.
func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

// TestBackStack: esc walks back along the pages the user came through; a
// send from Saved comes back to the Saved list with its cursor, not to the
// composer, and the next key is a command, not text.
func TestBackStack(t *testing.T) {
	ws := newTestWorkspace(t, false)
	addTestHistory(t, ws.store)
	if err := ws.store.SaveRequest(workspace.SavedRequest{Name: "zz-last", Spec: []byte(`{"url":"https://z.example/"}`), Saved: fixedNow}); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 120, 40)

	press(t, m, "4", "tab", "down") // Saved, cursor on the second request
	if m.history.pane != paneSaved || m.history.saved.selectedKey() != "zz-last" {
		t.Fatalf("setup: pane %d, cursor %q", m.history.pane, m.history.saved.selectedKey())
	}
	press(t, m, "ctrl+s")
	if m.page != pageInspector {
		t.Fatalf("the send did not show its result:\n%s", plainView(m))
	}
	press(t, m, "esc")
	if m.page != pageHistory || m.history.pane != paneSaved || m.history.saved.selectedKey() != "zz-last" {
		t.Fatalf("esc after a send from Saved: page %d pane %d cursor %q, want the Saved list on zz-last", m.page, m.history.pane, m.history.saved.selectedKey())
	}
	press(t, m, "3")
	url := m.composer.url.Value()
	press(t, m, "esc") // the composer is not typing: esc goes back
	if m.page != pageHistory {
		t.Fatalf("esc in the composer went to page %d, want History", m.page)
	}
	press(t, m, "4")
	if m.composer.url.Value() != url {
		t.Fatalf("a key after esc was typed into the URL: %q", m.composer.url.Value())
	}

	// Edit from History, then esc: back to History, the composer never
	// left typing mode on.
	press(t, m, "E")
	if m.page != pageComposer || m.composer.typing() {
		t.Fatalf("E: page %d typing %v", m.page, m.composer.typing())
	}
	press(t, m, "esc")
	if m.page != pageHistory {
		t.Fatalf("esc after E: page %d", m.page)
	}
	// Pages visited with the number keys come back in reverse order.
	press(t, m, "1", "2", "esc")
	if m.page != pageIdentities {
		t.Fatalf("esc from CAs: page %d, want Identities", m.page)
	}
	press(t, m, "esc")
	if m.page != pageHistory {
		t.Fatalf("second esc: page %d, want History", m.page)
	}
}

// TestResendFromInspectorKeepsOneStep: ctrl+s on a result replaces it with
// the new result; esc then goes to where the first one came from.
func TestResendFromInspectorKeepsOneStep(t *testing.T) {
	ws := newTestWorkspace(t, false)
	addTestHistory(t, ws.store)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 120, 40)
	press(t, m, "4", "enter", "ctrl+s", "ctrl+s")
	if m.page != pageInspector {
		t.Fatalf("page %d", m.page)
	}
	press(t, m, "esc")
	if m.page != pageHistory {
		t.Fatalf("esc: page %d, want History", m.page)
	}
}

func TestQuitAsksWhenSomethingIsLost(t *testing.T) {
	ws := newTestWorkspace(t, false)
	t.Run("clean", func(t *testing.T) {
		m := newTestModel(t, ws.copyOf(t), nil)
		start(t, m, 80, 24)
		if _, cmd := m.Update(keyMsg("q")); !isQuit(cmd) {
			t.Fatal("q with nothing to lose does not quit at once")
		}
	})
	t.Run("unsaved edits", func(t *testing.T) {
		m := newTestModel(t, ws.copyOf(t), nil)
		start(t, m, 80, 24)
		press(t, m, "3")
		typeText(t, m, "https://example.org/")
		press(t, m, "esc")
		_, cmd := m.Update(keyMsg("q"))
		if isQuit(cmd) || m.modal == nil || !strings.Contains(plainView(m), "edits you have not saved") {
			t.Fatalf("q with unsaved edits did not ask:\n%s", plainView(m))
		}
		press(t, m, "n")
		if m.modal != nil || m.page != pageComposer {
			t.Fatal("n did not keep the program")
		}
		press(t, m, "q")
		if _, cmd := m.Update(keyMsg("y")); !isQuit(cmd) {
			t.Fatal("y did not quit")
		}
	})
	t.Run("saved edits", func(t *testing.T) {
		m := newTestModel(t, ws.copyOf(t), nil)
		start(t, m, 80, 24)
		press(t, m, "3")
		typeText(t, m, "https://example.org/")
		press(t, m, "ctrl+w")
		typeText(t, m, "mine")
		press(t, m, "enter")
		if m.composer.dirty() {
			t.Fatalf("still dirty after a save:\n%s", plainView(m))
		}
		press(t, m, "esc") // the URL still had the keys
		if _, cmd := m.Update(keyMsg("q")); !isQuit(cmd) {
			t.Fatalf("q after saving asks:\n%s", plainView(m))
		}
	})
	t.Run("demo", func(t *testing.T) {
		m := New(Options{WorkspacePath: ws.copyOf(t), Guide: "DEMO", Now: func() time.Time { return fixedNow }}).(*model)
		m.sh.pollEvery = 0
		start(t, m, 80, 24)
		press(t, m, "q")
		if !strings.Contains(plainView(m), "deletes its workspace") {
			t.Fatalf("quitting the demo does not warn:\n%s", plainView(m))
		}
		if _, cmd := m.Update(keyMsg("q")); !isQuit(cmd) {
			t.Fatal("q q does not quit the demo")
		}
	})
}

// TestPalette: : lists the actions of the state it opens from, filters
// them fuzzily, and runs the one chosen as its key would.
func TestPalette(t *testing.T) {
	ws := newTestWorkspace(t, false)
	m := newTestModel(t, ws.copyOf(t), nil)
	start(t, m, 100, 30)
	press(t, m, ":")
	if m.palette == nil {
		t.Fatal(": did not open the palette")
	}
	v := plainView(m)
	for _, want := range []string{"sort name/expiry", "new request", "import"} {
		if !strings.Contains(v, want) {
			t.Errorf("palette lacks %q:\n%s", want, v)
		}
	}
	typeText(t, m, "srt")
	if r := m.palette.list.selected(); r == nil || !strings.Contains(strings.Join(r.cells, " "), "sort") {
		t.Fatalf("fuzzy 'srt' does not put sort first:\n%s", plainView(m))
	}
	press(t, m, "enter")
	if m.palette != nil || !m.ids.byExp {
		t.Fatalf("enter did not run sort:\n%s", plainView(m))
	}
	press(t, m, ":")
	typeText(t, m, "zzzz")
	if !strings.Contains(plainView(m), "no action matches") {
		t.Fatalf("no empty message:\n%s", plainView(m))
	}
	press(t, m, "esc")
	if m.palette != nil {
		t.Fatal("esc did not close the palette")
	}
}

func TestFuzzyScore(t *testing.T) {
	cases := []struct {
		q, hay string
		ok     bool
	}{
		{"", "anything", true},
		{"sv", "save", true},
		{"vs", "save", false},
		{"ctrl+w", "save ctrl+w", true},
	}
	for _, c := range cases {
		if _, ok := fuzzyScore(c.q, c.hay); ok != c.ok {
			t.Errorf("fuzzyScore(%q, %q) ok = %v", c.q, c.hay, ok)
		}
	}
	a, _ := fuzzyScore("sa", "save")
	b, _ := fuzzyScore("sa", "server accepts")
	if a <= b {
		t.Errorf("consecutive letters do not rank higher: %d <= %d", a, b)
	}
}
