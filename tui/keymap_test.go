package tui

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/pki"
	"github.com/mtlswb/mtlswb/workspace"
)

// focusState is one place the keys can be: a screen in one of its focus
// states, a modal, the palette, the help overlay. setup reaches it from a
// freshly loaded workspace.
type focusState struct {
	name    string
	w, h    int
	missing bool // no workspace: the first-run screen
	setup   []string
	typing  bool // text goes to an input: letters and editing keys are text
}

// focusStates are every focus state of the TUI, each set up so that every
// key it advertises can show an effect (a cursor that can move both ways,
// a pane with more to scroll).
var focusStates = []focusState{
	{name: "first-run", w: 100, h: 20, missing: true, setup: []string{"down"}},
	{name: "identities list", w: 100, h: 20, setup: []string{"down"}},
	{name: "identities list filtered", w: 100, h: 20, setup: []string{"/", "o", "enter", "down"}},
	{name: "identities filter typing", w: 100, h: 20, setup: []string{"/", "o"}, typing: true},
	{name: "identity detail wide", w: 100, h: 20, setup: []string{"enter", "down"}},
	{name: "identity detail narrow", w: 80, h: 20, setup: []string{"enter", "down"}},
	{name: "CAs list", w: 100, h: 20, setup: []string{"2", "down"}},
	{name: "history", w: 100, h: 20, setup: []string{"4", "down"}},
	{name: "history filter typing", w: 100, h: 20, setup: []string{"4", "/", "g"}, typing: true},
	{name: "saved", w: 100, h: 20, setup: []string{"4", "tab", "down"}},
	{name: "composer URL typing", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x"}, typing: true},
	{name: "composer URL", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc"}},
	{name: "composer method", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc", "up"}},
	{name: "composer method typing", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc", "up", "enter"}, typing: true},
	{name: "composer as sent", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "esc", "v"}},
	{name: "composer headers typing", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "tab", "a"}, typing: true},
	{name: "composer identity", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "tab", "tab", "tab"}},
	{name: "composer trust", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "tab", "tab", "tab", "tab"}},
	{name: "composer TLS min", w: 100, h: 30, setup: []string{"3", "h", "t", "t", "p", "s", ":", "/", "/", "x", "tab", "tab", "tab", "tab", "tab", "tab"}},
	{name: "composer LDAP SASL", w: 100, h: 30, setup: []string{"3", "l", "d", "a", "p", "s", ":", "/", "/", "x", "tab"}},
	{name: "composer MQTT user typing", w: 100, h: 30, setup: []string{"3", "m", "q", "t", "t", "s", ":", "/", "/", "x", "tab", "a"}, typing: true},
	{name: "identity picker", w: 100, h: 20, setup: []string{"3", "tab", "tab", "tab", "enter", "down"}, typing: true},
	{name: "trust picker", w: 100, h: 20, setup: []string{"3", "tab", "tab", "tab", "tab", "enter", "down"}, typing: true},
	{name: "trust picker filtered", w: 100, h: 20, setup: []string{"3", "tab", "tab", "tab", "tab", "enter", "t", "down"}, typing: true},
	{name: "inspector", w: 100, h: 20, setup: []string{"4", "enter", "down"}},
	{name: "inspector failure", w: 100, h: 20, setup: []string{"4", "down", "enter", "down"}},
	{name: "inspector search typing", w: 100, h: 20, setup: []string{"4", "enter", "/", "i"}, typing: true},
	{name: "inspector search", w: 100, h: 20, setup: []string{"4", "enter", "/", "i", "d", "enter"}},
	{name: "compare", w: 100, h: 12, setup: []string{"4", "m", "down", "=", "down"}},
	{name: "rename form", w: 100, h: 20, setup: []string{"r"}, typing: true},
	{name: "import form choice", w: 100, h: 20, setup: []string{"i", "down", "down"}},
	{name: "import form path", w: 100, h: 20, setup: []string{"i", "t"}, typing: true},
	{name: "delete confirmation", w: 100, h: 20, setup: []string{"d"}},
	{name: "palette", w: 100, h: 20, setup: []string{":", "down"}, typing: true},
	{name: "help overlay", w: 100, h: 20, setup: []string{"?"}},
}

// probeKeys are the keys pressed in every state to find keys that act
// without being advertised.
func probeKeys() []string {
	var ks []string
	for r := '!'; r <= '~'; r++ {
		ks = append(ks, string(r))
	}
	ks = append(ks, "space", "enter", "esc", "tab", "shift+tab", "up", "down", "left", "right",
		"pgup", "pgdown", "home", "end", "backspace", "delete")
	for r := 'a'; r <= 'z'; r++ {
		ks = append(ks, "ctrl+"+string(r))
	}
	return ks
}

// textKey reports whether k edits text where text is typed.
func textKey(k string) bool {
	if utf8.RuneCountInString(k) == 1 || strings.HasPrefix(k, "ctrl+") {
		return true
	}
	switch k {
	case "space", "backspace", "delete", "left", "right", "home", "end", "up", "down", "enter":
		return true
	}
	return false
}

// keyLab builds models in one focus state without touching the disk for
// the load: the workspace's answers are read once and replayed.
type keyLab struct {
	t      *testing.T
	ws     *testWorkspace
	path   string
	loaded []tea.Msg
}

// mask hides the random values of the lab's workspace (see testWorkspace).
func (l *keyLab) mask(s string) string { return l.ws.mask(s) }

func newKeyLab(t *testing.T) *keyLab {
	ws := newTestWorkspace(t, false)
	addTestHistory(t, ws.store)
	// A third attempt and two more saved requests, so every list has a
	// middle row.
	rep := okReport()
	spec, _ := json.Marshal(workspace.RequestSpec{Method: "GET", URL: "https://third.example/", CAs: []string{"dev-root"}})
	repJSON, _ := json.Marshal(rep)
	if _, err := ws.store.AddHistory(workspace.HistoryEntry{At: fixedNow, Method: "GET", URL: "https://third.example/", OK: true, Status: 200, Request: spec, Report: repJSON}); err != nil {
		t.Fatal(err)
	}
	keys, err := ws.store.Unlock(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.store.NewCA(keys, "zz-ca", "", pki.Spec{CN: "ZZ CA", NotBefore: fixedNow.AddDate(-1, 0, 0), NotAfter: fixedNow.AddDate(5, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	if rec, err := ws.store.Get("zz-ca"); err == nil {
		ws.addSecrets(rec.Chain[0])
	}
	for _, n := range []string{"list-orders", "zz-last"} {
		if err := ws.store.SaveRequest(workspace.SavedRequest{Name: n, Spec: spec, Saved: fixedNow}); err != nil {
			t.Fatal(err)
		}
	}
	lab := &keyLab{t: t, ws: ws, path: ws.copyOf(t)}
	// Record what a start answers, one message after the other, to replay
	// it into every model without the disk (record loads check chains).
	m := newTestModel(t, lab.path, nil)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 20})
	queue := []tea.Cmd{m.Init()}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if msg == nil {
			continue
		}
		lab.loaded = append(lab.loaded, msg)
		_, next := m.Update(msg)
		queue = append(queue, next)
	}
	return lab
}

// model is a fresh model in state fs, with an empty status line.
func (l *keyLab) model(fs focusState) *model {
	t := l.t
	path := l.path
	if fs.missing {
		path = filepath.Join(t.TempDir(), "none.db")
	}
	engine := func(_ context.Context, req tlsengine.Request) tlsengine.Report { return failureReport() }
	m := newTestModel(t, path, engine)
	m.Update(tea.WindowSizeMsg{Width: fs.w, Height: fs.h})
	if fs.missing {
		drive(t, m, m.Init())
	} else {
		for _, msg := range l.loaded {
			m.Update(msg)
		}
	}
	press(t, m, fs.setup...)
	m.status, m.statusBad = "", false
	return m
}

// effect presses k and says whether anything changed: the frame, or the
// program asked to quit.
func effect(t *testing.T, m *model, k string) bool {
	before := m.View().Content
	_, cmd := m.Update(keyMsg(k))
	quit := driveQuit(t, m, cmd)
	return quit || m.View().Content != before
}

// advertised is every key the help of m's state names.
func advertised(m *model) map[string]bool {
	ks, pinned, globals := m.stateKeys()
	out := map[string]bool{}
	groups := append(append(append([][]key.Binding{}, ks.full...), ks.short, pinned), globals...)
	for _, g := range groups {
		for _, b := range g {
			if b.Enabled() {
				for _, k := range b.Keys() {
					out[k] = true
				}
			}
		}
	}
	return out
}

// TestKeymapTruth walks every focus state: each key its help advertises
// changes something, and each key that changes something is advertised
// (where text is typed, letters and editing keys are the text's).
func TestKeymapTruth(t *testing.T) {
	lab := newKeyLab(t)
	for _, fs := range focusStates {
		t.Run(fs.name, func(t *testing.T) {
			m := lab.model(fs)
			adv := advertised(m)
			if len(adv) == 0 {
				t.Fatalf("nothing advertised:\n%s", plainView(m))
			}
			ks, pinned, _ := m.stateKeys()
			bar := slices.Concat(ks.short, pinned)
			if !fs.typing && fs.name != "help overlay" && fs.name != "delete confirmation" && fs.name != "import form choice" && !fs.missing {
				for _, want := range []string{"q", "?"} {
					if !slices.ContainsFunc(bar, func(b key.Binding) bool { return b.Enabled() && slices.Contains(b.Keys(), want) }) {
						t.Errorf("the help bar does not show %s", want)
					}
				}
			}
			var advKeys []string
			for k := range adv {
				advKeys = append(advKeys, k)
			}
			slices.Sort(advKeys)
			for _, k := range advKeys {
				if !effect(t, lab.model(fs), k) {
					t.Errorf("%s is advertised but does nothing:\n%s", k, plainView(lab.model(fs)))
				}
			}
			// A key without effect leaves the model as it was, so the
			// next key can be tried on the same one.
			m = lab.model(fs)
			for _, k := range probeKeys() {
				if adv[k] || (fs.typing && textKey(k)) {
					continue
				}
				if effect(t, m, k) {
					t.Errorf("%s acts but is not advertised", k)
					m = lab.model(fs)
				}
			}
		})
	}
}

func TestKeyPressNames(t *testing.T) {
	for _, k := range probeKeys() {
		if got := keyPress(k).String(); got != k {
			t.Errorf("keyPress(%q).String() = %q", k, got)
		}
	}
}

// TestHelpOverlayFits: at 80×24 the ? overlay of every state shows every
// binding whole, in columns that stay inside the terminal.
func TestHelpOverlayFits(t *testing.T) {
	lab := newKeyLab(t)
	for _, fs := range focusStates {
		if fs.typing || fs.missing || strings.Contains(fs.name, "form") || strings.Contains(fs.name, "confirmation") || fs.name == "help overlay" {
			continue
		}
		t.Run(fs.name, func(t *testing.T) {
			fs.w, fs.h = 80, 24
			m := lab.model(fs)
			ks, _, globals := m.stateKeys()
			press(t, m, "?")
			if !m.showHelp {
				t.Fatal("? did not open the overlay")
			}
			v := plainView(m)
			for i, l := range strings.Split(v, "\n") {
				if w := lipgloss.Width(l); w > 80 {
					t.Errorf("line %d is %d cells wide: %q", i, w, l)
				}
			}
			for _, g := range slices.Concat(ks.full, globals) {
				for _, b := range g {
					if b.Enabled() && !strings.Contains(v, b.Help().Desc) {
						t.Errorf("the overlay lacks %q (%s) or cut it:\n%s", b.Help().Desc, b.Help().Key, v)
					}
				}
			}
		})
	}
}
